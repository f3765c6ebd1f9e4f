//! When a render is whole. A renderer writes a frame in place over
//! seconds (Blender writes the PNG as it encodes it), so a file that
//! exists may be half a PNG. A render is taken only when it decodes and its
//! size held still while it was read; the file watcher's debounce has by
//! then seen no write for its whole window. A render that does not decode
//! keeps its page waiting until it changes again: a stalled writer and a
//! corrupt file look the same, and both are reported, never built from.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::image::decode::decode_png;
use crate::site::Site;

/// The renders seen whole, by their size and modification time then (a
/// render unchanged since is not decoded again).
#[derive(Debug, Default)]
pub struct Settled {
    whole: HashMap<PathBuf, (u64, Option<SystemTime>)>,
}

impl Settled {
    /// `Ok` when the render at `rel` (site-relative) is whole; else why not.
    pub fn check(&mut self, site: &Site, rel: &Path) -> Result<(), String> {
        let before = site.file_state(rel).ok_or_else(|| "missing".to_string())?;
        if self.whole.get(rel) == Some(&before) {
            return Ok(());
        }
        let bytes = site.read(rel, rel).map_err(|e| e.to_string())?;
        let decoded = decode_png(&bytes, rel);
        let after = site.file_state(rel);
        if after != Some(before) || bytes.len() as u64 != before.0 {
            return Err("still being written (it changed while it was read)".into());
        }
        if let Err(e) = decoded {
            return Err(format!(
                "does not decode yet, so still being written or broken ({e})"
            ));
        }
        self.whole.insert(rel.to_path_buf(), before);
        Ok(())
    }
}
