//! The site: its root, its settings, its pages, and the path conventions
//! that tie a front-matter path to files on disk.
//!
//! All paths the library hands around are relative to the site root (that is
//! also how they appear in messages and in the JSON report); this module is
//! the one place that joins them to the root, and the one place that decides
//! whether a path from a page is allowed to be touched at all.

pub mod fs;

use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};
use crate::frontmatter;
use crate::settings::{Overrides, Settings, SiteConfig};

/// Folders never searched for pages, whatever `_config.yml` says.
const ALWAYS_SKIPPED: &[&str] = &[
    "_site",
    ".git",
    ".jekyll-cache",
    "node_modules",
    "vendor",
    "target",
];

/// Page file extensions Jekyll renders.
const PAGE_EXTENSIONS: &[&str] = &["md", "markdown", "html"];

/// An opened site: root folder, `_config.yml` contents and resolved settings.
#[derive(Debug, Clone)]
pub struct Site {
    /// The folder holding `_config.yml`, as given.
    pub root: PathBuf,
    /// The same folder, canonical: what "inside the site" is checked against.
    canonical_root: PathBuf,
    pub config: SiteConfig,
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
        let mut base = Overrides::default();
        if let Some(output) = config.output_from_urlimg() {
            base.output = Some(output);
        }
        let settings = base
            .merge(config.overrides.clone())
            .merge(flags.clone())
            .resolve();
        let site = Site {
            root: root.to_path_buf(),
            canonical_root,
            config,
            settings,
        };
        for (key, dir) in [
            ("source", &site.settings.source),
            ("output", &site.settings.output),
        ] {
            site.check_setting_path(key, dir)?;
        }
        // Lossy output written over the renders would lose them for good.
        if site.in_place() && site.settings.png.lossy {
            return Err(Error::Config {
                file: PathBuf::from("_config.yml"),
                key: "assetgen.png_lossy".into(),
                message: "cannot be used when source and output are the same folder: \
                          it would overwrite the renders"
                    .into(),
            });
        }
        Ok(site)
    }

    fn check_setting_path(&self, key: &str, dir: &Path) -> Result<()> {
        let bad = |message: &str| Error::Config {
            file: PathBuf::from("_config.yml"),
            key: format!("assetgen.{key}"),
            message: format!("'{}' {message}", dir.display()),
        };
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

    /// The file system path of a site-relative path.
    pub fn abs(&self, rel: &Path) -> PathBuf {
        self.root.join(rel)
    }

    /// True when renders and published files share one folder.
    pub fn in_place(&self) -> bool {
        self.settings.source == self.settings.output
    }

    /// Every page under the root whose first line is `---`, sorted, as
    /// site-relative paths.
    pub fn discover_pages(&self) -> Result<Vec<PathBuf>> {
        let mut pages = Vec::new();
        let walker = walkdir::WalkDir::new(&self.root)
            .follow_links(false)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !self.is_skipped(e.path()));
        for entry in walker {
            let entry = entry.map_err(|e| {
                let path = e.path().map(|p| self.rel(p)).unwrap_or_default();
                Error::Io {
                    path,
                    source: e.into(),
                }
            })?;
            if !entry.file_type().is_file() {
                continue;
            }
            let path = entry.path();
            let is_page = path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| PAGE_EXTENSIONS.contains(&e));
            if is_page && starts_with_fence(path) {
                pages.push(self.rel(path));
            }
        }
        Ok(pages)
    }

    /// Site-relative form of a path under the root.
    fn rel(&self, path: &Path) -> PathBuf {
        path.strip_prefix(&self.root).unwrap_or(path).to_path_buf()
    }

    fn is_skipped(&self, path: &Path) -> bool {
        let rel = self.rel(path);
        if let Some(name) = rel.file_name().and_then(|n| n.to_str()) {
            if rel.components().count() == 1 && ALWAYS_SKIPPED.contains(&name) {
                return true;
            }
        }
        if rel.starts_with(&self.settings.source) || rel.starts_with(&self.settings.output) {
            return true;
        }
        let rel_str = rel.to_string_lossy().replace('\\', "/");
        self.config
            .exclude
            .iter()
            .any(|pattern| exclude_matches(pattern, &rel_str))
    }

    /// Checks a path written in a page (relative to the output root) and
    /// returns it as a clean relative path. Refuses absolute paths, `..`,
    /// URLs and anything else that could name a file outside the site.
    pub fn check_front_matter_path(&self, value: &str, page: &Path) -> Result<PathBuf> {
        let refuse = |reason: &str| Error::UnsafePath {
            page: page.to_path_buf(),
            value: value.to_string(),
            reason: reason.to_string(),
        };
        if value.contains("://") || value.starts_with("//") {
            return Err(refuse("a URL, not a file of this site"));
        }
        if value.contains('\\') || value.contains('\0') {
            return Err(refuse("backslashes and NUL are not allowed in paths"));
        }
        let path = Path::new(value);
        if path.is_absolute() || value.starts_with('/') {
            return Err(refuse(
                "absolute paths are not allowed; write it relative to the image folder",
            ));
        }
        if !is_plain_relative(path) {
            return Err(refuse("'..' would leave the site root"));
        }
        Ok(path
            .components()
            .filter(|c| matches!(c, Component::Normal(_)))
            .collect())
    }

    /// Checks, on disk, that `rel` does not resolve outside the site through
    /// a symlink (the file, or the nearest existing folder above it).
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

    /// Source of a front-matter path: `<source>/P`.
    pub fn source_of(&self, p: &Path) -> PathBuf {
        self.settings.source.join(p)
    }

    /// Published copy of a front-matter path: `<output>/P`.
    pub fn output_of(&self, p: &Path) -> PathBuf {
        self.settings.output.join(p)
    }
}

/// Thumbnail name of a front-matter path: `name-thumb.ext`.
pub fn thumb_name(p: &Path) -> PathBuf {
    with_stem_suffix(p, "-thumb")
}

/// Length of the fingerprint in generated names (hex digits).
pub const FINGERPRINT_LEN: usize = 8;

/// `dir/Name-1.png` + `3fa2c9d1` -> `dir/Name-1-3fa2c9d1.png`.
pub fn with_fingerprint(p: &Path, fp: &str) -> PathBuf {
    with_stem_suffix(p, &format!("-{fp}"))
}

/// Appends to the file stem, before the extension. The site's template
/// derives URLs by splitting on '.', so generated names add no dot.
fn with_stem_suffix(p: &Path, suffix: &str) -> PathBuf {
    let stem = p
        .file_stem()
        .map(|s| s.to_string_lossy())
        .unwrap_or_default();
    let name = match p.extension() {
        Some(ext) => format!("{stem}{suffix}.{}", ext.to_string_lossy()),
        None => format!("{stem}{suffix}"),
    };
    p.with_file_name(name)
}

/// `dir/Name-1-3fa2c9d1.png` -> `dir/Name-1.png`; `None` when the name
/// carries no fingerprint.
pub fn strip_fingerprint(p: &Path) -> Option<PathBuf> {
    let stem = p.file_stem()?.to_str()?;
    let (base, fp) = stem.rsplit_once('-')?;
    let is_fp = fp.len() == FINGERPRINT_LEN
        && fp
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !is_fp || base.is_empty() {
        return None;
    }
    Some(match p.extension() {
        Some(ext) => p.with_file_name(format!("{base}.{}", ext.to_string_lossy())),
        None => p.with_file_name(base),
    })
}

/// A path made only of normal components (no root, no `..`, not empty).
fn is_plain_relative(p: &Path) -> bool {
    p.components().next().is_some()
        && p.components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

fn starts_with_fence(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 16];
    let Ok(mut file) = std::fs::File::open(path) else {
        return false;
    };
    let mut filled = 0;
    while filled < head.len() {
        match file.read(&mut head[filled..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => filled += n,
        }
    }
    frontmatter::has_front_matter(&head[..filled])
}

/// Jekyll `exclude:` entries are site-relative paths (a folder excludes
/// everything in it) and may use `*` wildcards, as in File.fnmatch.
fn exclude_matches(pattern: &str, rel: &str) -> bool {
    let pattern = pattern
        .trim()
        .trim_start_matches("./")
        .trim_end_matches('/');
    if pattern.is_empty() {
        return false;
    }
    if !pattern.contains('/') && !pattern.contains('*') {
        // A bare name: that entry at the root (Jekyll matches from the root).
        return rel == pattern || rel.starts_with(&format!("{pattern}/"));
    }
    let depth = pattern.split('/').count();
    let prefix: Vec<&str> = rel.split('/').take(depth).collect();
    if prefix.len() < depth {
        return false;
    }
    glob_match(pattern, &prefix.join("/"))
}

/// `*` matches any run of characters except '/'; everything else is literal.
fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some(s) = star.filter(|_| t[mark] != '/') {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumb_names_add_no_dot() {
        assert_eq!(
            thumb_name(Path::new("muscles/png/Leg-Gastrocnemius-1.png")),
            PathBuf::from("muscles/png/Leg-Gastrocnemius-1-thumb.png")
        );
    }

    #[test]
    fn fingerprints_round_trip_without_extra_dots() {
        let p = Path::new("muscles/png/Leg-Gastrocnemius-1.png");
        let f = with_fingerprint(p, "3fa2c9d1");
        assert_eq!(
            f,
            PathBuf::from("muscles/png/Leg-Gastrocnemius-1-3fa2c9d1.png")
        );
        assert_eq!(
            thumb_name(&f),
            PathBuf::from("muscles/png/Leg-Gastrocnemius-1-3fa2c9d1-thumb.png")
        );
        assert_eq!(strip_fingerprint(&f).as_deref(), Some(p));
        assert_eq!(strip_fingerprint(p), None);
        assert_eq!(strip_fingerprint(Path::new("a/X-3FA2C9D1.png")), None);
    }

    #[test]
    fn excludes_match_like_jekyll() {
        assert!(exclude_matches("vendor", "vendor/x.md"));
        assert!(exclude_matches("tests/", "tests/fixtures/site/pages/a.md"));
        assert!(exclude_matches("README.md", "README.md"));
        assert!(!exclude_matches("README.md", "docs/README.md"));
        assert!(exclude_matches("*.gemspec", "x.gemspec"));
        assert!(exclude_matches("drafts/*.md", "drafts/a.md"));
        assert!(!exclude_matches("drafts/*.md", "pages/a.md"));
        assert!(!exclude_matches("src", "srcs/a.md"));
    }

    fn site() -> Site {
        Site {
            root: PathBuf::from("."),
            canonical_root: PathBuf::from("/"),
            config: SiteConfig::default(),
            settings: Settings::default(),
        }
    }

    #[test]
    fn front_matter_paths_may_not_leave_the_site() {
        let s = site();
        let page = Path::new("p.md");
        assert!(s
            .check_front_matter_path("muscles/png/A-1.png", page)
            .is_ok());
        for bad in [
            "../secret.png",
            "/etc/passwd",
            "a/../../b.png",
            "https://x/y.png",
            "a\\b.png",
        ] {
            let e = s.check_front_matter_path(bad, page).unwrap_err();
            assert!(e.to_string().starts_with("p.md: refusing path"), "{e}");
        }
        assert_eq!(
            s.check_front_matter_path("./a/b.png", page).unwrap(),
            PathBuf::from("a/b.png")
        );
    }
}
