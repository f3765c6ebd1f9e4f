//! Property tests of the front-matter reader and editor: the parser never
//! panics on arbitrary input, and for generated front matter and generated
//! new values an edit re-parses to exactly the intended manifest with every
//! byte outside the edited values unchanged; removing entries takes out
//! exactly their lines.

use std::path::Path;

use proptest::prelude::*;

use assetgen::{apply_edits as apply, remove_gallery_entries, render, Edit};
use assetgen::{parse_front_matter as parse, Manifest};

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn parser_never_panics(body in any::<Vec<u8>>(), fence in any::<bool>()) {
        let mut text = if fence { "---\n".to_string() } else { String::new() };
        text.push_str(&String::from_utf8_lossy(&body));
        text.push_str("\n---\n");
        if let Ok(Some(root)) = parse(&text, Path::new("p.md")) {
            let _ = Manifest::from_front_matter(&root, &text, Path::new("p.md"));
        }
    }

    #[test]
    fn edits_change_exactly_the_intended_values(
        entries in prop::collection::vec((value(), 0..3usize, comment()), 1..6),
        new_values in prop::collection::vec(value(), 6),
        crlf in any::<bool>(),
        lead in "[a-zé›› ]{0,12}",
    ) {
        let nl = if crlf { "\r\n" } else { "\n" };
        let mut text = format!("---{nl}title: '{}'{nl}gallery:{nl}", lead.replace('\'', "''"));
        for (v, style, comment) in &entries {
            let written = match style {
                0 if plain_ok(v) => v.clone(),
                0 | 1 => format!("'{}'", v.replace('\'', "''")),
                _ => format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\"")),
            };
            text.push_str(&format!("  - image_url: {written}{comment}{nl}    caption: 'c é'{nl}"));
        }
        text.push_str(&format!("---{nl}body ›› {lead}{nl}"));

        let root = parse(&text, Path::new("p.md")).unwrap().unwrap();
        let m = Manifest::from_front_matter(&root, &text, Path::new("p.md")).unwrap();
        prop_assert_eq!(m.gallery.len(), entries.len());
        let edits: Vec<Edit> = m.gallery.iter().zip(&new_values)
            .map(|(g, v)| Edit { scalar: g.image_url.clone(), new_value: v.clone() })
            .collect();
        let out = apply(&text, &edits).unwrap();

        let root2 = parse(&out, Path::new("p.md")).unwrap().unwrap();
        let m2 = Manifest::from_front_matter(&root2, &out, Path::new("p.md")).unwrap();
        for (g, v) in m2.gallery.iter().zip(&new_values) {
            prop_assert_eq!(&g.image_url.value, v);
        }
        // Every byte outside the edited values is unchanged: walking both
        // texts, the parts between edited spans are identical.
        let mut old_pos = 0;
        let mut new_pos = 0;
        for ((a, b), v) in m.gallery.iter().zip(&m2.gallery).zip(&new_values) {
            let (sa, sb) = (&a.image_url.span, &b.image_url.span);
            prop_assert_eq!(&text[old_pos..sa.start], &out[new_pos..sb.start]);
            old_pos = sa.start + written_len(&text[sa.start..]);
            let rendered = render(v, a.image_url.style).unwrap();
            prop_assert!(out[sb.start..].starts_with(&rendered));
            new_pos = sb.start + rendered.len();
        }
        prop_assert_eq!(&text[old_pos..], &out[new_pos..]);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn removing_entries_takes_out_exactly_their_lines(
        entries in prop::collection::vec((value(), 0..3usize, comment(), any::<bool>()), 1..6),
        crlf in any::<bool>(),
    ) {
        let nl = if crlf { "\r\n" } else { "\n" };
        let head = format!("---{nl}title: x{nl}gallery:{nl}");
        let tail = format!("---{nl}body{nl}");
        let mut lines = Vec::new();
        for (v, style, comment, _) in &entries {
            let written = match style {
                0 if plain_ok(v) => v.clone(),
                0 | 1 => format!("'{}'", v.replace('\'', "''")),
                _ => format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\"")),
            };
            lines.push(format!("  - image_url: {written}{comment}{nl}    caption: 'c é'{nl}"));
        }
        let text = format!("{head}{}{tail}", lines.concat());
        let gone: Vec<String> = entries.iter().filter(|e| e.3).map(|e| e.0.clone()).collect();
        let kept: String = entries
            .iter()
            .zip(&lines)
            .filter(|(e, _)| !gone.contains(&e.0))
            .map(|(_, l)| l.as_str())
            .collect();
        match remove_gallery_entries(&text, &gone) {
            Ok(out) => prop_assert_eq!(out, format!("{head}{kept}{tail}")),
            // Emptying the gallery leaves `gallery:` null, which the
            // verification refuses; nothing else may be refused here.
            Err(e) => prop_assert!(kept.is_empty(), "refused: {}", e),
        }
    }
}

/// Values a path or caption could take, including characters that force
/// quoting (`: `, ` #`, quotes, backslashes, leading indicators).
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9/_.-]{1,20}",
        "[a-z ]{0,3}[:#'\"\\\\!&*|>%@`-]{0,2}[a-zé ›]{0,7}[a-z]",
        Just("yes".to_string()),
        Just("12".to_string()),
        Just("a: b".to_string()),
        Just("x #y".to_string()),
    ]
}

fn comment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("   # note".to_string()),
        Just(" ".to_string())
    ]
}

/// Conservative: the generator writes plain only what is obviously plain.
fn plain_ok(v: &str) -> bool {
    !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_.".contains(c))
        && v.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && !matches!(
            v.to_ascii_lowercase().as_str(),
            "yes" | "no" | "on" | "off" | "y" | "n" | "true" | "false" | "null"
        )
}

/// Length of the scalar written at the start of `s` (quoted, or plain as
/// the generator writes it: no spaces).
fn written_len(s: &str) -> usize {
    let b = s.as_bytes();
    match b.first() {
        Some(b'\'') => {
            let mut i = 1;
            loop {
                if b[i] == b'\'' {
                    if b.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    return i + 1;
                }
                i += 1;
            }
        }
        Some(b'"') => {
            let mut i = 1;
            loop {
                match b[i] {
                    b'\\' => i += 2,
                    b'"' => return i + 1,
                    _ => i += 1,
                }
            }
        }
        _ => s.find([' ', '\r', '\n']).unwrap_or(s.len()),
    }
}
