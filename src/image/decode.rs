//! Reading frames: any PNG the renderer or the user hands us, to RGBA8.
//!
//! Every later stage (GIF, thumbnail) works on 8-bit RGBA, so the colour
//! type and bit depth zoo of PNG (grey, palette, tRNS, 16-bit, interlaced)
//! is normalised once, here. The optimised PNG copy does not go through this:
//! it is made from the original bytes so 16-bit and colour profiles survive.
//!
//! Untrusted sizes are checked against the header before any pixel buffer is
//! allocated, so a 60000x60000 claim is an error, not an out-of-memory abort.

use std::io::Cursor;
use std::path::Path;

use crate::error::{Error, Result};

/// Largest frame accepted, in pixels (16k x 16k; a turntable render is
/// rarely above 4k x 4k). Bigger claims are refused before allocation.
pub const MAX_PIXELS: u64 = 16_384 * 16_384;

/// A decoded frame: 8-bit RGBA, not premultiplied, rows top to bottom.
#[derive(Clone, PartialEq, Eq)]
pub struct Rgba8 {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

impl std::fmt::Debug for Rgba8 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Rgba8({}x{})", self.width, self.height)
    }
}

impl Rgba8 {
    pub fn new(width: u32, height: u32, pixels: Vec<u8>) -> Self {
        debug_assert_eq!(pixels.len(), width as usize * height as usize * 4);
        Rgba8 {
            width,
            height,
            pixels,
        }
    }

    pub fn dimensions(&self) -> (u32, u32) {
        (self.width, self.height)
    }
}

const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// The size a PNG's header claims, read without decoding anything (so a
/// gallery's pixel count is known before any buffer is allocated); `None`
/// when the bytes do not start like a PNG (decoding then says why).
pub fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if !bytes.starts_with(SIGNATURE) || bytes.get(12..16) != Some(b"IHDR") {
        return None;
    }
    let be = |at: usize| Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?));
    Some((be(16)?, be(20)?))
}

/// Decodes PNG bytes to RGBA8. `path` only names the file in errors.
pub fn decode_png(bytes: &[u8], path: &Path) -> Result<Rgba8> {
    let err = |message: String| Error::Decode {
        path: path.to_path_buf(),
        message,
    };
    if !bytes.starts_with(SIGNATURE) {
        return Err(err("not a PNG file (bad signature)".into()));
    }
    let mut decoder = png::Decoder::new_with_limits(
        Cursor::new(bytes),
        png::Limits {
            bytes: (MAX_PIXELS * 8) as usize,
        },
    );
    // Palette and grey expand to RGB(A), tRNS becomes alpha, 16-bit drops to 8.
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder
        .read_info()
        .map_err(|e| err(format!("cannot read PNG header: {e}")))?;
    let (width, height) = {
        let info = reader.info();
        (info.width, info.height)
    };
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(err(format!(
            "image claims {width}x{height} pixels, more than the {MAX_PIXELS} accepted"
        )));
    }
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| err("image too large".into()))?;
    let mut buf = vec![0; size];
    let out = reader
        .next_frame(&mut buf)
        .map_err(|e| err(format!("corrupt or truncated PNG: {e}")))?;
    buf.truncate(out.buffer_size());
    let pixels = to_rgba8(buf, out.color_type)
        .ok_or_else(|| err(format!("unsupported colour type {:?}", out.color_type)))?;
    Ok(Rgba8::new(width, height, pixels))
}

/// Reads (only if it is a regular file) and decodes a PNG file.
pub fn read_png(path: &Path, shown_as: &Path) -> Result<(Vec<u8>, Rgba8)> {
    let bytes = crate::site::fs::read_regular(path, shown_as, &crate::site::fs::NEVER)?;
    let image = decode_png(&bytes, shown_as)?;
    Ok((bytes, image))
}

fn to_rgba8(buf: Vec<u8>, color: png::ColorType) -> Option<Vec<u8>> {
    use png::ColorType::*;
    Some(match color {
        Rgba => buf,
        Rgb => expand(&buf, 3, |p, o| o[..3].copy_from_slice(p)),
        GrayscaleAlpha => expand(&buf, 2, |p, o| o.copy_from_slice(&[p[0], p[0], p[0], p[1]])),
        Grayscale => expand(&buf, 1, |p, o| o[..3].fill(p[0])),
        // EXPAND turns palettes into RGB(A); seeing one here is a png crate change.
        Indexed => return None,
    })
}

/// Pixels of `n` samples to RGBA, opaque unless `f` says otherwise. Written
/// into a buffer of the final size: collecting a `flat_map` cannot know
/// that size and grows as it goes.
fn expand(buf: &[u8], n: usize, f: impl Fn(&[u8], &mut [u8])) -> Vec<u8> {
    let mut out = vec![255u8; buf.len() / n * 4];
    for (o, p) in out.chunks_exact_mut(4).zip(buf.chunks_exact(n)) {
        f(p, o);
    }
    out
}

/// Decodes PNG bytes at full precision, as 16-bit RGBA, to compare two
/// encodings of one image exactly (the optimised copy may change colour
/// type and bit depth, never the pixels).
pub fn decode_png_exact(bytes: &[u8]) -> std::result::Result<(u32, u32, Vec<u16>), String> {
    let mut decoder = png::Decoder::new_with_limits(
        Cursor::new(bytes),
        png::Limits {
            bytes: (MAX_PIXELS * 8) as usize,
        },
    );
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
    let (width, height) = (reader.info().width, reader.info().height);
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err("image too large".into());
    }
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| "image too large".to_string())?;
    let mut buf = vec![0; size];
    let out = reader.next_frame(&mut buf).map_err(|e| e.to_string())?;
    buf.truncate(out.buffer_size());
    let samples: Vec<u16> = match out.bit_depth {
        png::BitDepth::Sixteen => buf
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect(),
        // EXPAND brings sub-byte depths up to 8; scale 8-bit to 16 exactly.
        _ => buf.iter().map(|&v| u16::from(v) * 257).collect(),
    };
    use png::ColorType::*;
    let rgba: Vec<u16> = match out.color_type {
        Rgba => samples,
        Rgb => samples
            .chunks_exact(3)
            .flat_map(|p| [p[0], p[1], p[2], u16::MAX])
            .collect(),
        GrayscaleAlpha => samples
            .chunks_exact(2)
            .flat_map(|p| [p[0], p[0], p[0], p[1]])
            .collect(),
        Grayscale => samples.iter().flat_map(|&g| [g, g, g, u16::MAX]).collect(),
        Indexed => return Err("palette left unexpanded".into()),
    };
    Ok((width, height, rgba))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(
        width: u32,
        height: u32,
        color: png::ColorType,
        depth: png::BitDepth,
        data: &[u8],
    ) -> Vec<u8> {
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(color);
        enc.set_depth(depth);
        let mut w = enc.write_header().unwrap();
        w.write_image_data(data).unwrap();
        w.finish().unwrap();
        out
    }

    #[test]
    fn grey_becomes_rgba() {
        let bytes = encode(
            2,
            1,
            png::ColorType::Grayscale,
            png::BitDepth::Eight,
            &[0, 200],
        );
        let img = decode_png(&bytes, Path::new("g.png")).unwrap();
        assert_eq!(img.pixels, vec![0, 0, 0, 255, 200, 200, 200, 255]);
    }

    #[test]
    fn sixteen_bit_is_reduced_and_exact_keeps_it() {
        let data = [0x12, 0x34, 0xff, 0xff, 0x00, 0x00];
        let bytes = encode(1, 1, png::ColorType::Rgb, png::BitDepth::Sixteen, &data);
        let img = decode_png(&bytes, Path::new("x.png")).unwrap();
        assert_eq!(img.pixels, vec![0x12, 0xff, 0x00, 255]);
        let (_, _, exact) = decode_png_exact(&bytes).unwrap();
        assert_eq!(exact, vec![0x1234, 0xffff, 0, 0xffff]);
    }

    #[test]
    fn text_file_is_a_one_line_error() {
        let e = decode_png(b"hello, not a png", Path::new("a.png")).unwrap_err();
        assert_eq!(e.to_string(), "a.png: not a PNG file (bad signature)");
    }

    #[test]
    fn huge_claim_is_refused_before_allocation() {
        let mut bytes = encode(1, 1, png::ColorType::Rgba, png::BitDepth::Eight, &[0; 4]);
        // Rewrite IHDR to claim 60000x60000 and fix its CRC.
        bytes[16..20].copy_from_slice(&60000u32.to_be_bytes());
        bytes[20..24].copy_from_slice(&60000u32.to_be_bytes());
        let crc = crc32(&bytes[12..29]);
        bytes[29..33].copy_from_slice(&crc.to_be_bytes());
        let e = decode_png(&bytes, Path::new("big.png")).unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("big.png: "), "{msg}");
        assert!(!msg.contains('\n'));
    }

    #[test]
    fn the_header_tells_the_size_without_decoding() {
        let bytes = encode(3, 2, png::ColorType::Rgba, png::BitDepth::Eight, &[0; 24]);
        assert_eq!(png_size(&bytes), Some((3, 2)));
        assert_eq!(png_size(&bytes[..20]), None);
        assert_eq!(png_size(b"GIF89a, not a PNG at all"), None);
    }

    #[test]
    fn truncated_is_an_error() {
        let bytes = encode(4, 4, png::ColorType::Rgba, png::BitDepth::Eight, &[7; 64]);
        let e = decode_png(&bytes[..bytes.len() - 20], Path::new("t.png")).unwrap_err();
        assert!(e.to_string().starts_with("t.png: "), "{e}");
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
}
