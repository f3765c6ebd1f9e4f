//! Finding the pages: every `.md`, `.markdown` or `.html` file under the
//! root whose first line is `---`, except where Jekyll would not look
//! (its own folders, `exclude:`, names starting with a dot unless
//! `include:` names them) and the image folders themselves.
//! Symlinks are not followed (a linked folder could lead out of the site),
//! and a file is opened to look for the fence only when it is a regular
//! file: a FIFO named `page.md` would otherwise block the walk forever.

use std::path::{Path, PathBuf};

use super::Site;
use crate::error::{Error, Result};
use crate::frontmatter;

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
pub const PAGE_EXTENSIONS: &[&str] = &["md", "markdown", "html"];

impl Site {
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
            if is_page_name(path) && starts_with_fence(path) {
                pages.push(self.rel(path));
            }
        }
        Ok(pages)
    }

    /// Site-relative form of a path under the root.
    pub(crate) fn rel(&self, path: &Path) -> PathBuf {
        path.strip_prefix(&self.root).unwrap_or(path).to_path_buf()
    }

    /// True when `rel` (site-relative) is where a build would find a page:
    /// a page file name in no folder a build skips. Whether it starts
    /// with `---` is the file's business, not its place's.
    pub fn is_page_path(&self, rel: &Path) -> bool {
        if !is_page_name(rel) {
            return false;
        }
        let mut at = self.root.clone();
        for c in rel.components() {
            at.push(c);
            if self.is_skipped(&at) {
                return false;
            }
        }
        true
    }

    /// The folders at the top of the site where pages, renders or
    /// `_config.yml`'s changes can be (site-relative), for a file watcher:
    /// not Jekyll's own (`_site/`, written by `jekyll serve`) nor other
    /// skipped ones, but always the source root's, which sites exclude
    /// from Jekyll.
    pub fn watched_folders(&self) -> Vec<PathBuf> {
        let Ok(entries) = std::fs::read_dir(&self.root) else {
            return Vec::new();
        };
        let mut dirs: Vec<PathBuf> = entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| PathBuf::from(e.file_name()))
            .filter(|d| self.is_watched_folder(d))
            .collect();
        dirs.sort();
        dirs
    }

    /// See [`Site::watched_folders`]: `dir` is one folder at the top.
    pub fn is_watched_folder(&self, dir: &Path) -> bool {
        if self.settings.source.starts_with(dir) {
            return true;
        }
        let only_output =
            dir.starts_with(&self.settings.output) && !self.settings.source.starts_with(dir);
        !only_output && !self.is_skipped(&self.root.join(dir))
    }

    /// Every file under the site-relative folder `dir`, site-relative and
    /// sorted; symlinks are not followed (nothing outside the site is
    /// listed) and a missing folder has no files.
    pub fn files_under(&self, dir: &Path) -> Vec<PathBuf> {
        if self.check_on_disk(dir, dir).is_err() {
            return Vec::new();
        }
        walkdir::WalkDir::new(self.abs(dir))
            .follow_links(false)
            .sort_by_file_name()
            .into_iter()
            .flatten()
            .filter(|e| e.file_type().is_file())
            .map(|e| self.rel(e.path()))
            .collect()
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
        // Jekyll leaves out dot-files and dot-folders (`.github/`'s issue
        // templates have front matter too) unless `include:` names them.
        let hidden = rel
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if hidden
            && !self
                .config
                .include
                .iter()
                .any(|pattern| exclude_matches(pattern, &rel_str))
        {
            return true;
        }
        self.config
            .exclude
            .iter()
            .any(|pattern| exclude_matches(pattern, &rel_str))
    }
}

/// A file name Jekyll renders as a page.
pub fn is_page_name(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| PAGE_EXTENSIONS.contains(&e))
}

/// True when the file's first line is `---`; also for a regular file that
/// cannot be read, so that planning reports it as an error naming the page
/// instead of skipping a page silently. A FIFO, socket or device is never
/// opened (it could block) and is no page.
pub(super) fn starts_with_fence(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 16];
    let mut file = match super::fs::open_regular(path, path) {
        Ok(file) => file,
        // A FIFO, socket or device is no page, and opening it could hang.
        Err(crate::error::Error::NotRegular { .. }) => return false,
        Err(_) => return true,
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

/// `*` matches any run of characters except '/', `?` any one character
/// but '/'; everything else is literal.
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if pi < p.len() && (p[pi] == t[ti] || (p[pi] == '?' && t[ti] != '/')) {
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
    fn excludes_match_like_jekyll() {
        assert!(exclude_matches("vendor", "vendor/x.md"));
        assert!(exclude_matches("tests/", "tests/fixtures/site/pages/a.md"));
        assert!(exclude_matches("README.md", "README.md"));
        assert!(!exclude_matches("README.md", "docs/README.md"));
        assert!(exclude_matches("*.gemspec", "x.gemspec"));
        assert!(exclude_matches("drafts/*.md", "drafts/a.md"));
        assert!(!exclude_matches("drafts/*.md", "pages/a.md"));
        assert!(!exclude_matches("src", "srcs/a.md"));
        assert!(glob_match("m/X-?.png", "m/X-1.png"));
        assert!(!glob_match("m/X-?.png", "m/X-10.png"));
        assert!(glob_match("m/X-*.png", "m/X-10.png"));
        assert!(!glob_match("*.png", "m/X-10.png"));
    }
}
