//! The site: its root, its settings, its pages, and the only door between
//! site-relative paths and the file system.
//!
//! All paths the library hands around are relative to the site root (that is
//! also how they appear in messages and in the JSON report). This module is
//! the one place that joins them to the root, and every read and write of a
//! site file goes through [`Site::read`], [`Site::write`] and their
//! siblings, which refuse a path that resolves outside the site before any
//! other I/O on it.

mod discover;
pub(crate) use discover::glob_match;
pub mod fs;
pub mod paths;

use std::path::{Path, PathBuf};

pub use fs::WriteOutcome;

use crate::error::{Error, Result};
use crate::settings::{Overrides, Settings, SiteConfig};
use paths::is_plain_relative;

/// An opened site: root folder, `_config.yml` contents and resolved settings.
#[derive(Debug, Clone)]
pub struct Site {
    /// The folder holding `_config.yml`, as given.
    pub root: PathBuf,
    /// The same folder, canonical: what "inside the site" is checked against.
    canonical_root: PathBuf,
    pub config: SiteConfig,
    /// Every setting given (by `urlimg`, `_config.yml` or flags) and where from.
    pub overrides: Overrides,
    pub settings: Settings,
}

impl Site {
    /// Opens the site at `root`: reads `_config.yml` and resolves the
    /// settings (defaults < `urlimg` < `assetgen:` < `flags`).
    pub fn open(root: &Path, flags: &Overrides) -> Result<Site> {
        let canonical_root = root.canonicalize().map_err(|e| Error::Site {
            path: root.to_path_buf(),
            message: format!("cannot open site folder: {e}"),
        })?;
        let config_path = root.join("_config.yml");
        let text = match std::fs::read_to_string(&config_path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::Site {
                    path: root.to_path_buf(),
                    message: "no _config.yml here; run in the site folder or pass --site DIR"
                        .into(),
                })
            }
            Err(e) => return Err(Error::io("_config.yml", e)),
        };
        let config = SiteConfig::parse(&text, Path::new("_config.yml"))?;
        let overrides = config.overrides().merge(flags.clone());
        let settings = overrides.resolve();
        let site = Site {
            root: root.to_path_buf(),
            canonical_root,
            config,
            overrides,
            settings,
        };
        for (key, dir) in [
            ("source", &site.settings.source),
            ("output", &site.settings.output),
        ] {
            site.check_setting_path(key, dir)?;
        }
        // Lossy output written over the renders would lose them for good.
        if site.in_place() && site.settings.png_lossy {
            return Err(site.config_error(
                "png_lossy",
                "cannot be used when source and output are the same folder: \
                 it would overwrite the renders",
            ));
        }
        Ok(site)
    }

    /// An error about a setting.
    fn config_error(&self, key: &str, message: &str) -> Error {
        Error::Config {
            file: PathBuf::from("_config.yml"),
            key: format!("assetgen.{key}"),
            message: message.to_string(),
        }
    }

    fn check_setting_path(&self, key: &str, dir: &Path) -> Result<()> {
        let bad = |message: &str| self.config_error(key, &format!("'{}' {message}", dir.display()));
        if !is_plain_relative(dir) {
            return Err(bad("must be a folder inside the site"));
        }
        if let Ok(real) = self.root.join(dir).canonicalize() {
            if !real.starts_with(&self.canonical_root) {
                return Err(bad("resolves outside the site (symlink)"));
            }
        }
        Ok(())
    }

    /// The file system path of a site-relative path. Only for messages
    /// and for handing to a user; I/O goes through the methods below.
    pub fn abs(&self, rel: &Path) -> PathBuf {
        self.root.join(rel)
    }

    /// True when renders and published files share one folder.
    pub fn in_place(&self) -> bool {
        self.settings.source == self.settings.output
    }

    /// Source of a front-matter path: `<source>/P`.
    pub fn source_of(&self, p: &Path) -> PathBuf {
        self.settings.source.join(p)
    }

    /// Published copy of a front-matter path: `<output>/P`.
    pub fn output_of(&self, p: &Path) -> PathBuf {
        self.settings.output.join(p)
    }

    /// Checks, on disk, that `rel` does not resolve outside the site through
    /// a symlink (the file, or the nearest existing folder above it).
    /// `page` is the page the path came from, for the message.
    pub fn check_on_disk(&self, rel: &Path, page: &Path) -> Result<()> {
        let mut probe = self.abs(rel);
        loop {
            match probe.canonicalize() {
                Ok(real) => {
                    return if real.starts_with(&self.canonical_root) {
                        Ok(())
                    } else {
                        Err(Error::UnsafePath {
                            page: page.to_path_buf(),
                            value: rel.display().to_string(),
                            reason: "a symlink points outside the site root".into(),
                        })
                    };
                }
                Err(_) => {
                    if !probe.pop() {
                        return Ok(());
                    }
                }
            }
        }
    }

    /// Reads a file a page needs (a render, a page): missing is
    /// [`Error::MissingSource`], listed in `page`.
    pub fn read(&self, rel: &Path, page: &Path) -> Result<Vec<u8>> {
        self.check_on_disk(rel, page)?;
        std::fs::read(self.abs(rel)).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::MissingSource {
                path: rel.to_path_buf(),
                page: page.to_path_buf(),
            },
            _ => Error::io(rel, e),
        })
    }

    /// Reads a generated file if it is there and inside the site (`None`
    /// otherwise: it will be made, or refused when written).
    pub fn read_existing(&self, rel: &Path) -> Option<Vec<u8>> {
        self.check_on_disk(rel, rel).ok()?;
        std::fs::read(self.abs(rel)).ok()
    }

    /// True when `rel` is a regular file inside the site.
    pub fn is_file(&self, rel: &Path) -> bool {
        self.check_on_disk(rel, rel).is_ok() && self.abs(rel).is_file()
    }

    /// Writes `bytes` to `rel` atomically unless it already holds them,
    /// refusing a path that resolves outside the site (`page` names the
    /// page it is for, in that message).
    pub fn write(&self, rel: &Path, bytes: &[u8], page: &Path) -> Result<WriteOutcome> {
        self.check_on_disk(rel, page)?;
        fs::write_if_changed(&self.abs(rel), bytes, rel)
    }

    /// Creates `rel` with `bytes`, atomically, refusing to replace a file
    /// that exists (even one made while this was being written).
    pub fn create(&self, rel: &Path, bytes: &[u8]) -> Result<()> {
        self.check_on_disk(rel, rel)?;
        fs::create_new(&self.abs(rel), bytes, rel)
    }

    /// Removes a generated file.
    pub fn remove(&self, rel: &Path) -> Result<()> {
        self.check_on_disk(rel, rel)?;
        std::fs::remove_file(self.abs(rel)).map_err(|e| Error::io(rel, e))
    }

    /// Size and modification time of a file inside the site, if it is one.
    pub fn file_state(&self, rel: &Path) -> Option<(u64, Option<std::time::SystemTime>)> {
        self.check_on_disk(rel, rel).ok()?;
        let meta = std::fs::metadata(self.abs(rel)).ok()?;
        meta.is_file().then(|| (meta.len(), meta.modified().ok()))
    }

    /// The site-relative form of an absolute path under the root (as a
    /// file watcher reports it), or `None` outside the site.
    pub fn rel_of_abs(&self, abs: &Path) -> Option<PathBuf> {
        abs.strip_prefix(&self.canonical_root)
            .or_else(|_| abs.strip_prefix(&self.root))
            .ok()
            .map(Path::to_path_buf)
    }

    /// The site root, canonical (what a file watcher reports paths under).
    pub fn canonical_root(&self) -> &Path {
        &self.canonical_root
    }

    /// Names of the files in the site root itself (not in its folders), sorted.
    pub fn root_file_names(&self) -> Result<Vec<String>> {
        let entries = std::fs::read_dir(&self.root).map_err(|e| Error::io(".", e))?;
        let mut names: Vec<String> = entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .collect();
        names.sort();
        Ok(names)
    }

    /// Takes the site's lock, calling `on_wait` once if another run holds it.
    pub fn lock(&self, on_wait: impl FnOnce()) -> Result<fs::SiteLock> {
        fs::lock_site(&self.root, on_wait)
    }

    /// A page named on the command line (relative to the site root or to
    /// the current folder), as a site-relative path.
    pub fn page_arg(&self, page: &Path) -> Result<PathBuf> {
        let in_site = self.root.join(page);
        let path = if in_site.is_file() {
            in_site
        } else {
            page.to_path_buf()
        };
        let usage = |message: String| Error::Site {
            path: page.to_path_buf(),
            message,
        };
        let real = path
            .canonicalize()
            .map_err(|_| usage("no such page".into()))?;
        real.strip_prefix(&self.canonical_root)
            .map(Path::to_path_buf)
            .map_err(|_| usage(format!("not inside the site {}", self.root.display())))
    }
}
