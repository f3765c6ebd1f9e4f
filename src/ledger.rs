//! The record of generated files: `.assetgen-cache.json` in the site root.
//!
//! assetgen must never delete a file it did not make (in in-place mode the
//! image folder also holds hand-made assets), so `clean` only removes files
//! listed here, and only when their content still has the hash recorded
//! (a file edited by hand is kept). The hash is BLAKE3: stable across
//! versions and platforms, unlike `DefaultHasher`. A missing or unreadable
//! record is never an error; it only means nothing is known to be ours.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::fsio::write_atomic;

/// File name of the record, in the site root.
pub const FILE_NAME: &str = ".assetgen-cache.json";
const VERSION: u32 = 1;

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// BLAKE3 of the file's bytes, hex.
    pub hash: String,
}

/// Generated files by site-relative path (with `/`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    version: u32,
    pub outputs: BTreeMap<String, Entry>,
}

impl Ledger {
    /// Loads the record; anything unreadable counts as empty.
    pub fn load(root: &Path) -> Ledger {
        std::fs::read(root.join(FILE_NAME))
            .ok()
            .and_then(|b| serde_json::from_slice::<Ledger>(&b).ok())
            .filter(|l| l.version == VERSION)
            .unwrap_or_default()
    }

    pub fn save(&mut self, root: &Path) -> Result<()> {
        self.version = VERSION;
        let mut text = serde_json::to_vec_pretty(self).unwrap_or_default();
        text.push(b'\n');
        write_atomic(&root.join(FILE_NAME), &text, Path::new(FILE_NAME))
    }

    pub fn record(&mut self, path: &Path, bytes: &[u8]) {
        self.outputs
            .insert(slash(path), Entry { hash: hash(bytes) });
    }

    pub fn forget(&mut self, path: &Path) {
        self.outputs.remove(&slash(path));
    }

    /// Recorded paths, site-relative.
    pub fn paths(&self) -> impl Iterator<Item = PathBuf> + '_ {
        self.outputs.keys().map(PathBuf::from)
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

/// Site-relative path as the report and the record write it: with `/`.
pub fn slash(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrupt_record_is_empty_not_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), b"{not json").unwrap();
        assert_eq!(Ledger::load(dir.path()), Ledger::default());
    }

    #[test]
    fn round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let mut l = Ledger::default();
        l.record(Path::new("assets/a.png"), b"x");
        l.save(dir.path()).unwrap();
        let back = Ledger::load(dir.path());
        assert!(back.matches(Path::new("assets/a.png"), b"x"));
        assert!(!back.matches(Path::new("assets/a.png"), b"y"));
    }
}
