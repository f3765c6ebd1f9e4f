//! Arbitrary bytes as a page: reading the front matter and the manifest
//! must never panic, and where a gallery is found, the editor's operations
//! (a no-op edit, renaming every entry, removing one, appending one) either
//! refuse or return a page that still parses. Panics are the bugs sought;
//! a refusal is a correct answer.
#![no_main]

use std::path::Path;

use assetgen::{append_gallery, apply_edits as apply, remove_gallery_entries, Edit};
use assetgen::{parse_front_matter as parse, Manifest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("page.md");
    let Ok(Some(root)) = parse(text, path) else {
        return;
    };
    let Ok(manifest) = Manifest::from_front_matter(&root, text, path) else {
        return;
    };
    let same: Vec<Edit> = manifest
        .gallery
        .iter()
        .map(|g| Edit {
            scalar: g.image_url.clone(),
            new_value: g.image_url.value.clone(),
        })
        .collect();
    if let Ok(out) = apply(text, &same) {
        assert_eq!(out, text, "a no-op edit changed the page");
    }
    let renamed: Vec<Edit> = manifest
        .gallery
        .iter()
        .map(|g| Edit {
            scalar: g.image_url.clone(),
            new_value: format!("{}-3fa2c9d1: #x", g.image_url.value),
        })
        .collect();
    for out in [
        apply(text, &renamed),
        remove_gallery_entries(
            text,
            &manifest
                .gallery
                .first()
                .map(|g| vec![g.image_url.value.clone()])
                .unwrap_or_default(),
        ),
        append_gallery(text, &["a/X-99.png".to_string()]),
    ]
    .into_iter()
    .flatten()
    {
        assert!(
            matches!(parse(&out, path), Ok(Some(_))),
            "an accepted edit made the page unreadable"
        );
    }
});
