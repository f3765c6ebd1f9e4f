//! The manifest: what assetgen reads from a page's front matter, its
//! `images:` (named images, one of which may be the gallery's animation)
//! and its `gallery:` (the turntable's frames, in order), each value with
//! its place in the file so it can be rewritten in place.

use std::path::Path;

use super::{Node, Scalar};
use crate::error::{Error, Result};

/// An `images:` entry: a named image of the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageEntry {
    pub image_name: Scalar,
}

/// A `gallery:` entry: one frame of the turntable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GalleryEntry {
    pub image_url: Scalar,
}

/// What assetgen reads from a page: its images and its gallery.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    pub images: Vec<ImageEntry>,
    pub gallery: Vec<GalleryEntry>,
}

impl Manifest {
    pub fn is_empty(&self) -> bool {
        self.images.is_empty() && self.gallery.is_empty()
    }

    /// Reads `images` and `gallery` from a parsed front matter. Entries
    /// without the key assetgen needs are errors naming the page and line.
    pub fn from_front_matter(root: &Node, text: &str, path: &Path) -> Result<Manifest> {
        let images = list(root, "images", "image_name", text, path)?
            .into_iter()
            .map(|image_name| ImageEntry { image_name })
            .collect();
        let gallery = list(root, "gallery", "image_url", text, path)?
            .into_iter()
            .map(|image_url| GalleryEntry { image_url })
            .collect();
        Ok(Manifest { images, gallery })
    }
}

/// The `field` scalar of each mapping in the `key` sequence.
fn list(root: &Node, key: &str, field: &str, text: &str, path: &Path) -> Result<Vec<Scalar>> {
    let Some(node) = root.get(key) else {
        return Ok(Vec::new());
    };
    if node.is_null() {
        return Ok(Vec::new());
    }
    let Node::Seq(items) = node else {
        return Err(Error::Manifest {
            path: path.to_path_buf(),
            message: format!("'{key}' must be a list of entries with '{field}'"),
        });
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match item.get(field).and_then(Node::as_scalar) {
            Some(s) if !s.value.trim().is_empty() => out.push(s.clone()),
            _ => {
                let line = first_span(item).map_or(0, |at| line_of(text, at));
                return Err(Error::Manifest {
                    path: path.to_path_buf(),
                    message: format!("line {line}: {key} entry {} has no '{field}'", i + 1),
                });
            }
        }
    }
    Ok(out)
}

fn first_span(node: &Node) -> Option<usize> {
    match node {
        Node::Scalar(s) => Some(s.span.start),
        Node::Seq(items) => items.iter().find_map(first_span),
        Node::Map(entries) => entries.iter().find_map(|(k, _)| first_span(k)),
    }
}

/// 1-based column (in characters) of a byte offset.
pub fn column_of(text: &str, at: usize) -> usize {
    let at = at.min(text.len());
    let before = text.get(..at).unwrap_or(text);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    text.get(line_start..at)
        .map_or(1, |s| s.chars().count() + 1)
}

/// 1-based line number of a byte offset.
pub fn line_of(text: &str, at: usize) -> usize {
    text.as_bytes()[..at.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    #[test]
    fn entry_without_url_is_an_error_with_its_line() {
        let page = "---\ngallery:\n  - caption: x\n---\n";
        let root = parse(page, Path::new("p.md")).unwrap().unwrap();
        let e = Manifest::from_front_matter(&root, page, Path::new("p.md")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "p.md: line 3: gallery entry 1 has no 'image_url'"
        );
    }

    #[test]
    fn page_without_manifest_is_empty() {
        let page = "---\ntitle: x\nimages:\n---\n";
        let root = parse(page, Path::new("p.md")).unwrap().unwrap();
        assert!(Manifest::from_front_matter(&root, page, Path::new("p.md"))
            .unwrap()
            .is_empty());
        assert!(parse("# just markdown\n", Path::new("p.md"))
            .unwrap()
            .is_none());
    }
}
