//! Lossless PNG optimisation with oxipng, verified pixel for pixel.
//!
//! The optimised copy is made from the source file's bytes (not from the
//! RGBA8 the other stages use) so 16-bit depth, palettes and colour
//! profiles survive exactly. oxipng may change colour type and bit depth;
//! every result is decoded again and compared with the source at full
//! precision, and a result that differs is refused, never written.

use oxipng::{Options, StripChunks};

use crate::config::{PngOptions, Strip};
use crate::decode::{decode_png_exact, MAX_PIXELS};

/// oxipng options for our settings.
pub fn oxipng_options(opts: &PngOptions) -> Options {
    let mut o = Options::from_preset(opts.effort);
    o.strip = match opts.strip {
        Strip::None => StripChunks::None,
        // oxipng's `Safe` keeps colour profile and other rendering chunks.
        Strip::Safe => StripChunks::Safe,
        Strip::All => StripChunks::All,
    };
    // Never let a hostile file inflate to gigabytes inside oxipng.
    o.max_decompressed_size = Some((MAX_PIXELS * 8) as usize);
    o
}

/// Optimises a PNG losslessly. Returns the new bytes, or the source bytes
/// when oxipng cannot make them smaller.
pub fn optimize_png(source: &[u8], opts: &PngOptions) -> Result<Vec<u8>, String> {
    let out = oxipng::optimize_from_memory(source, &oxipng_options(opts))
        .map_err(|e| format!("PNG optimisation failed: {e}"))?;
    verify_same_pixels(source, &out)?;
    Ok(if out.len() < source.len() {
        out
    } else {
        source.to_vec()
    })
}

/// Errors unless both PNGs decode to exactly the same pixels.
pub fn verify_same_pixels(a: &[u8], b: &[u8]) -> Result<(), String> {
    let left = decode_png_exact(a).map_err(|e| format!("cannot decode source: {e}"))?;
    let right = decode_png_exact(b).map_err(|e| format!("cannot decode optimised copy: {e}"))?;
    if left != right {
        return Err("optimised copy does not decode to the source pixels; not written".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bloated_png() -> Vec<u8> {
        let (w, h) = (32u32, 32u32);
        let mut data = Vec::new();
        for y in 0..h {
            for x in 0..w {
                data.extend_from_slice(&[(x * 8) as u8, (y * 8) as u8, 0, 255]);
            }
        }
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgba);
        enc.set_compression(png::Compression::NoCompression);
        let mut wr = enc.write_header().unwrap();
        wr.write_image_data(&data).unwrap();
        wr.finish().unwrap();
        out
    }

    #[test]
    fn optimised_png_is_smaller_and_identical() {
        let src = bloated_png();
        let out = optimize_png(&src, &PngOptions::default()).unwrap();
        assert!(out.len() < src.len());
        assert_eq!(
            decode_png_exact(&src).unwrap(),
            decode_png_exact(&out).unwrap()
        );
    }

    #[test]
    fn different_pixels_are_refused() {
        let a = bloated_png();
        let mut b = a.clone();
        // Same size, different content: re-encode with one pixel changed.
        let (w, h, mut px) = decode_png_exact(&a).unwrap();
        px[0] ^= 0xff00;
        let data: Vec<u8> = px.iter().map(|v| (v >> 8) as u8).collect();
        b.clear();
        let mut enc = png::Encoder::new(&mut b, w, h);
        enc.set_color(png::ColorType::Rgba);
        let mut wr = enc.write_header().unwrap();
        wr.write_image_data(&data).unwrap();
        wr.finish().unwrap();
        assert!(verify_same_pixels(&a, &b).is_err());
    }
}
