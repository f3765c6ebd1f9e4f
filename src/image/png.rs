//! Lossless PNG optimisation with oxipng, verified pixel for pixel.
//!
//! The optimised copy is made from the source file's bytes (not from the
//! RGBA8 the other stages use) so 16-bit depth, palettes and colour
//! profiles survive exactly. oxipng may change colour type and bit depth;
//! every result is decoded again and compared with the source at full
//! precision, and a result that differs is refused, never written.

use oxipng::{BitDepth, ColorType, Deflater, FilterStrategy, Options, RawImage, StripChunks};

use crate::image::decode::{decode_png_exact, Rgba8, MAX_PIXELS};
use crate::image::lossy::encode_lossy;
use crate::settings::{Settings, Strip};

/// oxipng options for our settings, at the frames' effort.
pub fn oxipng_options(opts: &Settings) -> Options {
    options_at(opts.png_effort, opts.strip)
}

/// oxipng options for an effort level.
///
/// Levels 2-6 are oxipng's presets. Levels 0 and 1 are ours, chosen by
/// measuring the 32 example renders and their thumbnails (README,
/// "PNG effort"): renders are noisy, continuous-tone images, for which
/// oxipng's `Bigrams` and `MinSum` heuristics never won, while `None` or
/// `Sub` always did (which one depends on the render). So the cheap levels
/// try just those two and spend the time on the final deflate instead:
/// level 1 (deflate 10) gives 1.016x oxipng -o2's bytes in 0.47x its time,
/// level 0 (deflate 7) 1.17x in 0.07x.
pub fn options_at(effort: u8, strip: Strip) -> Options {
    let mut o = match effort {
        0 | 1 => {
            let mut o = Options::from_preset(2);
            o.filters = oxipng::indexset! { FilterStrategy::NONE, FilterStrategy::SUB };
            o.deflater = Deflater::Libdeflater {
                compression: if effort == 0 { 7 } else { 10 },
            };
            o
        }
        level => Options::from_preset(level),
    };
    o.strip = match strip {
        Strip::None => StripChunks::None,
        // oxipng's `Safe` keeps colour profile and other rendering chunks.
        Strip::Safe => StripChunks::Safe,
        Strip::All => StripChunks::All,
    };
    // Never let a hostile file inflate to gigabytes inside oxipng.
    o.max_decompressed_size = Some((MAX_PIXELS * 8) as usize);
    o
}

/// The published copy of a frame: lossless from the source bytes, or, in
/// the opt-in lossy mode, a palette PNG of the decoded pixels.
pub fn encode_frame(source: &[u8], image: &Rgba8, opts: &Settings) -> Result<Vec<u8>, String> {
    if opts.png_lossy {
        encode_lossy(image, opts, opts.png_effort)
    } else {
        optimize_png_decoded(source, image, opts)
    }
}

/// An optimised PNG of pixels made here (thumbnails), at `effort` in both
/// modes: lossless RGBA, or a palette PNG in lossy mode.
pub fn encode_rgba(image: Rgba8, opts: &Settings, effort: u8) -> Result<Vec<u8>, String> {
    if opts.png_lossy {
        return encode_lossy(&image, opts, effort);
    }
    let raw = RawImage::new(
        image.width,
        image.height,
        ColorType::RGBA,
        BitDepth::Eight,
        image.pixels,
    )
    .map_err(|e| e.to_string())?;
    raw.create_optimized_png(&options_at(effort, opts.strip))
        .map_err(|e| e.to_string())
}

/// Optimises a PNG losslessly. Returns the new bytes, or the source bytes
/// when oxipng cannot make them smaller.
pub fn optimize_png(source: &[u8], opts: &Settings) -> Result<Vec<u8>, String> {
    optimize(source, None, opts)
}

/// `optimize_png` for a source already decoded to RGBA8 (`image`), which
/// then serves as the reference when checking the result.
pub fn optimize_png_decoded(
    source: &[u8],
    image: &Rgba8,
    opts: &Settings,
) -> Result<Vec<u8>, String> {
    optimize(source, Some(image), opts)
}

fn optimize(source: &[u8], image: Option<&Rgba8>, opts: &Settings) -> Result<Vec<u8>, String> {
    let out = oxipng::optimize_from_memory(source, &oxipng_options(opts))
        .map_err(|e| format!("PNG optimisation failed: {e}"))?;
    match image {
        // Both at most 8 bits per sample: RGBA8 holds every value exactly,
        // and the source's RGBA8 is already at hand (one decode, not two).
        Some(image) if at_most_8_bit(source) && at_most_8_bit(&out) => {
            let back = crate::image::decode::decode_png(&out, std::path::Path::new("optimised"))
                .map_err(|e| format!("cannot decode optimised copy: {e}"))?;
            if back != *image {
                return Err(NOT_SAME.into());
            }
        }
        _ => verify_same_pixels(source, &out)?,
    }
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
        return Err(NOT_SAME.into());
    }
    Ok(())
}

const NOT_SAME: &str = "optimised copy does not decode to the source pixels; not written";

/// True when the IHDR says at most 8 bits per sample.
fn at_most_8_bit(png: &[u8]) -> bool {
    // Signature (8), chunk length (4), "IHDR" (4), width (4), height (4).
    png.get(24).is_some_and(|&depth| depth <= 8)
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
        let out = optimize_png(&src, &Settings::default()).unwrap();
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
