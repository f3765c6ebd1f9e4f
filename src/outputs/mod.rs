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

use crate::image::decode::Rgba8;
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
    fn make(&self, frames: &[Rgba8], settings: &Settings) -> Result<Vec<u8>, String>;
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
    fn every_kind_is_registered_once() {
        let kinds: Vec<Kind> = all().map(|o| o.kind()).collect();
        assert_eq!(kinds, Kind::ALL);
    }
}
