//! Byte-preserving edits of front-matter values.
//!
//! The page belongs to the user: an edit replaces exactly the bytes of the
//! scalars it changes and nothing else, keeps each value's quoting style
//! where the new value allows it (plain stays plain only where the result
//! still reads back as the same string, in YAML 1.1 as Jekyll's Psych reads
//! it), and is verified by parsing the result again: every other scalar
//! must be unchanged and every edited one must read back as intended. On
//! any doubt the edit is refused and the caller leaves the file as it was.

use std::ops::Range;
use std::path::Path;

use crate::frontmatter::{self, Node, Scalar, Style};

/// One value to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// The scalar as parsed from the text being edited.
    pub scalar: Scalar,
    pub new_value: String,
}

/// Applies `edits` to a page's text. Returns the new text, or why the edit
/// was refused.
pub fn apply(text: &str, edits: &[Edit]) -> Result<String, String> {
    let mut planned: Vec<(Range<usize>, String)> = Vec::with_capacity(edits.len());
    for e in edits {
        // An unchanged value keeps its bytes exactly, even where we would
        // have written it differently (found by fuzzing: a plain scalar
        // holding a control character came back double-quoted).
        if e.new_value == e.scalar.value {
            continue;
        }
        if e.scalar.aliased {
            return Err(format!(
                "'{}' is reached through a YAML alias; not editing it",
                e.scalar.value
            ));
        }
        let range = written_range(text, &e.scalar)?;
        planned.push((range, render(&e.new_value, e.scalar.style)?));
    }
    // Splice from the end so earlier offsets stay valid.
    planned.sort_by_key(|(r, _)| std::cmp::Reverse(r.start));
    if planned.windows(2).any(|w| w[1].0.end > w[0].0.start) {
        return Err("overlapping edits".into());
    }
    let mut out = text.to_string();
    for (range, new) in &planned {
        out.replace_range(range.clone(), new);
    }
    verify(text, &out, edits)?;
    Ok(out)
}

/// The exact bytes of a scalar as written: quotes included, trailing
/// blanks and comments excluded (parser spans may run past the closing
/// quote, or include trailing blanks of a plain scalar).
pub(super) fn written_range(text: &str, s: &Scalar) -> Result<Range<usize>, String> {
    let start = s.span.start;
    let bytes = text.as_bytes();
    let end = match s.style {
        Style::Plain => {
            let raw = text
                .get(start..s.span.end.min(text.len()))
                .ok_or("bad span")?;
            start + raw.trim_end().len()
        }
        Style::SingleQuoted => {
            if bytes.get(start) != Some(&b'\'') {
                return Err("single-quoted value does not start with a quote".into());
            }
            let mut i = start + 1;
            loop {
                match bytes.get(i) {
                    None => return Err("unterminated single-quoted value".into()),
                    Some(b'\'') if bytes.get(i + 1) == Some(&b'\'') => i += 2,
                    Some(b'\'') => break i + 1,
                    Some(_) => i += 1,
                }
            }
        }
        Style::DoubleQuoted => {
            if bytes.get(start) != Some(&b'"') {
                return Err("double-quoted value does not start with a quote".into());
            }
            let mut i = start + 1;
            loop {
                match bytes.get(i) {
                    None => return Err("unterminated double-quoted value".into()),
                    Some(b'\\') => i += 2,
                    Some(b'"') => break i + 1,
                    Some(_) => i += 1,
                }
            }
        }
        Style::Literal | Style::Folded => {
            return Err("block scalars (| and >) are not edited".into());
        }
    };
    Ok(start..end)
}

/// Renders a value in the lightest style at least as strong as `style`
/// that reads back as exactly `value`.
pub fn render(value: &str, style: Style) -> Result<String, String> {
    let single_ok = !value.chars().any(|c| c.is_control());
    match style {
        Style::Plain if plain_safe(value) => Ok(value.to_string()),
        Style::Plain | Style::SingleQuoted if single_ok => {
            Ok(format!("'{}'", value.replace('\'', "''")))
        }
        Style::Plain | Style::SingleQuoted | Style::DoubleQuoted => {
            let mut out = String::with_capacity(value.len() + 2);
            out.push('"');
            for c in value.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\t' => out.push_str("\\t"),
                    '\r' => out.push_str("\\r"),
                    c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
                    c => out.push(c),
                }
            }
            out.push('"');
            Ok(out)
        }
        Style::Literal | Style::Folded => Err("block scalars (| and >) are not edited".into()),
    }
}

/// True when `value` can be written unquoted and still read back as the
/// same *string* (not a number, boolean or null, in YAML 1.2 or 1.1).
fn plain_safe(value: &str) -> bool {
    let Some(first) = value.chars().next() else {
        return false;
    };
    if value.trim() != value || value.chars().any(|c| c.is_control()) {
        return false;
    }
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        // `-` and friends are indicators at the start; `-x` is fine in YAML
        // but not worth the doubt.
        return false;
    }
    if value.contains(": ") || value.contains(" #") || value.ends_with(':') {
        return false;
    }
    let lower = value.to_ascii_lowercase();
    let keyword = matches!(
        lower.as_str(),
        "~" | "null"
            | "true"
            | "false"
            | "yes"
            | "no"
            | "on"
            | "off"
            | "y"
            | "n"
            | ".nan"
            | ".inf"
            | "-.inf"
            | "+.inf"
    );
    let numeric = value.parse::<f64>().is_ok()
        || value.starts_with("0x")
        || value.starts_with("0o")
        || value
            .chars()
            .all(|c| c.is_ascii_digit() || c == '_' || c == ':' || c == '.' || c == '-');
    !keyword && !numeric
}

/// Parses both texts and checks that exactly the intended values changed.
fn verify(before: &str, after: &str, edits: &[Edit]) -> Result<(), String> {
    let old = scalars(&parse_root(before)?);
    let new = scalars(
        &parse_root(after).map_err(|e| format!("edited front matter does not parse: {e}"))?,
    );
    if old.len() != new.len() {
        return Err("the edit changed the document's structure".into());
    }
    for (o, n) in old.iter().zip(&new) {
        let wanted = edits
            .iter()
            .find(|e| e.scalar.span.start == o.span.start)
            .map_or(o.value.as_str(), |e| e.new_value.as_str());
        if n.value != wanted {
            return Err(format!(
                "after the edit '{}' reads as '{}'",
                wanted, n.value
            ));
        }
    }
    // Outside the front matter not one byte may differ.
    let (a, b) = (frontmatter::split(before), frontmatter::split(after));
    match (a, b) {
        (Some(a), Some(b))
            if before[a.yaml.end..] == after[b.yaml.end..]
                && before[..a.yaml.start] == after[..b.yaml.start] =>
        {
            Ok(())
        }
        _ => Err("the edit reached outside the front matter".into()),
    }
}

pub(crate) fn parse_root(text: &str) -> Result<Node, String> {
    match frontmatter::parse(text, Path::new("page")) {
        Ok(Some(root)) => Ok(root),
        Ok(None) => Err("no front matter".into()),
        Err(e) => Err(e.to_string()),
    }
}

/// A unified diff of two versions of a page, for `--dry-run` (the
/// `similar` crate: a maintained Myers diff; hand-rolling one is not worth it).
pub fn unified_diff(name: &str, before: &str, after: &str) -> String {
    let mut diff = similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(1)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string();
    if !diff.ends_with('\n') {
        diff.push('\n');
    }
    diff
}

/// Every value scalar (not keys) in document order.
pub(crate) fn values(node: &Node) -> Vec<Scalar> {
    keyed_values(node).into_iter().map(|(_, s)| s).collect()
}

/// Every value scalar with the key it is under (the nearest mapping key,
/// `gallery` for a plain list item), in document order.
pub(crate) fn keyed_values(node: &Node) -> Vec<(String, Scalar)> {
    let mut out = Vec::new();
    fn walk(n: &Node, key: &str, out: &mut Vec<(String, Scalar)>) {
        match n {
            Node::Scalar(s) => out.push((key.to_string(), s.clone())),
            Node::Seq(items) => items.iter().for_each(|i| walk(i, key, out)),
            Node::Map(entries) => entries.iter().for_each(|(k, v)| {
                let key = k.as_scalar().map_or(key, |s| s.value.as_str());
                walk(v, key, out);
            }),
        }
    }
    walk(node, "", &mut out);
    out
}

/// Every scalar (keys and values) in document order.
pub(super) fn scalars(node: &Node) -> Vec<Scalar> {
    let mut out = Vec::new();
    fn walk(n: &Node, out: &mut Vec<Scalar>) {
        match n {
            Node::Scalar(s) => out.push(s.clone()),
            Node::Seq(items) => items.iter().for_each(|i| walk(i, out)),
            Node::Map(entries) => entries.iter().for_each(|(k, v)| {
                walk(k, out);
                walk(v, out);
            }),
        }
    }
    walk(node, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frontmatter::Manifest;

    /// Edits the gallery's `image_url`s with `f` and returns the new text.
    fn edit_urls(text: &str, f: impl Fn(&str) -> String) -> Result<String, String> {
        let root = frontmatter::parse(text, Path::new("p.md"))
            .unwrap()
            .unwrap();
        let m = Manifest::from_front_matter(&root, text, Path::new("p.md")).unwrap();
        let edits: Vec<Edit> = m
            .gallery
            .iter()
            .map(|g| Edit {
                scalar: g.image_url.clone(),
                new_value: f(&g.image_url.value),
            })
            .collect();
        apply(text, &edits)
    }

    fn fp(v: &str) -> String {
        v.replace(".png", "-3fa2c9d1.png")
    }

    #[test]
    fn real_pages_change_only_the_edited_bytes() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/site/pages");
        let pages: Vec<_> = walkdir::WalkDir::new(dir)
            .into_iter()
            .map(|e| e.unwrap().into_path())
            .filter(|p| p.extension().is_some_and(|e| e == "md"))
            .collect();
        assert_eq!(pages.len(), 5);
        for path in pages {
            let text = std::fs::read_to_string(&path).unwrap();
            // A no-op edit is byte-identical.
            assert_eq!(edit_urls(&text, str::to_string).unwrap(), text);
            let edited = edit_urls(&text, fp).unwrap();
            assert_eq!(
                edited,
                text.replace(".png\n", "-3fa2c9d1.png\n")
                    .replace(".png\r\n", "-3fa2c9d1.png\r\n")
            );
        }
    }

    #[test]
    fn crlf_bom_comments_and_non_ascii_survive() {
        let text = "\u{feff}---\r\ntitle: 'é ›› naïve' # note\r\ngallery:\r\n  - image_url: a/X-1.png   # first\r\n    caption: \"c ››\"\r\n  - {image_url: 'a/X-2.png', caption: x}\r\n---\r\nbody ››\r\n";
        let out = edit_urls(text, fp).unwrap();
        assert_eq!(
            out,
            text.replace("a/X-1.png ", "a/X-1-3fa2c9d1.png ")
                .replace("'a/X-2.png'", "'a/X-2-3fa2c9d1.png'")
        );
    }

    #[test]
    fn an_unchanged_value_keeps_its_bytes_whatever_they_are() {
        let text = "---\ngallery:\n  - image_url: a/p\u{16}ng.png\n---\n";
        assert_eq!(edit_urls(text, str::to_string).unwrap(), text);
    }

    #[test]
    fn plain_values_get_quoted_when_they_must() {
        let text = "---\ngallery:\n  - image_url: a.png\n---\n";
        for (new, expect) in [
            ("b: c.png", "'b: c.png'"),
            ("yes", "'yes'"),
            ("123", "'123'"),
            ("#x.png", "'#x.png'"),
            ("it's.png", "it's.png"),
            ("line\nbreak", "\"line\\nbreak\""),
        ] {
            let out = edit_urls(text, |_| new.to_string()).unwrap();
            assert_eq!(out, text.replace("a.png", expect), "{new}");
        }
        // Single quotes stay single quotes, with '' inside.
        let text = "---\ngallery:\n  - image_url: 'a.png'\n---\n";
        let out = edit_urls(text, |_| "it's.png".to_string()).unwrap();
        assert_eq!(out, text.replace("'a.png'", "'it''s.png'"));
    }

    #[test]
    fn aliases_and_block_scalars_are_refused() {
        let text = "---\nx: &u a.png\ngallery:\n  - image_url: *u\n---\n";
        assert!(edit_urls(text, fp).unwrap_err().contains("alias"));
        let text = "---\ngallery:\n  - image_url: |\n      a.png\n---\n";
        assert!(edit_urls(text, fp).is_err());
    }
}
