//! What a run tells its caller: the files written, the ones already up to
//! date, the errors, and progress while it runs. The library fills these
//! in; the CLI decides how to show them (summary, JSON, progress bars).

use std::path::Path;

use serde::Serialize;

use crate::error::Error;
use crate::pipeline::cache::slash;

/// The report's kind for a rewritten page (outputs use `Kind::report_name`).
pub const PAGE: &str = "page";

/// A file written (or, with `--dry-run`, that would be written).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Written {
    /// Site-relative, with `/`.
    pub path: String,
    /// `gif`, `png`, `thumb` or `page`.
    pub kind: &'static str,
    /// Its size; `None` (null) in a dry run, which makes nothing.
    pub bytes: Option<u64>,
}

/// One failure, for the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Site-relative file the problem is about, with `/`.
    pub path: String,
    /// One line, naming the file.
    pub message: String,
    /// The files a grouped problem stands for (several missing frames of
    /// one page), each site-relative with `/`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
}

impl From<&Error> for Problem {
    fn from(e: &Error) -> Self {
        let files = match e {
            Error::MissingFrames { files, .. } => files.iter().map(|f| slash(f)).collect(),
            _ => Vec::new(),
        };
        Problem {
            path: slash(e.path()),
            message: e.to_string(),
            files,
        }
    }
}

/// A page's front-matter change, as a unified diff (`--dry-run`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PageDiff {
    pub path: String,
    pub diff: String,
}

/// The result of `build` (and, with fewer fields used, `clean`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub written: Vec<Written>,
    /// Outputs already up to date, not made.
    pub up_to_date: Vec<String>,
    /// Outputs made again (`--force`, a lost cache) whose bytes were the
    /// same as the file's on disk: not rewritten, mtime kept.
    pub unchanged: Vec<String>,
    pub errors: Vec<Problem>,
    pub elapsed_ms: u64,
    /// Total size of the source frames read.
    pub source_bytes: u64,
    /// Total size of their optimised copies (written or already up to date).
    pub optimised_bytes: u64,
    /// Nothing was written: `written` lists what would have been.
    pub dry_run: bool,
    /// The run was stopped (Ctrl-C) before it finished; what is listed was
    /// done, the rest is left for the next build.
    pub cancelled: bool,
    /// Page changes a dry run would make.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub diffs: Vec<PageDiff>,
    /// The share of the pages built (`build --shard K/N`), as `K/N`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    /// Files removed (`clean`), or that would be with `--dry-run`.
    pub removed: Vec<String>,
}

impl Report {
    pub fn add_written(&mut self, path: &Path, kind: &'static str, bytes: usize) {
        self.written.push(Written {
            path: slash(path),
            kind,
            bytes: Some(bytes as u64),
        });
    }

    pub fn add_would_write(&mut self, path: &Path, kind: &'static str) {
        self.written.push(Written {
            path: slash(path),
            kind,
            bytes: None,
        });
    }

    pub fn add_error(&mut self, e: &Error) {
        self.errors.push(Problem::from(e));
    }

    /// Sorts every list so the report is the same whatever the thread count.
    pub fn sort(&mut self) {
        self.written.sort_by(|a, b| a.path.cmp(&b.path));
        self.up_to_date.sort();
        self.unchanged.sort();
        self.errors
            .sort_by(|a, b| (&a.path, &a.message).cmp(&(&b.path, &b.message)));
        self.removed.sort();
        self.diffs.sort_by(|a, b| a.path.cmp(&b.path));
    }
}

/// Progress callbacks; called from worker threads. Every method has an
/// empty default so a caller implements only what it shows.
pub trait Progress: Sync {
    /// The plan is made: this many pages and frames will be processed.
    fn start(&self, _pages: usize, _frames: usize) {}
    fn frame_done(&self) {}
    fn page_done(&self, _page: &Path) {}
    fn finish(&self) {}
    /// Another run holds the site's lock (in `root`); this one waits.
    fn waiting_for_lock(&self, _root: &Path) {}
}

/// Progress that shows nothing.
pub struct NoProgress;

impl Progress for NoProgress {}
