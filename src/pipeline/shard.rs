//! Scaling a build out over machines: `build --shard K/N` builds a share
//! of the pages, and `cache merge` joins what the shares recorded into one
//! build cache, so that the next build anywhere is a no-op.
//!
//! A page's share is a stable hash of its site-relative path (BLAKE3, as
//! the cache uses, never `DefaultHasher`), so a page stays in its share as
//! pages are added or removed and every machine agrees on the split with
//! no coordination. The shares are balanced in expectation: with a few
//! dozen pages per share they differ by a few pages.
//!
//! A shard never writes `.assetgen-cache.json`. It writes a *fragment*,
//! `.assetgen-cache.K-of-N.json`: the cache entries of every output of its
//! pages (written or already up to date) and the list of files it wrote,
//! which is what a CI job has to hand on. Shards can so run side by side on
//! machines that start from the same restored cache, or one after another
//! in one folder, and their fragments never overlap but where two pages
//! share a frame (then they agree, or the merge refuses).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::kind::Kind;
use crate::pipeline::cache::{self, hash, slash, Cache, Entry};
use crate::settings::Settings;
use crate::site::Site;

/// One share of the pages: the `K`th of `N` (1-based, as CI matrices count).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// True when `page` (site-relative) belongs to this share.
    pub fn contains(&self, page: &Path) -> bool {
        shard_of(page, self.count) == self.index
    }

    /// The fragment file this share writes in the site root.
    pub fn fragment_name(&self) -> String {
        format!(".assetgen-cache.{}-of-{}.json", self.index, self.count)
    }
}

/// The share (1-based) of `page` among `count`.
pub fn shard_of(page: &Path, count: u32) -> u32 {
    let digest = blake3::hash(slash(page).as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest.as_bytes()[..8]);
    (u64::from_le_bytes(first) % u64::from(count.max(1))) as u32 + 1
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    /// `K/N` with 1 <= K <= N.
    fn from_str(s: &str) -> std::result::Result<Shard, String> {
        let bad = || format!("expected K/N with 1 <= K <= N (e.g. 2/4), got '{s}'");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (u32, u32) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

/// What a shard hands on: its outputs' cache entries and the files it wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fragment {
    /// The cache format these entries are in.
    pub version: u32,
    /// `K/N`.
    pub shard: String,
    /// A hash of assetgen's version and every setting that shapes an
    /// output: fragments made with different settings do not make one build.
    pub settings: String,
    /// Cache entries of every output of the shard's pages, by path.
    pub outputs: BTreeMap<String, Entry>,
    /// Every file the shard wrote (outputs and pages), site-relative:
    /// what a CI job hands on to the job that merges.
    pub written: Vec<String>,
}

impl Fragment {
    /// The fragment of `shard`: the entries `cache` holds for `touched`.
    pub fn new(
        shard: Shard,
        settings: &Settings,
        cache: &Cache,
        touched: &BTreeSet<String>,
        written: Vec<String>,
    ) -> Fragment {
        let outputs = touched
            .iter()
            .filter_map(|p| cache.outputs.get(p).map(|e| (p.clone(), e.clone())))
            .collect();
        Fragment {
            version: cache::VERSION,
            shard: shard.to_string(),
            settings: settings_hash(settings),
            outputs,
            written,
        }
    }

    /// Writes it to the site root (atomically, like every file).
    pub fn save(&self, site: &Site, shard: Shard) -> Result<()> {
        let name = PathBuf::from(shard.fragment_name());
        let mut text = serde_json::to_vec_pretty(self).unwrap_or_default();
        text.push(b'\n');
        site.write(&name, &text, &name).map(|_| ())
    }
}

/// Everything that makes two builds' outputs comparable: assetgen's version
/// and the settings that shape each kind.
fn settings_hash(settings: &Settings) -> String {
    let mut text = String::from(env!("CARGO_PKG_VERSION"));
    for kind in Kind::ALL {
        text.push('\0');
        text.push_str(&settings.shaping(*kind));
    }
    hash(text.as_bytes())[..16].to_string()
}

/// What `cache merge` did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MergeReport {
    /// The fragments joined (and removed), in shard order.
    pub merged: Vec<String>,
    /// Entries taken from them.
    pub outputs: usize,
    pub elapsed_ms: u64,
}

/// Joins every fragment in the site root into `.assetgen-cache.json` and
/// removes them. They must be all the shares of one split (`1/N` to
/// `N/N`), of this cache format and made with the same settings; two
/// fragments may only both hold a path when they agree on it.
pub fn merge(site: &Site) -> Result<MergeReport> {
    let started = Instant::now();
    let mut found: Vec<(Shard, String)> = Vec::new();
    for name in site.root_file_names()? {
        if let Some(shard) = fragment_shard(&name) {
            found.push((shard, name));
        }
    }
    found.sort();
    let usage = |path: &str, message: String| Error::Usage {
        path: PathBuf::from(path),
        message,
    };
    let Some((first, first_name)) = found.first().cloned() else {
        return Err(usage(
            cache::FILE_NAME,
            "no cache fragments (.assetgen-cache.K-of-N.json) in the site root to merge; \
             run assetgen build --shard K/N first"
                .into(),
        ));
    };
    if let Some((_, other)) = found.iter().find(|(s, _)| s.count != first.count) {
        return Err(usage(
            other,
            format!("is from a split into another number of shards than {first_name}"),
        ));
    }
    let missing: Vec<Shard> = (1..=first.count)
        .map(|index| Shard {
            index,
            count: first.count,
        })
        .filter(|s| !found.iter().any(|(f, _)| f == s))
        .collect();
    if let Some(gap) = missing.first() {
        let list: Vec<String> = missing.iter().map(Shard::to_string).collect();
        return Err(usage(
            &gap.fragment_name(),
            format!(
                "missing: merge needs every shard of the split, and {} did not hand on its fragment",
                list.join(", ")
            ),
        ));
    }

    let mut fragments: Vec<(String, Fragment)> = Vec::new();
    for (_, name) in &found {
        let bytes = site.read(Path::new(name), Path::new(name))?;
        let fragment: Fragment = serde_json::from_slice(&bytes)
            .map_err(|e| usage(name, format!("not a cache fragment: {e}")))?;
        if fragment.version != cache::VERSION {
            return Err(usage(
                name,
                format!(
                    "made by an assetgen with cache format {} (this one: {}); rebuild the shards",
                    fragment.version,
                    cache::VERSION
                ),
            ));
        }
        if let Some((other, f)) = fragments.first() {
            if f.settings != fragment.settings {
                return Err(usage(
                    name,
                    format!("made with other settings or another assetgen than {other}"),
                ));
            }
        }
        fragments.push((name.clone(), fragment));
    }

    let mut cache = Cache::load(site);
    let mut owner: BTreeMap<&str, (&str, &Entry)> = BTreeMap::new();
    let mut outputs = 0;
    for (name, fragment) in &fragments {
        for (path, entry) in &fragment.outputs {
            if let Some((other, e)) = owner.get(path.as_str()) {
                if *e != entry {
                    return Err(usage(
                        name,
                        format!("disagrees with {other} about {path}; rebuild both shards"),
                    ));
                }
                continue;
            }
            owner.insert(path, (name, entry));
            cache.outputs.insert(path.clone(), entry.clone());
            outputs += 1;
        }
    }
    cache.save(site)?;
    for (name, _) in &fragments {
        site.remove(Path::new(name))?;
    }
    Ok(MergeReport {
        merged: fragments.into_iter().map(|(n, _)| n).collect(),
        outputs,
        elapsed_ms: started.elapsed().as_millis() as u64,
    })
}

/// The shard a fragment's file name says it is from.
fn fragment_shard(name: &str) -> Option<Shard> {
    let middle = name
        .strip_prefix(".assetgen-cache.")?
        .strip_suffix(".json")?;
    let (k, n) = middle.split_once("-of-")?;
    format!("{k}/{n}").parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_name_their_fragments() {
        let s: Shard = "2/4".parse().unwrap();
        assert_eq!(s, Shard { index: 2, count: 4 });
        assert_eq!(s.fragment_name(), ".assetgen-cache.2-of-4.json");
        assert_eq!(fragment_shard(&s.fragment_name()), Some(s));
        for bad in ["0/4", "5/4", "2", "a/b", "1/0", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        assert_eq!(fragment_shard(".assetgen-cache.json"), None);
    }

    #[test]
    fn every_page_is_in_exactly_one_share_and_stays_there() {
        let pages: Vec<PathBuf> = (0..400)
            .map(|i| PathBuf::from(format!("pages/m/page{i:04}.md")))
            .collect();
        let mut sizes = [0usize; 4];
        for p in &pages {
            let owners: Vec<u32> = (1..=4)
                .filter(|k| {
                    Shard {
                        index: *k,
                        count: 4,
                    }
                    .contains(p)
                })
                .collect();
            assert_eq!(owners.len(), 1, "{}", p.display());
            sizes[owners[0] as usize - 1] += 1;
            // A pure function of the path: the same wherever it runs.
            assert_eq!(shard_of(p, 4), owners[0]);
        }
        // Balanced: 100 each in expectation.
        assert!(sizes.iter().all(|&n| (70..=130).contains(&n)), "{sizes:?}");
    }
}
