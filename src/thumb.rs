//! Thumbnails for the gallery grid: Lanczos3 on premultiplied alpha, then
//! written as an optimised PNG straight from the pixels (no intermediate
//! PNG encode and decode).

use crate::config::{PngOptions, ThumbOptions};
use crate::decode::Rgba8;
use crate::optimize::encode_rgba;
use crate::resize::{fit_longest, resize};

/// Makes the thumbnail PNG of a decoded frame.
pub fn thumbnail(frame: &Rgba8, thumb: &ThumbOptions, png: &PngOptions) -> Result<Vec<u8>, String> {
    let (w, h) = fit_longest(frame.width, frame.height, thumb.size);
    let small = resize(frame, w, h)?;
    encode_rgba(small, png, thumb.effort).map_err(|e| format!("thumbnail: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::decode_png;
    use std::path::Path;

    #[test]
    fn thumbnail_fits_the_longest_edge() {
        let frame = Rgba8::new(480, 720, [90, 120, 200, 255].repeat(480 * 720));
        let bytes = thumbnail(&frame, &ThumbOptions::default(), &PngOptions::default()).unwrap();
        let t = decode_png(&bytes, Path::new("t.png")).unwrap();
        assert_eq!(t.dimensions(), (213, 320));
        assert!(t.pixels.chunks_exact(4).all(|p| p == [90, 120, 200, 255]));
    }
}
