//! Writing files so that an interrupted build never leaves a half file:
//! every write goes to a temporary file in the destination folder and is
//! renamed into place (a rename within one folder is atomic on POSIX and
//! NTFS). Unchanged content is not rewritten, so mtimes stay put.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    Written,
    /// The file already held exactly these bytes.
    Unchanged,
}

/// Writes `bytes` to `path` atomically, unless it already holds them.
/// `shown_as` names the file in errors.
pub fn write_if_changed(path: &Path, bytes: &[u8], shown_as: &Path) -> Result<WriteOutcome> {
    if let Ok(existing) = std::fs::read(path) {
        if existing == bytes {
            return Ok(WriteOutcome::Unchanged);
        }
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
    tmp.persist(path)
        .map_err(|e| Error::io(shown_as, e.error))?;
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
    builder.prefix(".assetgen-").suffix(".tmp");
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
/// OS file lock, not a marker file, so a killed build leaves no stale lock).
#[derive(Debug)]
pub struct SiteLock {
    _file: std::fs::File,
}

/// File locked in the site root.
pub const LOCK_FILE: &str = ".assetgen.lock";

/// Takes the site's lock; if another run holds it, calls `on_wait` once and
/// waits for it.
pub fn lock_site(root: &Path, on_wait: impl FnOnce()) -> Result<SiteLock> {
    let path = root.join(LOCK_FILE);
    let err = |e: std::io::Error| Error::io(LOCK_FILE, e);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(err)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            on_wait();
            file.lock().map_err(err)?;
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(err(e)),
    }
    Ok(SiteLock { _file: file })
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
        let first = lock_site(dir.path(), || panic!("nobody holds it yet")).unwrap();
        let root = dir.path().to_path_buf();
        let (tx, rx) = std::sync::mpsc::channel();
        let waiter = std::thread::spawn(move || {
            let _second = lock_site(&root, || tx.send("waiting").unwrap()).unwrap();
        });
        assert_eq!(rx.recv().unwrap(), "waiting");
        drop(first);
        waiter.join().unwrap();
    }
}
