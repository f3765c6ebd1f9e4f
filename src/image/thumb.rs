//! Thumbnails for the gallery grid: Lanczos3 on premultiplied alpha, then
//! written as an optimised PNG straight from the pixels (no intermediate
//! PNG encode and decode).

use crate::image::decode::Rgba8;
use crate::image::png::encode_rgba;
use crate::image::resize::{fit_longest, resize};
use crate::settings::Settings;

/// Makes the thumbnail PNG of a decoded frame.
pub fn thumbnail(frame: &Rgba8, s: &Settings) -> Result<Vec<u8>, String> {
    let (w, h) = fit_longest(frame.width, frame.height, s.thumb_size);
    let small = resize(frame, w, h)?;
    encode_rgba(small, s, s.thumb_effort).map_err(|e| format!("thumbnail: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::decode::decode_png;
    use std::path::Path;

    #[test]
    fn thumbnail_fits_the_longest_edge() {
        let frame = Rgba8::new(480, 720, [90, 120, 200, 255].repeat(480 * 720));
        let bytes = thumbnail(&frame, &Settings::default()).unwrap();
        let t = decode_png(&bytes, Path::new("t.png")).unwrap();
        assert_eq!(t.dimensions(), (213, 320));
        assert!(t.pixels.chunks_exact(4).all(|p| p == [90, 120, 200, 255]));
    }

    #[test]
    fn thumbnails_follow_thumb_effort_not_png_effort_in_both_modes() {
        // A shaded frame, so that effort shows in the bytes.
        let px = (0..400u32 * 400)
            .flat_map(|i| {
                let (x, y) = (i % 400, i / 400);
                [
                    (x * 255 / 400) as u8,
                    (y * 255 / 400) as u8,
                    ((x ^ y) & 0xff) as u8,
                    255,
                ]
            })
            .collect();
        let frame = Rgba8::new(400, 400, px);
        for lossy in [false, true] {
            let s = |thumb_effort, png_effort| Settings {
                thumb_effort,
                png_effort,
                png_lossy: lossy,
                ..Settings::default()
            };
            let a = thumbnail(&frame, &s(0, 0)).unwrap();
            // The cache key of a thumbnail leaves png_effort out.
            let b = thumbnail(&frame, &s(0, 3)).unwrap();
            assert!(a == b, "lossy={lossy}: {} vs {} bytes", a.len(), b.len());
            let c = thumbnail(&frame, &s(3, 0)).unwrap();
            assert!(a != c, "lossy={lossy}: thumb_effort changed nothing");
        }
    }
}
