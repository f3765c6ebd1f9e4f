//! One error type for the whole library.
//!
//! Every variant names the file it is about, and `Display` renders one line,
//! so the CLI can print it as is and a user knows which file to fix. Which
//! errors are the user's configuration (exit 2) and which are per-asset
//! failures (exit 1) is decided here, once, by [`Error::is_usage`].

use std::path::PathBuf;

/// Result alias used throughout the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, and with which file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{}: {}", path.display(), plain(source))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A setting in `_config.yml` or on the command line is invalid, or
    /// `_config.yml` cannot be parsed.
    #[error("{}", config_line(file, *at, key, message))]
    Config {
        /// `_config.yml`, or `command line` for flags.
        file: PathBuf,
        /// Line and column in the file, when known.
        at: Option<(u64, u64)>,
        /// `assetgen.gif_delay`, `--gif-delay`; empty for the file as a whole.
        key: String,
        message: String,
    },

    /// The site folder, or an argument naming something in it, is unusable
    /// (no such folder, no `_config.yml`, a page that is not a page).
    #[error("{}: {message}", path.display())]
    Site { path: PathBuf, message: String },

    /// Front matter that cannot be parsed; line and column are in the file.
    #[error("{}:{line}:{column}: {message}", path.display())]
    FrontMatter {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },

    /// A front-matter value that is not what the manifest expects.
    #[error("{}: {message}", path.display())]
    Manifest { path: PathBuf, message: String },

    /// A path in front matter that would leave the site root.
    #[error("{}: refusing path '{value}': {reason}", page.display())]
    UnsafePath {
        page: PathBuf,
        value: String,
        reason: String,
    },

    /// A frame the page refers to does not exist.
    #[error("{}: missing (listed in {})", path.display(), page.display())]
    MissingSource { path: PathBuf, page: PathBuf },

    /// Several frames of one gallery are missing: one line for them all,
    /// with a hint when they are where the other root would have them.
    #[error("{}: {} of {total} frames missing under {}/{hint}", page.display(), files.len(), folder.display())]
    MissingFrames {
        page: PathBuf,
        /// The folder they were looked for in (their common folder).
        folder: PathBuf,
        files: Vec<PathBuf>,
        total: usize,
        /// Empty, or what the user probably meant ("; ...").
        hint: String,
    },

    /// An image that cannot be decoded (corrupt, truncated, not a PNG, too large).
    #[error("{}: {message}", path.display())]
    Decode { path: PathBuf, message: String },

    /// Frames of one gallery that do not share one size.
    #[error("{}: frame is {}x{}, but the gallery's other frames are {}x{}", path.display(), found.0, found.1, expected.0, expected.1)]
    FrameSize {
        path: PathBuf,
        expected: (u32, u32),
        found: (u32, u32),
    },

    /// Encoding or optimising an output failed.
    #[error("{}: {message}", path.display())]
    Encode { path: PathBuf, message: String },

    /// Something that is not a regular file (a FIFO, a socket, a device, a
    /// folder) where a file is read or replaced: never opened, since a
    /// FIFO without a writer would block the open forever.
    #[error("{}: is {what}, not a regular file; left alone", path.display())]
    NotRegular { path: PathBuf, what: &'static str },

    /// The run was stopped (Ctrl-C) while this file was being read or the
    /// site's lock was being waited for.
    #[error("{}: interrupted", path.display())]
    Cancelled { path: PathBuf },

    /// A command asked for something it must not do or that cannot be
    /// carried out as asked: write over its own input, a page that already
    /// exists, renders that match nothing, cache fragments that do not add
    /// up to one build.
    #[error("{}: {message}", path.display())]
    Usage { path: PathBuf, message: String },
}

impl Error {
    /// Usage and configuration errors stop the whole run (exit 2); every
    /// other error belongs to one page or asset (exit 1).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            Error::Config { .. } | Error::Site { .. } | Error::Usage { .. }
        )
    }

    /// The file the error is about.
    pub fn path(&self) -> &std::path::Path {
        match self {
            Error::Io { path, .. }
            | Error::Config { file: path, .. }
            | Error::Site { path, .. }
            | Error::FrontMatter { path, .. }
            | Error::Manifest { path, .. }
            | Error::UnsafePath { page: path, .. }
            | Error::MissingSource { path, .. }
            | Error::MissingFrames { page: path, .. }
            | Error::Decode { path, .. }
            | Error::FrameSize { path, .. }
            | Error::Encode { path, .. }
            | Error::NotRegular { path, .. }
            | Error::Cancelled { path }
            | Error::Usage { path, .. } => path,
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// An I/O error as a user reads it: "permission denied", not
/// "Permission denied (os error 13)".
pub fn plain(e: &std::io::Error) -> String {
    let text = e.to_string();
    let text = match text.find(" (os error") {
        Some(i) => &text[..i],
        None => &text,
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => text.to_string(),
    }
}

/// `_config.yml:3:13: assetgen.gif_delay: expected ...`
fn config_line(file: &std::path::Path, at: Option<(u64, u64)>, key: &str, message: &str) -> String {
    let at = at.map_or(String::new(), |(l, c)| format!(":{l}:{c}"));
    let key = if key.is_empty() {
        String::new()
    } else {
        format!(" {key}:")
    };
    format!("{}{at}:{key} {message}", file.display())
}
