//! How a page's values are made from its renders' name, learnt from a
//! model page and applied to new renders.
//!
//! The real site names everything after the frames' stem: the renders
//! `Leg-Gastrocnemius-N.png` belong to the page titled "The gastrocnemius
//! muscle of the leg", with permalink `/muscle/leg/gastrocnemius/` and id
//! `gastrocnemius`; `Leg-MedialHeadOfGastrocnemius` gives "medial head of
//! gastrocnemius" and `medialheadofgastrocnemius`. So a model's value is
//! read as a template over the *forms* of its stem's parts (split on `-`,
//! each part split into words at capitals): raw, lower case, words, words
//! in lower case, and the same of the whole stem. Matches are taken at
//! word boundaries only (`leg` is not found in `legal`), longest first, in
//! one pass, so nothing substituted is substituted again.

/// A frame stem, `Leg-MedialHeadOfGastrocnemius`, in parts and words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stem {
    raw: String,
    parts: Vec<Vec<String>>,
}

/// The ways a name is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// As in the file name: `MedialHeadOfGastrocnemius`, `Leg-Gastrocnemius`.
    Raw,
    /// `medialheadofgastrocnemius`, `leg-gastrocnemius`.
    Lower,
    /// Parts and words run together: `LegGastrocnemius`.
    Joined,
    /// `legmedialheadofgastrocnemius`.
    JoinedLower,
    /// Words with spaces: `Medial Head Of Gastrocnemius`.
    Words,
    /// `medial head of gastrocnemius`.
    WordsLower,
}

const PART_FORMS: &[Form] = &[Form::Raw, Form::Lower, Form::Words, Form::WordsLower];
const WHOLE_FORMS: &[Form] = &[
    Form::Raw,
    Form::Lower,
    Form::Joined,
    Form::JoinedLower,
    Form::Words,
    Form::WordsLower,
];

impl Stem {
    pub fn new(raw: &str) -> Stem {
        let parts = raw
            .split('-')
            .filter(|p| !p.is_empty())
            .map(split_words)
            .collect();
        Stem {
            raw: raw.to_string(),
            parts,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Every word, in lower case (to tell whether a text still names it).
    pub fn words_lower(&self) -> Vec<String> {
        self.parts
            .iter()
            .flatten()
            .map(|w| w.to_lowercase())
            .collect()
    }

    fn part(&self, i: usize, form: Form) -> Option<String> {
        self.parts.get(i).map(|words| written(words, form))
    }

    fn whole(&self, form: Form) -> String {
        match form {
            Form::Raw => self.raw.clone(),
            Form::Lower => self.raw.to_lowercase(),
            _ => written(&self.parts.concat(), form),
        }
    }
}

/// `MedialHeadOfGastrocnemius` -> `Medial`, `Head`, `Of`, `Gastrocnemius`;
/// runs of capitals and of digits stay together (`CT2Scan` -> `CT`, `2`, `Scan`).
fn split_words(part: &str) -> Vec<String> {
    let chars: Vec<char> = part.chars().collect();
    let mut words = Vec::new();
    let mut start = 0;
    for i in 1..chars.len() {
        let (prev, c) = (chars[i - 1], chars[i]);
        let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
        let boundary = (prev.is_lowercase() && c.is_uppercase())
            || (prev.is_uppercase() && c.is_uppercase() && next_lower)
            || (prev.is_ascii_digit() != c.is_ascii_digit())
            || c == '_'
            || prev == '_';
        if boundary {
            let w: String = chars[start..i].iter().filter(|c| **c != '_').collect();
            if !w.is_empty() {
                words.push(w);
            }
            start = i;
        }
    }
    let w: String = chars[start..].iter().filter(|c| **c != '_').collect();
    if !w.is_empty() {
        words.push(w);
    }
    words
}

fn written(words: &[String], form: Form) -> String {
    match form {
        Form::Raw | Form::Joined => words.concat(),
        Form::Lower | Form::JoinedLower => words.concat().to_lowercase(),
        Form::Words => words.join(" "),
        Form::WordsLower => words.join(" ").to_lowercase(),
    }
}

/// What a piece of a model's value stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    /// A literal value replaced as a whole (the title, the permalink...).
    Pair(usize),
    Whole(Form),
    /// Part `i` of the stem, in a form; `one_word` when the model's part
    /// was a single word, so its plain and word forms could not be told
    /// apart and the new value's context decides.
    Part(usize, Form, bool),
}

/// Old values and what replaces them, plus the two stems: the vocabulary
/// of one new page.
#[derive(Debug, Clone)]
pub struct Vocabulary {
    pub old: Stem,
    pub new: Stem,
    /// Literal values (`old`, `new`): matched before any stem form of the
    /// same length.
    pub pairs: Vec<(String, String)>,
}

impl Vocabulary {
    /// `value` with every old name replaced by its new one.
    pub fn substitute(&self, value: &str) -> String {
        let pieces = self.read(value, true);
        self.write(&pieces, value).unwrap_or_else(|| {
            // A part the new stem does not have: keep those pieces as they were.
            let mut out = String::new();
            for p in &pieces {
                match self.write(std::slice::from_ref(p), value) {
                    Some(s) => out.push_str(&s),
                    None => out.push_str(&self.old_text(p)),
                }
            }
            out
        })
    }

    /// The new value of a model's value made from its stem, or `None` when
    /// the value does not follow the stem (no form of it appears) or needs
    /// a part the new stem lacks.
    pub fn derive(&self, value: &str) -> Option<String> {
        let pieces = self.read(value, false);
        if !pieces.iter().any(|p| !matches!(p, Piece::Text(_))) {
            return None;
        }
        self.write(&pieces, value)
    }

    /// Reads a value as text and stem forms (and literal pairs, if `pairs`).
    fn read(&self, value: &str, pairs: bool) -> Vec<Piece> {
        let mut candidates: Vec<(String, Piece)> = Vec::new();
        if pairs {
            for (i, (old, _)) in self.pairs.iter().enumerate() {
                if !old.is_empty() {
                    candidates.push((old.clone(), Piece::Pair(i)));
                }
            }
        }
        for form in WHOLE_FORMS {
            candidates.push((self.old.whole(*form), Piece::Whole(*form)));
        }
        for (i, words) in self.old.parts.iter().enumerate() {
            for form in PART_FORMS {
                let one_word = words.len() == 1;
                candidates.push((written(words, *form), Piece::Part(i, *form, one_word)));
            }
        }
        // Longest first; at equal length the earlier (pairs, whole stem) wins.
        candidates.sort_by_key(|(text, _)| std::cmp::Reverse(text.len()));

        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut i = 0;
        'scan: while i < value.len() {
            let before = value[..i].chars().next_back();
            if before.is_none_or(|c| !c.is_alphanumeric()) {
                for (old, piece) in &candidates {
                    if old.is_empty() || !value[i..].starts_with(old.as_str()) {
                        continue;
                    }
                    let after = value[i + old.len()..].chars().next();
                    if after.is_some_and(char::is_alphanumeric) {
                        continue;
                    }
                    if !text.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut text)));
                    }
                    pieces.push(piece.clone());
                    i += old.len();
                    continue 'scan;
                }
            }
            let c = value[i..].chars().next().unwrap_or_default();
            text.push(c);
            i += c.len_utf8().max(1);
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        pieces
    }

    fn write(&self, pieces: &[Piece], context: &str) -> Option<String> {
        // A one-word part was read as `leg`; whether a many-word new part
        // is `medial head` or `medialhead` depends on the value: prose
        // has spaces, ids and URLs do not.
        let prose = context.contains(' ');
        let mut out = String::new();
        for p in pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Pair(i) => out.push_str(&self.pairs[*i].1),
                Piece::Whole(form) => out.push_str(&self.new.whole(*form)),
                Piece::Part(i, form, one_word) => {
                    let form = match (one_word, prose, form) {
                        (true, true, Form::Raw) => Form::Words,
                        (true, true, Form::Lower) => Form::WordsLower,
                        _ => *form,
                    };
                    out.push_str(&self.new.part(*i, form)?);
                }
            }
        }
        Some(out)
    }

    fn old_text(&self, p: &Piece) -> String {
        match p {
            Piece::Text(t) => t.clone(),
            Piece::Pair(i) => self.pairs[*i].0.clone(),
            Piece::Whole(form) => self.old.whole(*form),
            Piece::Part(i, form, _) => self.old.part(*i, *form).unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab(old: &str, new: &str) -> Vocabulary {
        Vocabulary {
            old: Stem::new(old),
            new: Stem::new(new),
            pairs: Vec::new(),
        }
    }

    #[test]
    fn words_split_at_capitals_and_digits() {
        assert_eq!(
            split_words("MedialHeadOfGastrocnemius"),
            ["Medial", "Head", "Of", "Gastrocnemius"]
        );
        assert_eq!(split_words("CT2Scan"), ["CT", "2", "Scan"]);
        assert_eq!(split_words("leg"), ["leg"]);
    }

    #[test]
    fn the_real_sites_values_follow_their_stems() {
        let v = vocab("Leg-Gastrocnemius", "Leg-MedialHeadOfGastrocnemius");
        assert_eq!(
            v.derive("The gastrocnemius muscle of the leg").as_deref(),
            Some("The medial head of gastrocnemius muscle of the leg")
        );
        assert_eq!(
            v.derive("/muscle/leg/gastrocnemius/").as_deref(),
            Some("/muscle/leg/medialheadofgastrocnemius/")
        );
        assert_eq!(
            v.derive("gastrocnemius").as_deref(),
            Some("medialheadofgastrocnemius")
        );
        let v = vocab("Leg-MedialHeadOfGastrocnemius", "Arm-Biceps");
        assert_eq!(
            v.derive("LegMedialHeadOfGastrocnemius").as_deref(),
            Some("ArmBiceps")
        );
        assert_eq!(
            v.derive("The medial head of gastrocnemius muscle of the leg")
                .as_deref(),
            Some("The biceps muscle of the arm")
        );
        let v = vocab("Leg", "Arm");
        assert_eq!(
            v.derive("Muscles of the leg").as_deref(),
            Some("Muscles of the arm")
        );
    }

    #[test]
    fn values_not_made_from_the_stem_are_not_derived() {
        let v = vocab("Back-Scapularis", "Back-Rhomboid");
        assert_eq!(v.derive("spinalis"), None);
        // Only whole words: `leg` is not in `legal`.
        let v = vocab("Leg", "Arm");
        assert_eq!(v.derive("legal notice"), None);
        // A part the new stem lacks cannot be derived.
        let v = vocab("Leg-Gastrocnemius", "Leg");
        assert_eq!(v.derive("/muscle/leg/gastrocnemius/"), None);
    }

    #[test]
    fn literal_pairs_win_and_nothing_is_replaced_twice() {
        let mut v = vocab("Leg-Gastrocnemius", "Leg-Soleus");
        v.pairs = vec![(
            "The gastrocnemius muscle of the leg".into(),
            "The soleus, not the gastrocnemius".into(),
        )];
        assert_eq!(
            v.substitute("The gastrocnemius muscle of the leg - orientation 3"),
            "The soleus, not the gastrocnemius - orientation 3"
        );
        assert_eq!(
            v.substitute("muscles/gif/Leg-Gastrocnemius.gif"),
            "muscles/gif/Leg-Soleus.gif"
        );
        assert_eq!(
            v.substitute("Images and description."),
            "Images and description."
        );
    }
}
