//! The build cache: `.assetgen-cache.json` in the site root.
//!
//! For every file assetgen wrote it records a BLAKE3 hash of the file's
//! bytes and the *key* it was made from: a hash of assetgen's version, the
//! output kind, every setting that shapes that kind of output, and the
//! hashes of its source frames. An output is up to date when its key is
//! unchanged and the file still holds what was written (so deleted or
//! hand-edited outputs are rebuilt). Only hashes are stored, no mtimes, so
//! the cache is the same whatever `-j` and whenever it was built; a no-op
//! build reads and hashes files (BLAKE3 runs at GB/s) but decodes nothing.
//!
//! It is also the record of what assetgen made: `clean` only removes files
//! listed here, and only while they hold what was written, so hand-made and
//! hand-edited files are never deleted. Renders optimised in place (source
//! and output roots the same folder) are listed too, to know they are
//! ours when fresh, but flagged as renders: they are the user's originals,
//! never candidates for removal. A missing, old-format or corrupt
//! cache is never an error: it only costs a rebuild. BLAKE3 is stable
//! across versions and platforms, unlike `DefaultHasher`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::site::Site;

/// File name of the cache, in the site root.
pub const FILE_NAME: &str = ".assetgen-cache.json";
// 4: a render optimised in place keeps the hash of the bytes it was made
// from, and entries a short hash of their sources. Older caches are
// dropped (one rebuild) rather than trusted.
pub const VERSION: u32 = 4;

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// BLAKE3 of the file's bytes, hex.
    pub hash: String,
    /// What it was made from (see [`output_key`]).
    pub key: String,
    /// A short hash of its sources alone, to tell a user whether its frames
    /// or its settings changed when it is stale.
    pub sources: String,
    /// For a render optimised in place (the user's file, never removed):
    /// the hash of the render it was made from. That stays the frame's
    /// identity for every other output, so replacing a render by its
    /// lossless copy leaves its thumbnail and GIF up to date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

/// What an output was made from, as the cache records it.
#[derive(Debug, Clone, Copy)]
pub struct Made<'a> {
    pub key: &'a str,
    pub sources: &'a str,
    /// `Some(identity)` for a render optimised in place.
    pub origin: Option<&'a str>,
}

/// Generated files by site-relative path (with `/`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cache {
    version: u32,
    pub outputs: BTreeMap<String, Entry>,
}

impl Cache {
    /// Loads the site's cache, through the site like any file (so never
    /// from outside it, nor from a FIFO); anything unreadable or of another
    /// version is empty.
    pub fn load(site: &Site) -> Cache {
        site.read_existing(Path::new(FILE_NAME))
            .and_then(|b| serde_json::from_slice::<Cache>(&b).ok())
            .filter(|c| c.version == VERSION)
            .unwrap_or_default()
    }

    /// Writes the cache if its content changed (a no-op build writes nothing).
    pub fn save(&mut self, site: &Site) -> Result<()> {
        self.version = VERSION;
        let mut text = serde_json::to_vec_pretty(self).unwrap_or_default();
        text.push(b'\n');
        let path = Path::new(FILE_NAME);
        site.write(path, &text, path).map(|_| ())
    }

    /// Records a generated file and what it was made from.
    pub fn record(&mut self, path: &Path, bytes: &[u8], made: Made<'_>) {
        self.outputs.insert(
            slash(path),
            Entry {
                hash: hash(bytes),
                key: made.key.to_string(),
                sources: made.sources.to_string(),
                origin: made.origin.map(str::to_string),
            },
        );
    }

    /// What is recorded for `path`.
    pub fn entry(&self, path: &Path) -> Option<&Entry> {
        self.outputs.get(&slash(path))
    }

    /// The identity of a frame whose file hashes to `bytes_hash`: the hash
    /// itself, or, for a render assetgen optimised in place and that still
    /// holds what was written, the hash of the render it was made from.
    pub fn identity(&self, path: &Path, bytes_hash: &str) -> String {
        match self.entry(path) {
            Some(Entry {
                hash,
                origin: Some(origin),
                ..
            }) if hash == bytes_hash => origin.clone(),
            _ => bytes_hash.to_string(),
        }
    }

    pub fn forget(&mut self, path: &Path) {
        self.outputs.remove(&slash(path));
    }

    /// Recorded paths, site-relative.
    pub fn paths(&self) -> impl Iterator<Item = PathBuf> + '_ {
        self.outputs.keys().map(PathBuf::from)
    }

    /// Paths of files assetgen made up (not renders optimised in place):
    /// the only files `clean` may remove.
    pub fn generated(&self) -> impl Iterator<Item = PathBuf> + '_ {
        self.outputs
            .iter()
            .filter(|(_, e)| e.origin.is_none())
            .map(|(p, _)| PathBuf::from(p))
    }

    /// True when `path` is a file assetgen made up (not a render).
    pub fn is_generated(&self, path: &Path) -> bool {
        self.entry(path).is_some_and(|e| e.origin.is_none())
    }

    /// True when the file still holds what was generated.
    pub fn matches(&self, path: &Path, bytes: &[u8]) -> bool {
        self.outputs
            .get(&slash(path))
            .is_some_and(|e| e.hash == hash(bytes))
    }
}

pub fn hash(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// The key of an output: what it is made from. `settings` must describe
/// every setting that shapes this kind of output and nothing else, so that
/// changing one setting rebuilds exactly the outputs it shapes.
pub fn output_key(kind: &str, settings: &str, source_hashes: &[&str]) -> String {
    let mut h = blake3::Hasher::new();
    for part in [env!("CARGO_PKG_VERSION"), kind, settings] {
        h.update(part.as_bytes());
        h.update(&[0]);
    }
    for s in source_hashes {
        h.update(s.as_bytes());
        h.update(&[0]);
    }
    h.finalize().to_hex().to_string()
}

/// A short hash of an output's sources alone (see [`Entry::sources`]).
pub fn sources_key(source_hashes: &[&str]) -> String {
    hash(source_hashes.join("\0").as_bytes())[..16].to_string()
}

/// Site-relative path as the report and the cache write it: with `/`.
pub fn slash(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(dir: &Path) -> Site {
        std::fs::write(dir.join("_config.yml"), "title: t\n").unwrap();
        Site::open(dir, &Default::default()).unwrap()
    }

    #[test]
    fn corrupt_or_old_cache_is_empty_not_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let site = site(dir.path());
        std::fs::write(dir.path().join(FILE_NAME), b"{not json").unwrap();
        assert_eq!(Cache::load(&site), Cache::default());
        std::fs::write(dir.path().join(FILE_NAME), br#"{"version":2,"outputs":{}}"#).unwrap();
        assert_eq!(Cache::load(&site), Cache::default());
    }

    fn made(key: &'static str, origin: Option<&'static str>) -> Made<'static> {
        Made {
            key,
            sources: "s",
            origin,
        }
    }

    #[test]
    fn round_trips_and_knows_renders() {
        let dir = tempfile::tempdir().unwrap();
        let site = site(dir.path());
        let mut c = Cache::default();
        c.record(Path::new("assets/a.png"), b"x", made("k1", None));
        c.record(Path::new("assets/r.png"), b"y", made("k2", Some("orig")));
        c.save(&site).unwrap();
        let back = Cache::load(&site);
        assert_eq!(back, c);
        // Both are known, only the made-up file may ever be removed.
        assert_eq!(back.paths().count(), 2);
        assert_eq!(
            back.generated().collect::<Vec<_>>(),
            [PathBuf::from("assets/a.png")]
        );
        assert!(back.is_generated(Path::new("assets/a.png")));
        assert!(!back.is_generated(Path::new("assets/r.png")));
        assert!(back.matches(Path::new("assets/r.png"), b"y"));
        assert!(back.matches(Path::new("assets/a.png"), b"x"));
        // A render optimised in place keeps the identity it was made from,
        // while it holds what was written.
        let r = Path::new("assets/r.png");
        assert_eq!(back.identity(r, &hash(b"y")), "orig");
        assert_eq!(back.identity(r, &hash(b"new render")), hash(b"new render"));
        let a = Path::new("assets/a.png");
        assert_eq!(back.identity(a, &hash(b"x")), hash(b"x"));
    }

    #[test]
    fn keys_depend_on_kind_settings_and_sources_in_order() {
        let k = output_key("gif", "s", &["a", "b"]);
        assert_eq!(k, output_key("gif", "s", &["a", "b"]));
        assert_ne!(k, output_key("gif", "s", &["b", "a"]));
        assert_ne!(k, output_key("gif", "t", &["a", "b"]));
        assert_ne!(k, output_key("png", "s", &["a", "b"]));
        assert_ne!(output_key("x", "ab", &[]), output_key("x", "a", &["b"]));
    }
}
