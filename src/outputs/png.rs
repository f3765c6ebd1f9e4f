//! The published copy of each frame, under the frame's own name: lossless
//! (oxipng, verified pixel for pixel) or, opt in, a palette PNG.

use std::path::{Path, PathBuf};

use super::{encoder, FrameOutput, Output};
use crate::image::decode::Rgba8;
use crate::image::png::encode_frame;
use crate::kind::Kind;
use crate::settings::Settings;

pub struct Png;

impl Output for Png {
    fn kind(&self) -> Kind {
        Kind::Png
    }

    fn name(&self, value: &Path) -> PathBuf {
        value.to_path_buf()
    }

    fn encoders(&self) -> &'static [&'static str] {
        &[
            encoder!("oxipng", "OXIPNG"),
            encoder!("libdeflater", "LIBDEFLATER"),
            encoder!("quantizr", "QUANTIZR"),
        ]
    }
}

impl FrameOutput for Png {
    fn make(&self, source: &[u8], frame: &Rgba8, settings: &Settings) -> Result<Vec<u8>, String> {
        encode_frame(source, frame, settings)
    }

    fn is_published_frame(&self) -> bool {
        true
    }
}
