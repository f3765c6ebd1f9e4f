//! The gallery's animated GIF, at the path its `image_name` names.

use std::path::{Path, PathBuf};

use super::{encoder, GalleryOutput, Output};
use crate::image::frames::Frames;
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
    /// The GIF needs every frame at once (the palette and the quality
    /// search read them all before the first is written).
    fn make(&self, frames: &Frames, settings: &Settings) -> Result<Vec<u8>, String> {
        crate::gif::encode(&frames.take_all()?, settings).map_err(|e| e.to_string())
    }
}
