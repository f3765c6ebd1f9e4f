//! The gallery's animated GIF, at the path its `image_name` names.

use std::path::{Path, PathBuf};

use super::{encoder, GalleryOutput, Output};
use crate::image::decode::Rgba8;
use crate::kind::Kind;
use crate::settings::Settings;

pub struct Gif;

impl Output for Gif {
    fn kind(&self) -> Kind {
        Kind::Gif
    }

    fn name(&self, value: &Path) -> PathBuf {
        value.to_path_buf()
    }

    fn encoders(&self) -> &'static [&'static str] {
        &[
            encoder!("quantette", "QUANTETTE"),
            encoder!("gif", "GIF"),
            encoder!("fast_image_resize", "FAST_IMAGE_RESIZE"),
        ]
    }
}

impl GalleryOutput for Gif {
    fn make(&self, frames: &[Rgba8], settings: &Settings) -> Result<Vec<u8>, String> {
        crate::gif::encode(frames, settings).map_err(|e| e.to_string())
    }
}
