//! The file system primitives under [`Site`](super::Site), and the rules
//! every file assetgen touches obeys:
//!
//! - Writes go to a temporary file in the destination folder, renamed into
//!   place (a rename within one folder is atomic on POSIX and NTFS), so an
//!   interrupted build never leaves a half file; unchanged content is not
//!   rewritten, so mtimes stay put. Temporary files are named
//!   `.assetgen-XXXXXX.tmp`, which is how the next build tells its own
//!   debris from anyone else's files.
//! - Only regular files are read or replaced. A FIFO, socket or device
//!   would block an open or a read forever (a FIFO with no writer) or
//!   stream without end, so it is refused before it is opened, and once
//!   more on the opened file, which is opened non-blocking so that a FIFO
//!   swapped in between cannot hang the open itself.
//! - Reads go in chunks and stop when the run is cancelled (Ctrl-C), so no
//!   read keeps a stopping build waiting.

use std::fs::{File, Metadata};
use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, Result};

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    Written,
    /// The file already held exactly these bytes.
    Unchanged,
}

/// Temporary files are `.assetgen-` + six random characters + `.tmp`.
const TEMP_PREFIX: &str = ".assetgen-";
const TEMP_SUFFIX: &str = ".tmp";
const TEMP_RANDOM: usize = 6;

/// True for the name of a temporary file assetgen makes (and nobody else's:
/// `.assetgen-cache.json` and a user's `.assetgen-notes.tmp` do not match).
pub fn is_temp_name(name: &str) -> bool {
    name.strip_prefix(TEMP_PREFIX)
        .and_then(|rest| rest.strip_suffix(TEMP_SUFFIX))
        .is_some_and(|mid| {
            mid.len() == TEMP_RANDOM && mid.bytes().all(|b| b.is_ascii_alphanumeric())
        })
}

/// A flag that is never set, for reads that cannot be cancelled.
pub static NEVER: AtomicBool = AtomicBool::new(false);

/// Reads go in pieces of this size, checking for cancellation between them.
const READ_CHUNK: u64 = 1 << 20;

/// What a non-regular file is, for messages; `None` for a regular file.
fn not_regular(meta: &Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some("a folder");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a FIFO");
        }
        if t.is_socket() {
            return Some("a socket");
        }
        if t.is_block_device() || t.is_char_device() {
            return Some("a device");
        }
    }
    Some("not a regular file")
}

/// Opens `path` for reading if it is a regular file. `shown_as` names it in
/// errors; a missing file is an [`Error::Io`] of kind `NotFound`.
pub fn open_regular(path: &Path, shown_as: &Path) -> Result<File> {
    let refuse = |what| Error::NotRegular {
        path: shown_as.to_path_buf(),
        what,
    };
    let meta = std::fs::metadata(path).map_err(|e| Error::io(shown_as, e))?;
    if let Some(what) = not_regular(&meta) {
        return Err(refuse(what));
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Non-blocking only matters for what is not a regular file (for a
        // regular file reads are unaffected): it keeps an open of a FIFO
        // that replaced the file since the check above from waiting for a
        // writer.
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = options.open(path).map_err(|e| Error::io(shown_as, e))?;
    let meta = file.metadata().map_err(|e| Error::io(shown_as, e))?;
    if let Some(what) = not_regular(&meta) {
        return Err(refuse(what));
    }
    Ok(file)
}

/// Reads a regular file whole, stopping with [`Error::Cancelled`] as soon
/// as `cancel` is set.
pub fn read_regular(path: &Path, shown_as: &Path, cancel: &AtomicBool) -> Result<Vec<u8>> {
    let stopped = || Error::Cancelled {
        path: shown_as.to_path_buf(),
    };
    if cancel.load(Ordering::Relaxed) {
        return Err(stopped());
    }
    let mut file = open_regular(path, shown_as)?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    loop {
        let n = (&mut file)
            .take(READ_CHUNK)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io(shown_as, e))?;
        if n == 0 {
            return Ok(bytes);
        }
        if cancel.load(Ordering::Relaxed) {
            return Err(stopped());
        }
    }
}

/// Writes `bytes` to `path` atomically, unless it already holds them.
/// `shown_as` names the file in errors. Something at `path` that is not a
/// regular file (a FIFO, a folder) is left alone and is an error.
pub fn write_if_changed(path: &Path, bytes: &[u8], shown_as: &Path) -> Result<WriteOutcome> {
    match read_regular(path, shown_as, &NEVER) {
        Ok(existing) if existing == bytes => return Ok(WriteOutcome::Unchanged),
        Err(e @ Error::NotRegular { .. }) => return Err(e),
        _ => {}
    }
    write_atomic(path, bytes, shown_as)?;
    Ok(WriteOutcome::Written)
}

/// Writes `bytes` to `path` through a temporary file in the same folder.
pub fn write_atomic(path: &Path, bytes: &[u8], shown_as: &Path) -> Result<()> {
    let tmp = temp_file_with(path, bytes, shown_as)?;
    // Keep the permissions a user gave an existing file.
    if let Ok(meta) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(tmp.path(), meta.permissions());
    }
    #[cfg(debug_assertions)]
    fault::at_rename(shown_as, fault::When::Before);
    tmp.persist(path)
        .map_err(|e| Error::io(shown_as, e.error))?;
    #[cfg(debug_assertions)]
    fault::at_rename(shown_as, fault::When::After);
    Ok(())
}

/// Like [`write_atomic`], but fails if `path` exists, however late it
/// appeared: the rename itself refuses to replace it.
pub fn create_new(path: &Path, bytes: &[u8], shown_as: &Path) -> Result<()> {
    if path.exists() {
        return Err(exists(shown_as));
    }
    let tmp = temp_file_with(path, bytes, shown_as)?;
    tmp.persist_noclobber(path).map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            exists(shown_as)
        } else {
            Error::io(shown_as, e.error)
        }
    })?;
    Ok(())
}

fn exists(shown_as: &Path) -> Error {
    Error::Usage {
        path: shown_as.to_path_buf(),
        message: "already exists; not overwriting it".into(),
    }
}

/// A temporary file beside `path` holding `bytes`, synced.
fn temp_file_with(path: &Path, bytes: &[u8], shown_as: &Path) -> Result<tempfile::NamedTempFile> {
    let err = |e: std::io::Error| Error::io(shown_as, e);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(err)?;
    let mut builder = tempfile::Builder::new();
    builder
        .prefix(TEMP_PREFIX)
        .suffix(TEMP_SUFFIX)
        .rand_bytes(TEMP_RANDOM);
    // tempfile creates 0600 files; published assets must be readable like
    // any file the user makes (0666 less the umask).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(dir).map_err(err)?;
    tmp.write_all(bytes).map_err(err)?;
    tmp.as_file().sync_data().map_err(err)?;
    Ok(tmp)
}

/// Held while a command works on a site, so two builds cannot interleave
/// their writes; released when dropped (or when the process dies: it is an
/// OS lock, not a marker file, so a killed build leaves no stale lock).
#[derive(Debug)]
pub struct SiteLock {
    _file: File,
}

/// How often a run waiting for the lock looks whether it is free, or
/// whether it was asked to stop instead.
const LOCK_POLL: std::time::Duration = std::time::Duration::from_millis(50);

/// Takes the site's lock; if another run holds it, calls `on_wait` once and
/// waits for it, or until `cancel` is set ([`Error::Cancelled`]).
///
/// On Unix the lock is on the site folder itself, opened read-only: every
/// user who may work on the site can open that, and `flock` needs no write
/// access, so no lock file can be left behind that another user cannot
/// open (which a lock file in a shared site, made by one user, was).
/// Elsewhere it is `.assetgen.lock` in the site folder, opened read-only
/// when it cannot be opened for writing.
pub fn lock_site(root: &Path, on_wait: impl FnOnce(), cancel: &AtomicBool) -> Result<SiteLock> {
    let file = open_lock(root)?;
    let err = |e: std::io::Error| Error::io(root, e);
    let mut on_wait = Some(on_wait);
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(SiteLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => {
                if let Some(f) = on_wait.take() {
                    f();
                }
                if cancel.load(Ordering::Relaxed) {
                    return Err(Error::Cancelled {
                        path: root.to_path_buf(),
                    });
                }
                std::thread::sleep(LOCK_POLL);
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(err(e)),
        }
    }
}

#[cfg(unix)]
fn open_lock(root: &Path) -> Result<File> {
    File::open(root).map_err(|e| Error::io(root, e))
}

#[cfg(not(unix))]
fn open_lock(root: &Path) -> Result<File> {
    const LOCK_FILE: &str = ".assetgen.lock";
    let path = root.join(LOCK_FILE);
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .or_else(|_| File::open(&path))
        .map_err(|e| Error::io(LOCK_FILE, e))
}

/// Debug builds only: kill the process right before or after a chosen
/// rename, as `kill -9` would, so tests can check what a killed build
/// leaves and that the next build makes it whole. Set
/// `ASSETGEN_DEBUG_KILL_AT=KIND:WHEN[:N]`, KIND one of `asset`, `page`,
/// `cache`, WHEN `before` or `after`, N the how-manieth rename of that
/// kind (default 1). Release builds do not read the variable.
#[cfg(debug_assertions)]
mod fault {
    use std::path::Path;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[derive(Clone, Copy, PartialEq, Eq)]
    pub enum When {
        Before,
        After,
    }

    static RENAMES: AtomicUsize = AtomicUsize::new(0);

    fn kind_of(shown_as: &Path) -> &'static str {
        let name = shown_as.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name == crate::pipeline::cache::FILE_NAME {
            "cache"
        } else if crate::site::discover::is_page_name(shown_as) {
            "page"
        } else {
            "asset"
        }
    }

    pub fn at_rename(shown_as: &Path, when: When) {
        let Ok(spec) = std::env::var("ASSETGEN_DEBUG_KILL_AT") else {
            return;
        };
        let mut parts = spec.split(':');
        let (kind, at, n) = (parts.next(), parts.next(), parts.next());
        if kind != Some(kind_of(shown_as)) {
            return;
        }
        let at = match at {
            Some("before") => When::Before,
            Some("after") => When::After,
            _ => return,
        };
        let n: usize = n.and_then(|n| n.parse().ok()).unwrap_or(1);
        if when == When::Before && RENAMES.fetch_add(1, Ordering::SeqCst) + 1 != n {
            return;
        }
        if when == When::After && RENAMES.load(Ordering::SeqCst) != n {
            return;
        }
        if at == when {
            kill_self();
        }
    }

    fn kill_self() {
        #[cfg(unix)]
        // SAFETY: kill(2) on our own pid with a constant signal has no
        // memory-safety preconditions.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
        std::process::abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_once_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a/b/out.bin");
        assert_eq!(
            write_if_changed(&p, b"one", &p).unwrap(),
            WriteOutcome::Written
        );
        assert_eq!(
            write_if_changed(&p, b"one", &p).unwrap(),
            WriteOutcome::Unchanged
        );
        assert_eq!(
            write_if_changed(&p, b"two", &p).unwrap(),
            WriteOutcome::Written
        );
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(dir.path().join("a/b")).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn a_second_lock_waits_for_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock_site(dir.path(), || panic!("nobody holds it yet"), &NEVER).unwrap();
        let root = dir.path().to_path_buf();
        let (tx, rx) = std::sync::mpsc::channel();
        let waiter = std::thread::spawn(move || {
            let _second = lock_site(&root, || tx.send("waiting").unwrap(), &NEVER).unwrap();
        });
        assert_eq!(rx.recv().unwrap(), "waiting");
        drop(first);
        waiter.join().unwrap();
        // Nothing is left in the site: the folder itself is the lock.
        #[cfg(unix)]
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn waiting_for_the_lock_stops_when_cancelled() {
        let dir = tempfile::tempdir().unwrap();
        let _first = lock_site(dir.path(), || {}, &NEVER).unwrap();
        let cancel = std::sync::Arc::new(AtomicBool::new(false));
        let flag = cancel.clone();
        let root = dir.path().to_path_buf();
        let waiter = std::thread::spawn(move || {
            lock_site(&root, || flag.store(true, Ordering::SeqCst), &flag)
        });
        let e = waiter.join().unwrap().unwrap_err();
        assert!(matches!(e, Error::Cancelled { .. }), "{e}");
    }

    #[test]
    fn only_our_own_temp_names_match() {
        assert!(is_temp_name(".assetgen-a1B2c3.tmp"));
        for other in [
            ".assetgen-cache.json",
            ".assetgen-notes.tmp",
            ".assetgen-a1B2c.tmp",
            "assetgen-a1B2c3.tmp",
            ".assetgen-a1B2c3.tmp~",
            ".assetgen-a1-2c3.tmp",
        ] {
            assert!(!is_temp_name(other), "{other}");
        }
        // And the names write_atomic makes do match.
        let dir = tempfile::tempdir().unwrap();
        let mut b = tempfile::Builder::new();
        b.prefix(TEMP_PREFIX)
            .suffix(TEMP_SUFFIX)
            .rand_bytes(TEMP_RANDOM);
        let t = b.tempfile_in(dir.path()).unwrap();
        let name = t.path().file_name().unwrap().to_str().unwrap().to_string();
        assert!(is_temp_name(&name), "{name}");
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_without_waiting_for_a_writer() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("f.png");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let e = read_regular(&fifo, Path::new("f.png"), &NEVER).unwrap_err();
        assert_eq!(
            e.to_string(),
            "f.png: is a FIFO, not a regular file; left alone"
        );
        let e = write_if_changed(&fifo, b"x", Path::new("f.png")).unwrap_err();
        assert!(matches!(e, Error::NotRegular { .. }), "{e}");
        use std::os::unix::fs::FileTypeExt;
        assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    }

    #[test]
    fn a_cancelled_read_stops() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.bin");
        std::fs::write(&p, vec![7u8; 3 << 20]).unwrap();
        assert_eq!(read_regular(&p, &p, &NEVER).unwrap().len(), 3 << 20);
        let stop = AtomicBool::new(true);
        let e = read_regular(&p, Path::new("big.bin"), &stop).unwrap_err();
        assert!(matches!(e, Error::Cancelled { .. }), "{e}");
    }
}
