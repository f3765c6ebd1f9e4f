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

/// File name of the cache, in the site root.
pub const FILE_NAME: &str = ".assetgen-cache.json";
// 3: entries flag renders optimised in place. Older caches are dropped
// (one rebuild) rather than trusted: they would list renders as outputs.
pub const VERSION: u32 = 3;

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// BLAKE3 of the file's bytes, hex.
    pub hash: String,
    /// What it was made from (see [`output_key`]).
    pub key: String,
    /// A render optimised in place: the user's file, never removed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub render: bool,
}

/// Generated files by site-relative path (with `/`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cache {
    version: u32,
    pub outputs: BTreeMap<String, Entry>,
}

impl Cache {
    /// Loads the cache; anything unreadable or of another version is empty.
    pub fn load(root: &Path) -> Cache {
        std::fs::read(root.join(FILE_NAME))
            .ok()
            .and_then(|b| serde_json::from_slice::<Cache>(&b).ok())
            .filter(|c| c.version == VERSION)
            .unwrap_or_default()
    }

    /// Writes the cache if its content changed (a no-op build writes nothing).
    pub fn save(&mut self, root: &Path) -> Result<()> {
        self.version = VERSION;
        let mut text = serde_json::to_vec_pretty(self).unwrap_or_default();
        text.push(b'\n');
        crate::site::fs::write_if_changed(&root.join(FILE_NAME), &text, Path::new(FILE_NAME))
            .map(|_| ())
    }

    /// Records a generated file; `render` when it is a render optimised in
    /// place rather than a file assetgen made up.
    pub fn record(&mut self, path: &Path, bytes: &[u8], key: &str, render: bool) {
        self.outputs.insert(
            slash(path),
            Entry {
                hash: hash(bytes),
                key: key.to_string(),
                render,
            },
        );
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
            .filter(|(_, e)| !e.render)
            .map(|(p, _)| PathBuf::from(p))
    }

    /// True when `path` is a file assetgen made up (not a render).
    pub fn is_generated(&self, path: &Path) -> bool {
        self.outputs.get(&slash(path)).is_some_and(|e| !e.render)
    }

    /// True when the file still holds what was generated.
    pub fn matches(&self, path: &Path, bytes: &[u8]) -> bool {
        self.outputs
            .get(&slash(path))
            .is_some_and(|e| e.hash == hash(bytes))
    }

    /// True when `path` was made from `key` and still holds what was written.
    pub fn is_fresh(&self, path: &Path, key: &str, bytes: &[u8]) -> bool {
        self.outputs
            .get(&slash(path))
            .is_some_and(|e| e.key == key && e.hash == hash(bytes))
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

/// Site-relative path as the report and the cache write it: with `/`.
pub fn slash(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrupt_or_old_cache_is_empty_not_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), b"{not json").unwrap();
        assert_eq!(Cache::load(dir.path()), Cache::default());
        std::fs::write(dir.path().join(FILE_NAME), br#"{"version":2,"outputs":{}}"#).unwrap();
        assert_eq!(Cache::load(dir.path()), Cache::default());
    }

    #[test]
    fn round_trips_and_freshness() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Cache::default();
        c.record(Path::new("assets/a.png"), b"x", "k1", false);
        c.record(Path::new("assets/r.png"), b"y", "k2", true);
        c.save(dir.path()).unwrap();
        let back = Cache::load(dir.path());
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
        assert!(back.is_fresh(Path::new("assets/a.png"), "k1", b"x"));
        assert!(!back.is_fresh(Path::new("assets/a.png"), "k2", b"x"));
        assert!(!back.is_fresh(Path::new("assets/a.png"), "k1", b"edited"));
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
