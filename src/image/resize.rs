//! Resampling shared by thumbnails and GIF width: Lanczos3 on premultiplied
//! alpha, with `fast_image_resize` (SIMD, MIT/Apache).
//!
//! Premultiplying matters for turntable renders on transparent backgrounds:
//! without it the (black) colour of transparent pixels bleeds into the
//! object's edge and gives a dark fringe on a white page.

use fast_image_resize::images::Image;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

use crate::image::decode::Rgba8;

/// Size that fits `(width, height)` so its longest edge is `longest`,
/// keeping the aspect ratio; never upscales.
pub fn fit_longest(width: u32, height: u32, longest: u32) -> (u32, u32) {
    let edge = width.max(height);
    if edge <= longest {
        return (width, height);
    }
    let scale = |v: u32| {
        ((u64::from(v) * u64::from(longest) + u64::from(edge) / 2) / u64::from(edge)).max(1) as u32
    };
    (scale(width), scale(height))
}

/// Size with the given width, height following the aspect ratio.
pub fn fit_width(width: u32, height: u32, new_width: u32) -> (u32, u32) {
    let h =
        (u64::from(height) * u64::from(new_width) + u64::from(width) / 2) / u64::from(width.max(1));
    (new_width, h.max(1) as u32)
}

/// Resizes with Lanczos3 on premultiplied alpha. Returns a copy of the
/// input when the size is the same.
pub fn resize(src: &Rgba8, width: u32, height: u32) -> Result<Rgba8, String> {
    if (width, height) == src.dimensions() {
        return Ok(src.clone());
    }
    if width == 0 || height == 0 {
        return Err(format!("cannot resize to {width}x{height}"));
    }
    let mut dst = Image::new(width, height, PixelType::U8x4);
    let result = Image::from_vec_u8(src.width, src.height, src.pixels.clone(), PixelType::U8x4)
        .map_err(|e| e.to_string())
        .and_then(|source| {
            Resizer::new()
                .resize(
                    &source,
                    &mut dst,
                    &ResizeOptions::new()
                        .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
                        .use_alpha(true),
                )
                .map_err(|e| e.to_string())
        });
    result.map_err(|e| format!("resizing to {width}x{height} failed: {e}"))?;
    Ok(Rgba8::new(width, height, dst.into_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_keep_aspect() {
        assert_eq!(fit_longest(480, 720, 320), (213, 320));
        assert_eq!(fit_longest(600, 600, 320), (320, 320));
        assert_eq!(fit_longest(100, 50, 320), (100, 50));
        assert_eq!(fit_width(480, 720, 240), (240, 360));
    }

    #[test]
    fn transparent_edges_get_no_dark_fringe() {
        // White opaque left half, transparent *black* right half.
        let (w, h) = (64, 8);
        let mut px = vec![0u8; w * h * 4];
        for y in 0..h {
            for x in 0..w / 2 {
                px[(y * w + x) * 4..][..4].copy_from_slice(&[255, 255, 255, 255]);
            }
        }
        let out = resize(&Rgba8::new(w as u32, h as u32, px), 16, 2).unwrap();
        for p in out.pixels.chunks_exact(4) {
            if p[3] > 0 {
                // Composited on white it must stay white: colour of any
                // visible pixel is white, whatever its coverage.
                assert!(p[0] >= 250 && p[1] >= 250 && p[2] >= 250, "{p:?}");
            }
        }
    }
}
