//! The `.webm` and `.mp4` beside the GIF, named after it (`<base>.webm`,
//! `<base>.mp4`), as a `<video>` template derives them from `image_name`.
//! They share the GIF's front-matter value, so with fingerprinting on they
//! carry the same hashed stem, and that hash covers all three.
//!
//! Each codec sits behind its cargo feature (`webm`, `mp4`, both default)
//! so a packager can leave one out; without it, that kind is simply never
//! wanted.

use std::path::{Path, PathBuf};

use super::{GalleryOutput, Output};
use crate::image::frames::Frames;
use crate::kind::Kind;
use crate::settings::Settings;

/// The AV1 `.webm`: smaller, played first where supported.
pub struct Webm;

/// The H.264 `.mp4`: what every browser plays, Safari and iOS included.
pub struct Mp4;

impl Output for Webm {
    fn kind(&self) -> Kind {
        Kind::Webm
    }

    fn wanted(&self, settings: &Settings) -> bool {
        cfg!(feature = "webm") && settings.video.webm
    }

    fn name(&self, value: &Path) -> PathBuf {
        value.with_extension("webm")
    }

    fn encoders(&self) -> &'static [&'static str] {
        &[
            super::encoder!("rav1e", "RAV1E"),
            super::encoder!("fast_image_resize", "FAST_IMAGE_RESIZE"),
        ]
    }
}

impl GalleryOutput for Webm {
    #[cfg(feature = "webm")]
    fn make(&self, frames: &Frames, settings: &Settings) -> Result<Vec<u8>, String> {
        crate::video::encode_webm(frames, settings)
    }

    #[cfg(not(feature = "webm"))]
    fn make(&self, _: &Frames, _: &Settings) -> Result<Vec<u8>, String> {
        Err("this assetgen was built without the `webm` feature".into())
    }

    fn streams_frames(&self) -> bool {
        true
    }
}

impl Output for Mp4 {
    fn kind(&self) -> Kind {
        Kind::Mp4
    }

    fn wanted(&self, settings: &Settings) -> bool {
        cfg!(feature = "mp4") && settings.video.mp4
    }

    fn name(&self, value: &Path) -> PathBuf {
        value.with_extension("mp4")
    }

    fn encoders(&self) -> &'static [&'static str] {
        &[
            super::encoder!("openh264-sys2", "OPENH264_SYS2"),
            super::encoder!("fast_image_resize", "FAST_IMAGE_RESIZE"),
        ]
    }
}

impl GalleryOutput for Mp4 {
    #[cfg(feature = "mp4")]
    fn make(&self, frames: &Frames, settings: &Settings) -> Result<Vec<u8>, String> {
        crate::video::encode_mp4(frames, settings)
    }

    #[cfg(not(feature = "mp4"))]
    fn make(&self, _: &Frames, _: &Settings) -> Result<Vec<u8>, String> {
        Err("this assetgen was built without the `mp4` feature".into())
    }

    fn streams_frames(&self) -> bool {
        true
    }
}
