//! The site: its root, its settings, its pages, and the only door between
//! site-relative paths and the file system.
//!
//! All paths the library hands around are relative to the site root (that is
//! also how they appear in messages and in the JSON report). This module is
//! the one place that joins them to the root, and every read and write of a
//! site file goes through [`Site::read`], [`Site::write`] and their
//! siblings, which refuse a path that resolves outside the site before any
//! other I/O on it, read and replace only regular files (never opening a
//! FIFO or a device, which could block forever), and stop reading when the
//! run is cancelled.

mod discover;
pub(crate) use discover::glob_match;
pub mod fs;
pub mod paths;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub use fs::WriteOutcome;

use crate::error::{Error, Result};
use crate::settings::{Overrides, Settings, SiteConfig};
use paths::is_plain_relative;

/// Reads `_config.yml`, which like every file of the site must be a
/// regular file inside it.
fn read_config(root: &Path, canonical_root: &Path) -> Result<String> {
    let path = root.join("_config.yml");
    let site_error = |message: &str| Error::Site {
        path: root.to_path_buf(),
        message: message.to_string(),
    };
    if let Ok(real) = path.canonicalize() {
        if !real.starts_with(canonical_root) {
            return Err(site_error(
                "_config.yml is a symlink pointing outside the site folder; refusing to read it",
            ));
        }
    }
    let bytes = match fs::read_regular(&path, Path::new("_config.yml"), &fs::NEVER) {
        Ok(b) => b,
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            return Err(site_error(
                "no _config.yml here; run in the site folder or pass --site DIR",
            ))
        }
        Err(Error::NotRegular { what, .. }) => {
            return Err(site_error(&format!(
                "_config.yml is {what}, not a regular file; refusing to read it"
            )))
        }
        // The settings cannot be read: a configuration error (exit 2).
        Err(Error::Io { source, .. }) => {
            return Err(Error::Site {
                path,
                message: format!("cannot read: {}", crate::error::plain(&source)),
            })
        }
        Err(e) => return Err(e),
    };
    String::from_utf8(bytes).map_err(|_| Error::Site {
        path,
        message: "cannot read: stream did not contain valid UTF-8".into(),
    })
}

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
    /// Set to stop the run (Ctrl-C): reads in progress stop and none start.
    cancel: Arc<AtomicBool>,
}

impl Site {
    /// The site root: `given` (`--site`), which must be a folder, or else
    /// the nearest folder holding `_config.yml` from the current folder
    /// upwards, as cargo, git and hugo find theirs.
    pub fn locate(given: Option<&Path>) -> Result<PathBuf> {
        let usage = |path: &Path, message: &str| Error::Site {
            path: path.to_path_buf(),
            message: message.to_string(),
        };
        if let Some(dir) = given {
            return match std::fs::metadata(dir) {
                Ok(m) if m.is_dir() => Ok(dir.to_path_buf()),
                Ok(_) => Err(usage(
                    dir,
                    "--site names a file; give the folder holding _config.yml",
                )),
                Err(_) => Err(usage(dir, "--site: no such folder")),
            };
        }
        let here = std::env::current_dir().map_err(|e| Error::io(".", e))?;
        let mut dir = here.as_path();
        loop {
            // Any `_config.yml` marks the root, a FIFO or folder too:
            // opening the site then says what is wrong with it.
            if dir.join("_config.yml").exists() {
                // Relative to here when inside it, so messages stay short.
                return Ok(match here.strip_prefix(dir) {
                    Ok(rest) if rest.as_os_str().is_empty() => PathBuf::from("."),
                    Ok(rest) => rest.components().map(|_| "..").collect(),
                    Err(_) => dir.to_path_buf(),
                });
            }
            match dir.parent() {
                Some(up) => dir = up,
                None => {
                    return Err(usage(
                        Path::new("."),
                        "no _config.yml here or in any folder above; run in the site folder or pass --site DIR",
                    ))
                }
            }
        }
    }

    /// Opens the site at `root`: reads `_config.yml` and resolves the
    /// settings (defaults < `urlimg` < `assetgen:` < `flags`).
    pub fn open(root: &Path, flags: &Overrides) -> Result<Site> {
        let canonical_root = root.canonicalize().map_err(|e| Error::Site {
            path: root.to_path_buf(),
            message: format!("cannot open site folder: {}", crate::error::plain(&e)),
        })?;
        let text = read_config(root, &canonical_root)?;
        let config = SiteConfig::parse(&text, Path::new("_config.yml"))?;
        let overrides = config.overrides().merge(flags.clone());
        let settings = overrides.resolve();
        let site = Site {
            root: root.to_path_buf(),
            canonical_root,
            config,
            overrides,
            settings,
            cancel: Arc::new(AtomicBool::new(false)),
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

    /// The same site, its reads and lock waits stopped by `flag` (Ctrl-C).
    pub fn with_cancel(mut self, flag: Arc<AtomicBool>) -> Site {
        self.cancel = flag;
        self
    }

    /// True once the run has been asked to stop.
    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// An error about a setting.
    fn config_error(&self, key: &str, message: &str) -> Error {
        Error::Config {
            file: PathBuf::from("_config.yml"),
            at: None,
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
        fs::read_regular(&self.abs(rel), rel, &self.cancel).map_err(|e| match e {
            Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                Error::MissingSource {
                    path: rel.to_path_buf(),
                    page: page.to_path_buf(),
                }
            }
            e => e,
        })
    }

    /// Reads a generated file if it is there, inside the site and a
    /// regular file (`None` otherwise: it will be made, or refused when
    /// written).
    pub fn read_existing(&self, rel: &Path) -> Option<Vec<u8>> {
        self.check_on_disk(rel, rel).ok()?;
        fs::read_regular(&self.abs(rel), rel, &self.cancel).ok()
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

    /// Takes the site's lock, calling `on_wait` once if another run holds
    /// it; waiting stops with [`Error::Cancelled`] when the run is cancelled.
    pub fn lock(&self, on_wait: impl FnOnce()) -> Result<fs::SiteLock> {
        fs::lock_site(&self.root, on_wait, &self.cancel)
    }

    /// Removes the temporary files (`.assetgen-XXXXXX.tmp`) that killed runs
    /// left in `folders` (site-relative; with `true`, the folders under it
    /// too, symlinks not followed) and nothing else. Only with the site's
    /// lock held, so that no live run owns them. A folder that resolves
    /// outside the site is skipped.
    pub fn sweep_temp_files(&self, folders: &[(PathBuf, bool)], _lock: &fs::SiteLock) {
        for (folder, recursive) in folders {
            if self.check_on_disk(folder, folder).is_err() {
                continue;
            }
            let walker = walkdir::WalkDir::new(self.abs(folder))
                .follow_links(false)
                .max_depth(if *recursive { usize::MAX } else { 1 });
            for entry in walker.into_iter().flatten() {
                let ours = entry.file_name().to_str().is_some_and(fs::is_temp_name);
                if ours && entry.file_type().is_file() {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
    }

    /// A page that does not exist yet, as given on the command line:
    /// relative to the current folder when the folder it goes in is there
    /// and inside the site (as a shell completes it), else to the site root.
    /// Site-relative.
    pub fn new_page_arg(&self, page: &Path) -> Result<PathBuf> {
        let outside = || Error::Usage {
            path: page.to_path_buf(),
            message: format!("not inside the site {}", self.root.display()),
        };
        let here = std::env::current_dir().map(|d| d.join(page)).ok();
        let in_site = here.as_ref().and_then(|p| {
            let folder = p.parent()?.canonicalize().ok()?;
            let rel = folder.strip_prefix(&self.canonical_root).ok()?;
            Some(rel.join(p.file_name()?))
        });
        use std::path::Component::{CurDir, Normal};
        match in_site {
            Some(rel) => Ok(rel),
            None if page.components().all(|c| matches!(c, CurDir | Normal(_))) => {
                Ok(page.components().filter(|c| *c != CurDir).collect())
            }
            None => Err(outside()),
        }
    }

    /// A page named on the command line (relative to the current folder,
    /// or to the site root), as a site-relative path. Anything that is not
    /// a page of this site is a usage error, said in one line.
    pub fn page_arg(&self, page: &Path) -> Result<PathBuf> {
        let usage = |message: String| Error::Site {
            path: page.to_path_buf(),
            message,
        };
        let path = if page.exists() {
            page.to_path_buf()
        } else {
            self.root.join(page)
        };
        let meta = std::fs::metadata(&path).map_err(|_| usage("no such page".into()))?;
        if meta.is_dir() {
            return Err(usage(
                "is a folder; name the pages in it, or none to build the whole site".into(),
            ));
        }
        let real = path
            .canonicalize()
            .map_err(|e| usage(crate::error::plain(&e)))?;
        let rel = real
            .strip_prefix(&self.canonical_root)
            .map(Path::to_path_buf)
            .map_err(|_| usage(format!("not inside the site {}", self.root.display())))?;
        if !discover::is_page_name(&rel) || !discover::starts_with_fence(&real) {
            return Err(usage(
                "not a page with front matter (a .md, .markdown or .html file whose first line is ---)".into(),
            ));
        }
        Ok(rel)
    }
}
