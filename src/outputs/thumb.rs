//! Each frame's gallery thumbnail, named `<frame>-thumb.<ext>` as the
//! site's gallery template expects.

use std::path::{Path, PathBuf};

use super::{encoder, FrameOutput, Output};
use crate::image::decode::Rgba8;
use crate::image::thumb::thumbnail;
use crate::kind::Kind;
use crate::naming::thumb_name;
use crate::settings::Settings;

pub struct Thumb;

impl Output for Thumb {
    fn kind(&self) -> Kind {
        Kind::Thumb
    }

    fn name(&self, value: &Path) -> PathBuf {
        thumb_name(value)
    }

    fn encoders(&self) -> &'static [&'static str] {
        &[
            encoder!("fast_image_resize", "FAST_IMAGE_RESIZE"),
            encoder!("oxipng", "OXIPNG"),
            encoder!("libdeflater", "LIBDEFLATER"),
            encoder!("quantizr", "QUANTIZR"),
        ]
    }
}

impl FrameOutput for Thumb {
    fn make(&self, _source: &[u8], frame: &Rgba8, settings: &Settings) -> Result<Vec<u8>, String> {
        thumbnail(frame, settings)
    }
}
