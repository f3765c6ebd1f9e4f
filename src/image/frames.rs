//! A gallery's decoded frames, shared by the outputs made from them and
//! let go of frame by frame.
//!
//! A gallery of 16 frames of 2048x2048 is 268 MB of RGBA, and the `.webm`
//! encoder's own working set is about as much again. Holding every frame
//! until the slowest output (the AV1 encode) is done would put the peak
//! at twice the raw frames before the encoders' own memory. So each
//! output *takes* the frames it reads, and once every output has taken a
//! frame the store lets go of it: a video, which reads its frames in
//! order, frees each one as it passes (when it is the last to read it).
//! An output that needs every frame at once (the GIF) takes them all and
//! holds them for as long as it needs them.
//!
//! Written here rather than found in a crate: it is a `Vec` of
//! `Mutex<Option<Arc<_>>>` with a count of readers, twenty lines whose
//! only point is this pipeline's order of release.

use std::sync::{Arc, Mutex, PoisonError};

use super::decode::Rgba8;

/// Frames, all the same size, each held until `readers` outputs took it.
pub struct Frames {
    size: (u32, u32),
    slots: Vec<Mutex<Slot>>,
}

struct Slot {
    frame: Option<Arc<Rgba8>>,
    /// Outputs that have yet to take this frame.
    readers: usize,
}

impl Frames {
    /// Frames for `readers` outputs; `None` when there are none (a gallery
    /// has at least one frame) or they differ in size.
    pub fn new(frames: Vec<Rgba8>, readers: usize) -> Option<Frames> {
        let size = frames.first()?.dimensions();
        if frames.iter().any(|f| f.dimensions() != size) {
            return None;
        }
        let slots = frames
            .into_iter()
            .map(|f| {
                Mutex::new(Slot {
                    frame: Some(Arc::new(f)),
                    readers,
                })
            })
            .collect();
        Some(Frames { size, slots })
    }

    /// The frames' common size.
    pub fn dimensions(&self) -> (u32, u32) {
        self.size
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Frame `index`, for one output that will not ask for it again; the
    /// store lets go of it when the last output has taken it. An error
    /// (not a panic) if an output asks twice or the index is out of range:
    /// a bug, but one that fails that output, not the build.
    pub fn take(&self, index: usize) -> Result<Arc<Rgba8>, String> {
        let slot = self
            .slots
            .get(index)
            .ok_or_else(|| format!("no frame {}", index + 1))?;
        // A poisoned slot still holds a whole frame: a panic elsewhere
        // cannot leave it half-written.
        let mut slot = slot.lock().unwrap_or_else(PoisonError::into_inner);
        let frame = slot
            .frame
            .clone()
            .ok_or_else(|| format!("frame {} was already let go of", index + 1))?;
        slot.readers = slot.readers.saturating_sub(1);
        if slot.readers == 0 {
            slot.frame = None;
        }
        Ok(frame)
    }

    /// Every frame, in order, for one output (see [`Frames::take`]).
    pub fn take_all(&self) -> Result<Vec<Arc<Rgba8>>, String> {
        (0..self.len()).map(|i| self.take(i)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(v: u8) -> Rgba8 {
        Rgba8::new(2, 1, vec![v; 8])
    }

    #[test]
    fn a_frame_is_let_go_of_when_every_reader_took_it() {
        let frames = Frames::new(vec![frame(1), frame(2)], 2).expect("frames");
        let first = frames.take(0).expect("first reader");
        assert_eq!(Arc::strong_count(&first), 2, "the store still holds it");
        let again = frames.take(0).expect("second reader");
        assert_eq!(again.pixels, vec![1; 8]);
        assert_eq!(Arc::strong_count(&first), 2, "only the readers hold it");
        drop((first, again));
        let err = frames.take(0).expect_err("a third take");
        assert!(err.contains("frame 1"), "{err}");
        assert_eq!(frames.take(1).expect("untouched").pixels, vec![2; 8]);
    }

    #[test]
    fn mixed_sizes_and_no_frames_are_refused() {
        assert!(Frames::new(vec![], 1).is_none());
        let odd = Rgba8::new(1, 1, vec![0; 4]);
        assert!(Frames::new(vec![frame(0), odd], 1).is_none());
        let frames = Frames::new(vec![frame(0)], 1).expect("frames");
        assert_eq!((frames.dimensions(), frames.len()), ((2, 1), 1));
        assert!(frames.take(1).is_err());
    }
}
