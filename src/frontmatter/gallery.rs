//! Adding and removing whole gallery entries, as lines of text: new
//! renders continuing a gallery are appended in the last entry's style
//! (gallery sync), and entries whose renders are gone are removed on
//! request (`--prune`). Like value edits, every change is verified by
//! parsing the result again; anything but a block-style list is refused.

use std::ops::Range;
use std::path::Path;

use super::edit::{parse_root, render, scalars, written_range};
use super::{Node, Scalar};

/// Appends gallery entries for `new_urls`, each a copy of the last entry's
/// text (its layout, quoting and line endings) with its `image_url` set and
/// a trailing frame number in its other values (`... - orientation 16`)
/// continued. Verified by parsing again: the old entries are unchanged and
/// the new ones read back as intended. Only block-style galleries are
/// extended; anything else is refused.
pub fn append_gallery(text: &str, new_urls: &[String]) -> Result<String, String> {
    if new_urls.is_empty() {
        return Ok(text.to_string());
    }
    let root = parse_root(text)?;
    let Some(Node::Seq(entries)) = root.get("gallery") else {
        return Err("no gallery list to extend".into());
    };
    let last = entries
        .last()
        .ok_or("the gallery is empty; nothing to copy")?;
    let Node::Map(fields) = last else {
        return Err("the last gallery entry is not a mapping".into());
    };
    let first_key = fields
        .first()
        .and_then(|(k, _)| k.as_scalar())
        .ok_or("empty gallery entry")?;
    let line_start = text[..first_key.span.start]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let lead = &text[line_start..first_key.span.start];
    if lead.trim() != "-" {
        return Err("only block-style gallery lists (\"  - image_url: ...\") are extended".into());
    }
    let mut values: Vec<(&Scalar, &Scalar)> = Vec::new();
    for (k, v) in fields {
        match (k.as_scalar(), v.as_scalar()) {
            (Some(k), Some(v)) if !v.aliased => values.push((k, v)),
            _ => {
                return Err("the last gallery entry holds more than plain key: value pairs".into())
            }
        }
    }
    let url = values
        .iter()
        .find(|(k, _)| k.value == "image_url")
        .map(|(_, v)| *v)
        .ok_or("the last gallery entry has no image_url")?;
    let old_number = crate::naming::split_frame_number(Path::new(&url.value)).map(|(_, n)| n);
    let entry_end = values
        .iter()
        .map(|(_, v)| written_range(text, v))
        .collect::<Result<Vec<_>, _>>()?;
    let last_end = entry_end
        .iter()
        .map(|r| r.end)
        .max()
        .unwrap_or(first_key.span.end);
    let end = text[last_end..]
        .find('\n')
        .map_or(text.len(), |i| last_end + i + 1);
    let template = &text[line_start..end];
    let mut appended = String::new();
    if !template.ends_with('\n') {
        appended.push_str(if text.contains("\r\n") { "\r\n" } else { "\n" });
    }
    let mut expected_new = Vec::new();
    for new_url in new_urls {
        let new_number = crate::naming::split_frame_number(Path::new(new_url)).map(|(_, n)| n);
        // Replace values from the end of the template backwards.
        let mut entry = template.to_string();
        let mut replaced: Vec<(Range<usize>, String)> = Vec::new();
        for ((key, v), range) in values.iter().zip(&entry_end) {
            let new_value = if key.value == "image_url" {
                Some(new_url.clone())
            } else {
                match (old_number, new_number) {
                    (Some(o), Some(n)) => renumbered(&v.value, o, n),
                    _ => None,
                }
            };
            if let Some(nv) = new_value {
                replaced.push((
                    range.start - line_start..range.end - line_start,
                    render(&nv, v.style)?,
                ));
            }
        }
        replaced.sort_by_key(|(r, _)| std::cmp::Reverse(r.start));
        for (r, new) in replaced {
            entry.replace_range(r, &new);
        }
        appended.push_str(&entry);
        expected_new.push(new_url.clone());
    }
    let mut out = String::with_capacity(text.len() + appended.len());
    out.push_str(&text[..end]);
    out.push_str(&appended);
    out.push_str(&text[end..]);

    // Verify: old entries unchanged, new ones as intended, nothing else moved.
    let out_root = parse_root(&out)?;
    let mut want = gallery_urls(&root, text)?;
    want.extend(expected_new);
    if gallery_urls(&out_root, &out)? != want {
        return Err("appending entries would not read back as intended".into());
    }
    if scalars(&out_root).len() != scalars(&root).len() + values.len() * 2 * new_urls.len() {
        return Err("appending entries changed the document's structure".into());
    }
    Ok(out)
}

/// `value` with its trailing number `old` (a whole number, not the end
/// of a longer one: `orientation 11` does not end in the number 1)
/// replaced by `new`; `None` when it does not end in `old`.
fn renumbered(value: &str, old: u32, new: u32) -> Option<String> {
    let head = value.strip_suffix(&old.to_string())?;
    if head.ends_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    Some(format!("{head}{new}"))
}

/// The gallery replaced by one entry per `urls`, in order: each a copy of
/// the first entry's text (layout, quoting, line endings) with its
/// `image_url` set and a trailing frame number in its other values set to
/// the frame's (`... - orientation 1` for `X-1.png`). For `assetgen new`,
/// which writes a page for new renders in a model page's style. Verified
/// like every list edit; only block-style galleries are rewritten.
pub fn set_gallery(text: &str, urls: &[String]) -> Result<String, String> {
    let Some((first_url, rest)) = urls.split_first() else {
        return Err("no frames for the gallery".into());
    };
    let root = parse_root(text)?;
    let Some(Node::Seq(_)) = root.get("gallery") else {
        return Err("no gallery list to copy".into());
    };
    let values = gallery_urls(&root, text)?;
    let Some((first, others)) = values.split_first() else {
        return Err("the gallery is empty; nothing to copy".into());
    };
    if others.contains(first) {
        return Err(format!("the gallery lists '{first}' twice"));
    }
    let text = remove_gallery_entries(text, others)?;
    let root = parse_root(&text)?;
    let Some(Node::Seq(entries_left)) = root.get("gallery") else {
        return Err("no gallery list to copy".into());
    };
    let Some(Node::Map(fields)) = entries_left.first() else {
        return Err("the first gallery entry is not a mapping".into());
    };
    let old_number = crate::naming::split_frame_number(Path::new(first)).map(|(_, n)| n);
    let new_number = crate::naming::split_frame_number(Path::new(first_url)).map(|(_, n)| n);
    let mut edits = Vec::new();
    for (k, v) in fields {
        let (Some(k), Some(v)) = (k.as_scalar(), v.as_scalar()) else {
            return Err("the first gallery entry holds more than plain key: value pairs".into());
        };
        let new_value = if k.value == "image_url" {
            Some(first_url.clone())
        } else {
            match (old_number, new_number) {
                (Some(o), Some(n)) => renumbered(&v.value, o, n),
                _ => None,
            }
        };
        if let Some(new_value) = new_value {
            edits.push(super::edit::Edit {
                scalar: v.clone(),
                new_value,
            });
        }
    }
    let text = super::edit::apply(&text, &edits)?;
    append_gallery(&text, rest)
}

/// Removes the gallery entries whose `image_url` is one of `urls` (an
/// explicit `build --prune`: their renders are gone). Each entry goes with
/// its whole lines, from its `- ` to the end of its last value's line;
/// every other byte stays. Only block-style entries are removed; the
/// result is verified by parsing it again.
pub fn remove_gallery_entries(text: &str, urls: &[String]) -> Result<String, String> {
    if urls.is_empty() {
        return Ok(text.to_string());
    }
    let root = parse_root(text)?;
    let Some(Node::Seq(entries)) = root.get("gallery") else {
        return Err("no gallery list to remove entries from".into());
    };
    let mut ranges: Vec<Range<usize>> = Vec::new();
    let mut removed_scalars = 0;
    for entry in entries {
        let url = entry.get("image_url").and_then(Node::as_scalar);
        if !url.is_some_and(|u| urls.contains(&u.value)) {
            continue;
        }
        let inside = scalars(entry);
        if inside.iter().any(|s| s.aliased) {
            return Err("a gallery entry to remove uses a YAML alias; not removing it".into());
        }
        let first = inside.first().ok_or("empty gallery entry")?;
        let line_start = text[..first.span.start].rfind('\n').map_or(0, |i| i + 1);
        if text[line_start..first.span.start].trim() != "-" {
            return Err(
                "only block-style gallery entries (\"  - image_url: ...\") are removed".into(),
            );
        }
        let last_end = inside
            .iter()
            .map(|s| written_range(text, s).map(|r| r.end))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .max()
            .unwrap_or(first.span.end);
        let end = text[last_end..]
            .find('\n')
            .map_or(text.len(), |i| last_end + i + 1);
        ranges.push(line_start..end);
        removed_scalars += inside.len();
    }
    if ranges.is_empty() {
        return Ok(text.to_string());
    }
    ranges.sort_by_key(|r| std::cmp::Reverse(r.start));
    if ranges.windows(2).any(|w| w[1].end > w[0].start) {
        return Err("gallery entries to remove share a line".into());
    }
    let mut out = text.to_string();
    for r in &ranges {
        out.replace_range(r.clone(), "");
    }

    // Verify: exactly those entries gone, every other value as it was.
    let out_root = parse_root(&out)?;
    let mut want = gallery_urls(&root, text)?;
    want.retain(|u| !urls.contains(u));
    if gallery_urls(&out_root, &out)? != want {
        return Err("removing entries would not read back as intended".into());
    }
    if scalars(&out_root).len() + removed_scalars != scalars(&root).len() {
        return Err("removing entries changed the document's structure".into());
    }
    Ok(out)
}

/// The gallery's `image_url` values, in order (for verifying list edits),
/// from the front matter `root` parsed from `text`.
fn gallery_urls(root: &Node, text: &str) -> Result<Vec<String>, String> {
    let m = super::Manifest::from_front_matter(root, text, Path::new("page"))
        .map_err(|e| e.to_string())?;
    Ok(m.gallery.into_iter().map(|g| g.image_url.value).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appended_entries_copy_the_last_one_and_continue_its_numbers() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/site/pages");
        let text =
            std::fs::read_to_string(dir.join("muscles/muscle_leg-gastrocnemius.md")).unwrap();
        let out = append_gallery(&text, &["muscles/png/Leg-Gastrocnemius-17.png".into()]).unwrap();
        let added = "  - image_url: muscles/png/Leg-Gastrocnemius-17.png\n    caption: 'The gastrocnemius muscle of the leg - orientation 17'\n    title: 'The gastrocnemius muscle of the leg - orientation 17'\n";
        let last = "    title: 'The gastrocnemius muscle of the leg - orientation 16'\n";
        assert_eq!(out, text.replacen(last, &format!("{last}{added}"), 1));
        // CRLF and a blank line before the closing fence are kept.
        let crlf = "---\r\ngallery:\r\n  - image_url: 'a/X-1.png'\r\n    caption: \"X 1\"\r\n\r\n---\r\nbody\r\n";
        let out = append_gallery(crlf, &["a/X-2.png".into(), "a/X-3.png".into()]).unwrap();
        assert_eq!(
            out,
            "---\r\ngallery:\r\n  - image_url: 'a/X-1.png'\r\n    caption: \"X 1\"\r\n  - image_url: 'a/X-2.png'\r\n    caption: \"X 2\"\r\n  - image_url: 'a/X-3.png'\r\n    caption: \"X 3\"\r\n\r\n---\r\nbody\r\n"
        );
        // Flow style is refused rather than guessed.
        assert!(append_gallery(
            "---\ngallery: [{image_url: a/X-1.png}]\n---\n",
            &["a/X-2.png".into()]
        )
        .is_err());
    }

    #[test]
    fn a_gallery_set_anew_copies_the_first_entry_for_every_frame() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/site/pages");
        let text =
            std::fs::read_to_string(dir.join("muscles/muscle_leg-gastrocnemius.md")).unwrap();
        let urls: Vec<String> = (1..=16)
            .map(|n| format!("muscles/png/Leg-Gastrocnemius-{n}.png"))
            .collect();
        // Its own frames give the page back byte for byte.
        assert_eq!(set_gallery(&text, &urls).unwrap(), text);
        let out = set_gallery(&text, &["m/X-0.png".into(), "m/X-1.png".into()]).unwrap();
        let expect = "  - image_url: m/X-0.png\n    caption: 'The gastrocnemius muscle of the leg - orientation 0'\n    title: 'The gastrocnemius muscle of the leg - orientation 0'\n  - image_url: m/X-1.png\n    caption: 'The gastrocnemius muscle of the leg - orientation 1'\n    title: 'The gastrocnemius muscle of the leg - orientation 1'\n\n---\n";
        let start = out.find("  - image_url").unwrap();
        assert!(out[start..].starts_with(expect), "{}", &out[start..]);
        // Numbers are whole: 11 does not end in 1.
        assert_eq!(renumbered("orientation 11", 1, 2), None);
        assert_eq!(
            renumbered("orientation 11", 11, 2).as_deref(),
            Some("orientation 2")
        );
    }

    #[test]
    fn removed_entries_take_exactly_their_lines() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/site/pages");
        let text =
            std::fs::read_to_string(dir.join("muscles/muscle_leg-gastrocnemius.md")).unwrap();
        let gone = [
            "muscles/png/Leg-Gastrocnemius-3.png".to_string(),
            "muscles/png/Leg-Gastrocnemius-16.png".to_string(),
        ];
        let out = remove_gallery_entries(&text, &gone).unwrap();
        let mut expect = text.clone();
        for n in [3, 16] {
            let entry = format!(
                "  - image_url: muscles/png/Leg-Gastrocnemius-{n}.png\n    caption: 'The gastrocnemius muscle of the leg - orientation {n}'\n    title: 'The gastrocnemius muscle of the leg - orientation {n}'\n"
            );
            assert!(expect.contains(&entry));
            expect = expect.replacen(&entry, "", 1);
        }
        assert_eq!(out, expect);
        // Nothing to remove: byte-identical.
        assert_eq!(
            remove_gallery_entries(&text, &["x.png".into()]).unwrap(),
            text
        );
        // CRLF, comments and a nested value; the comment after the entry stays.
        let crlf = "---\r\ngallery:\r\n  - image_url: a/X-1.png # one\r\n    meta: {w: 1}\r\n  # about two\r\n  - image_url: \"a/X-2.png\"\r\n---\r\n";
        assert_eq!(
            remove_gallery_entries(crlf, &["a/X-1.png".into()]).unwrap(),
            "---\r\ngallery:\r\n  # about two\r\n  - image_url: \"a/X-2.png\"\r\n---\r\n"
        );
        // Flow style and aliases are refused rather than guessed.
        assert!(remove_gallery_entries(
            "---\ngallery: [{image_url: a/X-1.png}, {image_url: a/X-2.png}]\n---\n",
            &["a/X-1.png".into()]
        )
        .is_err());
        assert!(remove_gallery_entries(
            "---\nu: &u a/X-1.png\ngallery:\n  - image_url: *u\n  - image_url: b.png\n---\n",
            &["a/X-1.png".into()]
        )
        .is_err());
    }
}
