//! Opt-in lossy PNGs: palette quantisation with error diffusion, as
//! pngquant does it, for a gallery grid that would rather load fast than be
//! exact. Never the default: the lossless path is the product's promise.
//!
//! Quantisation is quantizr's (MIT; libimagequant, which pngquant uses, is
//! GPL and cannot be linked). It quantises all four channels, so
//! anti-aliased edges keep their partial alpha, and it maps every fully
//! transparent pixel to one transparent entry. The indexed pixels then go
//! through oxipng like any other PNG, which also shrinks the bit depth when
//! the palette allows it.

use oxipng::{BitDepth, ColorType, RawImage, RGBA8};

use crate::image::decode::Rgba8;
use crate::image::png::options_at;
use crate::settings::Settings;

/// Full error diffusion, pngquant's default: without it the smooth shading
/// of a render bands visibly at 256 colours.
const DITHERING: f32 = 1.0;

/// A frame reduced to a palette: one index per pixel.
pub struct Indexed {
    pub palette: Vec<[u8; 4]>,
    pub indices: Vec<u8>,
}

/// Quantises a frame to at most `colors` RGBA colours, dithered.
pub fn quantize(image: &Rgba8, colors: u16) -> Result<Indexed, String> {
    let (w, h) = (image.width as usize, image.height as usize);
    let img = quantizr::Image::new(&image.pixels, w, h).map_err(|e| format!("quantise: {e:?}"))?;
    let mut opts = quantizr::Options::default();
    opts.set_max_colors(i32::from(colors))
        .map_err(|e| format!("quantise: {e:?}"))?;
    let mut result = quantizr::QuantizeResult::quantize(&img, &opts);
    result
        .set_dithering_level(DITHERING)
        .map_err(|e| format!("quantise: {e:?}"))?;
    let mut indices = vec![0u8; w * h];
    result
        .remap_image(&img, &mut indices)
        .map_err(|e| format!("quantise: {e:?}"))?;
    let pal = result.get_palette();
    let palette = pal.entries[..pal.count as usize]
        .iter()
        .map(|c| [c.r, c.g, c.b, c.a])
        .collect();
    Ok(Indexed { palette, indices })
}

/// Encodes a frame as a dithered palette PNG, optimised by oxipng at
/// `effort` (the caller's: frames and thumbnails have their own).
pub fn encode_lossy(image: &Rgba8, opts: &Settings, effort: u8) -> Result<Vec<u8>, String> {
    let q = quantize(image, opts.png_colors)?;
    let palette = q
        .palette
        .iter()
        .map(|&[r, g, b, a]| RGBA8::new(r, g, b, a))
        .collect();
    let raw = RawImage::new(
        image.width,
        image.height,
        ColorType::Indexed { palette },
        BitDepth::Eight,
        q.indices,
    )
    .map_err(|e| format!("palette PNG: {e}"))?;
    raw.create_optimized_png(&options_at(effort, opts.strip))
        .map_err(|e| format!("palette PNG: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::decode::decode_png;
    use std::path::Path;

    /// A soft gradient with a transparent border and a half-transparent ring,
    /// the shapes a render has.
    fn render_like(w: u32, h: u32) -> Rgba8 {
        let mut px = Vec::new();
        for y in 0..h {
            for x in 0..w {
                let (dx, dy) = (x as f32 - w as f32 / 2.0, y as f32 - h as f32 / 2.0);
                let r = (dx * dx + dy * dy).sqrt() / (w as f32 / 2.0);
                let a = if r < 0.8 {
                    255
                } else if r < 0.9 {
                    128
                } else {
                    0
                };
                let c = [(x * 255 / w) as u8, (y * 255 / h) as u8, 180, a];
                px.extend_from_slice(&if a == 0 { [0; 4] } else { c });
            }
        }
        Rgba8::new(w, h, px)
    }

    #[test]
    fn lossy_png_is_a_small_palette_close_to_the_source() {
        let src = render_like(96, 64);
        let opts = Settings {
            png_lossy: true,
            png_colors: 48,
            ..Settings::default()
        };
        let bytes = encode_lossy(&src, &opts, opts.png_effort).unwrap();
        let back = decode_png(&bytes, Path::new("t.png")).unwrap();
        assert_eq!(back.dimensions(), src.dimensions());
        // Transparent stays exactly transparent, opaque stays opaque, and
        // partial alpha survives on the ring.
        let mut err = 0u64;
        let mut colours = std::collections::HashSet::new();
        for (a, b) in src.pixels.chunks_exact(4).zip(back.pixels.chunks_exact(4)) {
            assert_eq!(a[3], b[3], "alpha changed: {a:?} -> {b:?}");
            colours.insert([b[0], b[1], b[2], b[3]]);
            if a[3] > 0 {
                err += (0..3).map(|i| u64::from(a[i].abs_diff(b[i]))).sum::<u64>();
            }
        }
        assert!(colours.len() <= 48, "{} colours", colours.len());
        let visible = src.pixels.chunks_exact(4).filter(|p| p[3] > 0).count() as u64;
        let mean = err as f64 / (visible * 3) as f64;
        assert!(mean < 8.0, "mean channel error {mean}");
    }

    #[test]
    fn lossy_png_is_deterministic() {
        let src = render_like(64, 64);
        let opts = Settings {
            png_lossy: true,
            ..Settings::default()
        };
        assert_eq!(
            encode_lossy(&src, &opts, opts.png_effort).unwrap(),
            encode_lossy(&src, &opts, opts.png_effort).unwrap()
        );
    }
}
