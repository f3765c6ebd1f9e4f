//! Front matter: find it the way Jekyll does and read the manifest from it.
//!
//! The page belongs to the user, so this module never re-serialises YAML:
//! it parses the front-matter slice into a small tree whose scalars carry
//! their byte span *in the file*, which is what a surgical editor needs and
//! what error messages need (line and column in the file, not the slice).
//!
//! Parser choice: `saphyr-parser` (MIT/Apache, maintained, a YAML 1.2 event
//! parser with positions). `serde_yaml` is deprecated and its libyaml port
//! has an advisory; serde front ends do not say where a value sits.
//! saphyr's markers count characters, not bytes, so spans are converted here.

pub mod edit;
pub mod gallery;
mod manifest;

pub use manifest::{column_of, line_of, Manifest};

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span};

use crate::error::{Error, Result};

/// Where the front matter sits in a page's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// Byte range of the YAML between the fences (empty if there is none).
    pub yaml: Range<usize>,
    /// 1-based line number, in the file, of the YAML's first line.
    pub first_line: usize,
}

/// Finds the front matter: first line `---` (after an optional BOM), up to
/// the next line that is `---` or `...`; trailing blanks and CRLF allowed.
pub fn split(text: &str) -> Option<Split> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let bom = text.len() - body.len();
    let first_end = body.find('\n')?;
    if body[..first_end].trim_end() != "---" {
        return None;
    }
    let start = bom + first_end + 1;
    let mut pos = start;
    while pos <= text.len() {
        let end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
        let l = text[pos..end].trim_end();
        if l == "---" || l == "..." {
            return Some(Split {
                yaml: start..pos,
                first_line: 2,
            });
        }
        if end == text.len() {
            break;
        }
        pos = end + 1;
    }
    None
}

/// True when the text starts like a Jekyll page (first line `---`).
pub fn has_front_matter(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let line = head.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    line.iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map(|i| &line[..=i])
        == Some(b"---")
}

/// How a scalar is written in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

/// A scalar with its place in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scalar {
    pub value: String,
    pub style: Style,
    /// Byte range in the file of the scalar as written (quotes included).
    pub span: Range<usize>,
    /// Reached through an alias: editing it would change another value too.
    pub aliased: bool,
}

/// A YAML node of the front matter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Node {
    pub fn as_scalar(&self) -> Option<&Scalar> {
        match self {
            Node::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The value of `key` in a mapping; with duplicate keys the last wins,
    /// as in Jekyll (Ruby's Psych).
    pub fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(entries) => entries
                .iter()
                .rev()
                .find(|(k, _)| k.as_scalar().is_some_and(|s| s.value == key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// True for an empty plain scalar (`key:` with nothing after it) or `~`/`null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Node::Scalar(s) if s.style == Style::Plain
            && matches!(s.value.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }
}

/// A key given more than once in one mapping: YAML forbids it, but Jekyll
/// (Ruby's Psych) takes the last value without a word, so a page can
/// silently lose a `title` or a whole `gallery`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateKey {
    pub key: String,
    /// Byte offset in the file of the key's first occurrence.
    pub first: usize,
    /// Byte offset in the file of this later occurrence.
    pub again: usize,
}

/// Every later occurrence of a key already given in the same mapping, at
/// any depth (top-level keys, keys of gallery entries...), in file order.
/// Keys reached through an alias are the anchor's, reported there.
pub fn duplicate_keys(root: &Node) -> Vec<DuplicateKey> {
    let mut found = Vec::new();
    collect_duplicates(root, &mut found);
    found.sort_by_key(|d| d.again);
    found
}

fn collect_duplicates(node: &Node, found: &mut Vec<DuplicateKey>) {
    match node {
        Node::Scalar(_) => {}
        Node::Seq(items) => items.iter().for_each(|n| collect_duplicates(n, found)),
        Node::Map(entries) => {
            let mut seen: HashMap<&str, usize> = HashMap::new();
            for (key, value) in entries {
                if let Some(k) = key.as_scalar().filter(|k| !k.aliased) {
                    match seen.get(k.value.as_str()) {
                        Some(&first) => found.push(DuplicateKey {
                            key: k.value.clone(),
                            first,
                            again: k.span.start,
                        }),
                        None => {
                            seen.insert(&k.value, k.span.start);
                        }
                    }
                }
                collect_duplicates(value, found);
            }
        }
    }
}

/// Parses the YAML of a page's front matter. `path` only names the file in
/// errors. Returns `None` for a page without front matter.
pub fn parse(text: &str, path: &Path) -> Result<Option<Node>> {
    let Some(split) = split(text) else {
        return Ok(None);
    };
    let yaml = &text[split.yaml.clone()];
    let offsets = CharOffsets::new(yaml, split.yaml.start);
    let to_error = |e: ScanError| Error::FrontMatter {
        path: path.to_path_buf(),
        line: split.first_line + e.marker().line().saturating_sub(1),
        column: e.marker().col() + 1,
        message: e.info().to_string(),
    };
    let mut builder = TreeBuilder::default();
    let mut parser = Parser::new_from_str(yaml);
    let mut documents = 0;
    while let Some(event) = parser.next_event() {
        let (event, span) = event.map_err(to_error)?;
        if let Event::DocumentStart(_) = event {
            documents += 1;
            if documents > 1 {
                return Err(Error::FrontMatter {
                    path: path.to_path_buf(),
                    line: split.first_line + span.start.line().saturating_sub(1),
                    column: span.start.col() + 1,
                    message: "more than one YAML document in front matter".into(),
                });
            }
        }
        builder.push(event, span, &offsets);
    }
    match builder.root {
        Some(root @ Node::Map(_)) => Ok(Some(root)),
        // An empty front matter is an empty mapping for Jekyll.
        None => Ok(Some(Node::Map(Vec::new()))),
        Some(n) if n.is_null() => Ok(Some(Node::Map(Vec::new()))),
        Some(_) => Err(Error::FrontMatter {
            path: path.to_path_buf(),
            line: split.first_line,
            column: 1,
            message: "front matter is not a mapping of keys to values".into(),
        }),
    }
}

/// Converts saphyr's character indices to byte offsets in the file.
struct CharOffsets {
    /// Byte offset in the file of each char of the slice, plus its end.
    bytes: Vec<usize>,
}

impl CharOffsets {
    fn new(slice: &str, base: usize) -> Self {
        let mut bytes: Vec<usize> = slice.char_indices().map(|(i, _)| base + i).collect();
        bytes.push(base + slice.len());
        CharOffsets { bytes }
    }

    fn byte(&self, char_index: usize) -> usize {
        let last = self.bytes.len() - 1;
        self.bytes[char_index.min(last)]
    }
}

/// Turns the event stream into a [`Node`] tree.
#[derive(Default)]
struct TreeBuilder {
    stack: Vec<Node>,
    /// Anchor id of each open collection, parallel to `stack`.
    anchors_open: Vec<usize>,
    anchors: HashMap<usize, Node>,
    /// A mapping key waiting for its value, per open mapping.
    pending_keys: Vec<Option<Node>>,
    root: Option<Node>,
}

impl TreeBuilder {
    fn push(&mut self, event: Event<'_>, span: Span, offsets: &CharOffsets) {
        match event {
            Event::Scalar(value, style, anchor, _tag) => {
                let start = offsets.byte(span.start.index());
                let end = offsets.byte(span.end.index());
                let node = Node::Scalar(Scalar {
                    value: value.into_owned(),
                    style: match style {
                        ScalarStyle::Plain => Style::Plain,
                        ScalarStyle::SingleQuoted => Style::SingleQuoted,
                        ScalarStyle::DoubleQuoted => Style::DoubleQuoted,
                        ScalarStyle::Literal => Style::Literal,
                        ScalarStyle::Folded => Style::Folded,
                    },
                    span: start..end,
                    aliased: false,
                });
                if anchor != 0 {
                    self.anchors.insert(anchor, node.clone());
                }
                self.add(node);
            }
            Event::Alias(id) => {
                let node = self.anchors.get(&id).cloned().map(mark_aliased);
                // An alias to an unknown anchor is a parse error already.
                self.add(node.unwrap_or(Node::Map(Vec::new())));
            }
            Event::SequenceStart(anchor, _) => {
                self.stack.push(Node::Seq(Vec::new()));
                self.anchors_open.push(anchor);
                self.pending_keys.push(None);
            }
            Event::MappingStart(anchor, _) => {
                self.stack.push(Node::Map(Vec::new()));
                self.anchors_open.push(anchor);
                self.pending_keys.push(None);
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let (Some(node), Some(anchor)) = (self.stack.pop(), self.anchors_open.pop()) {
                    self.pending_keys.pop();
                    if anchor != 0 {
                        self.anchors.insert(anchor, node.clone());
                    }
                    self.add(node);
                }
            }
            _ => {}
        }
    }

    fn add(&mut self, node: Node) {
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Node::Seq(items)) => items.push(node),
            Some(Node::Map(entries)) => {
                let slot = self
                    .pending_keys
                    .last_mut()
                    .expect("one pending slot per open collection");
                match slot.take() {
                    None => *slot = Some(node),
                    Some(key) => entries.push((key, node)),
                }
            }
            Some(Node::Scalar(_)) => unreachable!("scalars are never pushed on the stack"),
        }
    }
}

fn mark_aliased(node: Node) -> Node {
    match node {
        Node::Scalar(mut s) => {
            s.aliased = true;
            Node::Scalar(s)
        }
        Node::Seq(items) => Node::Seq(items.into_iter().map(mark_aliased).collect()),
        Node::Map(entries) => Node::Map(
            entries
                .into_iter()
                .map(|(k, v)| (mark_aliased(k), mark_aliased(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "---\n\nlayout: page\ntitle: 'é ›› x'\nimages:\n  - image_id: 'g'\n    image_name: 'muscles/gif/G.gif'\n    image_alt: 'alt' \ngallery:\n  - image_url: muscles/png/G-1.png\n    caption: 'c 1'\n    title: 't'\n    title: 't'\n---\nbody ››\n";

    #[test]
    fn split_finds_yaml_between_fences() {
        let s = split(PAGE).unwrap();
        assert_eq!(&PAGE[s.yaml.start..s.yaml.start + 7], "\nlayout");
        assert!(PAGE[s.yaml.end..].starts_with("---\nbody"));
    }

    #[test]
    fn split_allows_bom_crlf_and_dots() {
        let t = "\u{feff}---\r\na: 1\r\n...\r\nrest";
        let s = split(t).unwrap();
        assert_eq!(&t[s.yaml.clone()], "a: 1\r\n");
        assert!(split("no fence\n---\n").is_none());
        assert!(split("---\nnever closed\n").is_none());
        assert!(has_front_matter(b"\xef\xbb\xbf--- \r\n"));
        assert!(!has_front_matter(b"----\n"));
    }

    #[test]
    fn spans_are_bytes_in_the_file_even_after_non_ascii() {
        let root = parse(PAGE, Path::new("p.md")).unwrap().unwrap();
        let m = Manifest::from_front_matter(&root, PAGE, Path::new("p.md")).unwrap();
        let name = &m.images[0].image_name;
        assert_eq!(name.value, "muscles/gif/G.gif");
        assert_eq!(&PAGE[name.span.clone()], "'muscles/gif/G.gif'");
        let url = &m.gallery[0].image_url;
        assert_eq!(&PAGE[url.span.clone()], "muscles/png/G-1.png");
        assert_eq!(url.style, Style::Plain);
    }

    #[test]
    fn errors_give_file_line_and_column() {
        let page = "---\ntitle: ok\ngallery:\n  - image_url: 'unterminated\n---\n";
        let e = parse(page, Path::new("bad.md")).unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("bad.md:"), "{msg}");
        let Error::FrontMatter { line, .. } = e else {
            panic!("{msg}")
        };
        assert!(line >= 4, "{msg}");
    }

    #[test]
    fn duplicate_keys_are_found_at_any_depth_in_file_order() {
        let page = "---\ntitle: a\ngallery:\n  - image_url: x.png\n    image_url: y.png\ntitle: b\ngallery: []\ntitle: c\n---\n";
        let root = parse(page, Path::new("p.md")).unwrap().unwrap();
        let found: Vec<(String, &str, &str)> = duplicate_keys(&root)
            .into_iter()
            .map(|d| {
                (
                    d.key,
                    &page[d.first..d.first + 3],
                    &page[d.again..d.again + 7],
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                ("image_url".to_string(), "ima", "image_u"),
                ("title".to_string(), "tit", "title: "),
                ("gallery".to_string(), "gal", "gallery"),
                ("title".to_string(), "tit", "title: "),
            ]
        );
        // Jekyll's reading: the last one wins.
        assert!(root.get("gallery").unwrap().as_scalar().is_none());
        assert_eq!(root.get("title").unwrap().as_scalar().unwrap().value, "c");
        // Each gallery entry on its own has no duplicates.
        let ok =
            "---\ngallery:\n  - image_url: a\n    title: t\n  - image_url: b\n    title: t\n---\n";
        let root = parse(ok, Path::new("p.md")).unwrap().unwrap();
        assert!(duplicate_keys(&root).is_empty());
    }

    #[test]
    fn aliases_are_marked() {
        let page = "---\nbase: &b muscles/png/A-1.png\ngallery:\n  - image_url: *b\n---\n";
        let root = parse(page, Path::new("p.md")).unwrap().unwrap();
        let m = Manifest::from_front_matter(&root, page, Path::new("p.md")).unwrap();
        assert!(m.gallery[0].image_url.aliased);
        assert_eq!(m.gallery[0].image_url.value, "muscles/png/A-1.png");
    }
}
