//! The output registry: every kind of file assetgen makes, each in one
//! module that says how it is named, what it is made from and how.
//!
//! Planning, freshness, fingerprints, `check`, `clean`, the report and the
//! cache know outputs only through this interface, so a new kind of output
//! is a new module here and a line in a registry below, and nothing else.
//!
//! Two scopes exist. A *frame* output is made from one gallery frame and
//! named after that frame's front-matter value (`image_url`): the optimised
//! PNG and the thumbnail. A *gallery* output is made from all of a
//! gallery's frames, in order, and named after the animation's value
//! (`image_name`): the GIF and the videos beside it. The outputs of one value share its fingerprint.

mod gif;
mod png;
mod thumb;
mod video;

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::image::decode::Rgba8;
use crate::image::frames::Frames;
use crate::kind::Kind;
use crate::settings::Settings;

/// `name version` of an encoder crate as Cargo.lock pins it (see build.rs).
macro_rules! encoder {
    ($name:literal, $var:literal) => {
        concat!($name, " ", env!(concat!("ASSETGEN_ENCODER_", $var)))
    };
}
pub(crate) use encoder;

/// What every output kind declares.
pub trait Output: Sync {
    /// Which kind this is (its settings are those that shape this kind).
    fn kind(&self) -> Kind;

    /// Whether the settings ask for this kind at all.
    fn wanted(&self, _settings: &Settings) -> bool {
        true
    }

    /// Its name relative to the output root, from the front-matter value it
    /// belongs to (a frame's `image_url`, or the animation's `image_name`).
    fn name(&self, value: &Path) -> PathBuf;

    /// Versions of the encoder crates that make it: with the settings that
    /// shape it and its sources, what its cache key holds (a new encoder
    /// may make other bytes).
    fn encoders(&self) -> &'static [&'static str];
}

/// An output made from one frame.
pub trait FrameOutput: Output {
    /// Makes it from the frame's file bytes and decoded pixels.
    fn make(&self, source: &[u8], frame: &Rgba8, settings: &Settings) -> Result<Vec<u8>, String>;

    /// True for the frame's published copy, which in place (source and
    /// output roots one folder) replaces the render itself.
    fn is_published_frame(&self) -> bool {
        false
    }
}

/// An output made from all of a gallery's frames, in order, all one size.
pub trait GalleryOutput: Output {
    /// Makes it, taking each frame from `frames` once (see [`Frames::take`]).
    fn make(&self, frames: &Frames, settings: &Settings) -> Result<Vec<u8>, String>;

    /// True when it reads the frames one at a time, in order, so each can be
    /// let go of as it passes; false when it needs them all at once.
    fn streams_frames(&self) -> bool {
        false
    }
}

/// Runs `make` for every job (each making one gallery output of one
/// gallery, from frames shared through a [`Frames`] whose readers are
/// these jobs), in the order that lets go of the frames soonest: the
/// outputs that need every frame at once (the GIF) first, one after
/// another, then those that stream them (the videos) side by side, each
/// freeing the frames it has passed. Results are in the order of `jobs`.
///
/// Side by side from the start, the GIF would hold every frame until it
/// is done while the AV1 encoder's own memory grows: 16 x 2048x2048
/// peaked at 2.4x the raw frames that way.
pub fn make_gallery<J: Sync, R: Send>(
    jobs: &[J],
    output: impl Fn(&J) -> &'static dyn GalleryOutput,
    make: impl Fn(&J) -> R + Sync,
) -> Vec<R> {
    let (streamed, whole): (Vec<usize>, Vec<usize>) =
        (0..jobs.len()).partition(|&i| output(&jobs[i]).streams_frames());
    let mut results: Vec<Option<R>> = jobs.iter().map(|_| None).collect();
    for i in whole {
        results[i] = Some(make(&jobs[i]));
    }
    let side_by_side: Vec<(usize, R)> = streamed
        .into_par_iter()
        .map(|i| (i, make(&jobs[i])))
        .collect();
    for (i, r) in side_by_side {
        results[i] = Some(r);
    }
    results.into_iter().flatten().collect()
}

/// Every encoder that shapes some output, once each (for `--version`).
pub fn encoders() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = self::all()
        .flat_map(|o| o.encoders().iter().copied())
        .collect();
    all.sort_unstable();
    all.dedup();
    all
}

/// Frame outputs, in the order they are made and listed.
static FRAME_OUTPUTS: &[&dyn FrameOutput] = &[&png::Png, &thumb::Thumb];

/// Gallery outputs, in the order they are made and listed.
static GALLERY_OUTPUTS: &[&dyn GalleryOutput] = &[&gif::Gif, &video::Webm, &video::Mp4];

/// The frame outputs the settings ask for.
pub fn frame_outputs(settings: &Settings) -> Vec<&'static dyn FrameOutput> {
    FRAME_OUTPUTS
        .iter()
        .copied()
        .filter(|o| o.wanted(settings))
        .collect()
}

/// The gallery outputs the settings ask for.
pub fn gallery_outputs(settings: &Settings) -> Vec<&'static dyn GalleryOutput> {
    GALLERY_OUTPUTS
        .iter()
        .copied()
        .filter(|o| o.wanted(settings))
        .collect()
}

/// The frame output of `kind`, if it is one.
pub fn frame_output(kind: Kind) -> Option<&'static dyn FrameOutput> {
    FRAME_OUTPUTS.iter().copied().find(|o| o.kind() == kind)
}

/// The gallery output of `kind`, if it is one.
pub fn gallery_output(kind: Kind) -> Option<&'static dyn GalleryOutput> {
    GALLERY_OUTPUTS.iter().copied().find(|o| o.kind() == kind)
}

/// Every registered output, frame ones first.
fn all() -> impl Iterator<Item = &'static dyn Output> {
    let frames = FRAME_OUTPUTS.iter().map(|o| *o as &dyn Output);
    frames.chain(GALLERY_OUTPUTS.iter().map(|o| *o as &dyn Output))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gif_is_made_before_the_videos_and_results_keep_their_order() {
        use std::sync::Mutex;
        let jobs: Vec<&'static dyn GalleryOutput> = GALLERY_OUTPUTS.to_vec();
        let events = Mutex::new(Vec::new());
        let log = |what: String| events.lock().expect("log").push(what);
        let results = make_gallery(
            &jobs,
            |o| *o,
            |o| {
                log(format!("start {}", o.kind()));
                log(format!("end {}", o.kind()));
                o.kind()
            },
        );
        assert_eq!(results, [Kind::Gif, Kind::Webm, Kind::Mp4]);
        let events = events.into_inner().expect("log");
        let at = |e: &str| events.iter().position(|x| x == e);
        let gif_end = at("end gif").expect("the GIF was made");
        for video in ["start webm", "start mp4"] {
            assert!(
                at(video) > Some(gif_end),
                "{video} before the GIF ended: {events:?}"
            );
        }
    }

    #[test]
    fn every_kind_is_registered_once() {
        let kinds: Vec<Kind> = all().map(|o| o.kind()).collect();
        assert_eq!(kinds, Kind::ALL);
    }
}
