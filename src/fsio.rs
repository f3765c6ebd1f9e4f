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
    // Keep the permissions a user gave an existing file.
    if let Ok(meta) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(tmp.path(), meta.permissions());
    }
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
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
}
