//! RGB -> Y'CbCr 4:2:0, BT.709 matrix, limited ("TV", 16-235/16-240) range.
//!
//! Why do it ourselves: openh264's own RGB->YUV helper uses the BT.601 matrix,
//! and rav1e takes planar YUV only. Doing the conversion once here means both
//! encoders get the *same* planes, and the stream can truthfully be tagged
//! BT.709 / limited range (H.264 VUI, AV1 sequence header, MP4 `colr`, WebM
//! `Colour`). Untagged streams are decoded as BT.601 by most players (and by
//! ffmpeg), which shifts colours visibly: tagging and matrix must agree.
//!
//! Odd sizes: 4:2:0 needs even width and height (H.264 cropping works in
//! 2-pixel units for 4:2:0, and browsers/Safari reject odd-sized H.264).
//! We *pad* to even by replicating the last column/row (no source pixel is
//! lost and the extra line is an exact copy of its neighbour, so it neither
//! costs bits nor shows as a coloured seam). The video is then at most 1 px
//! wider/taller than the GIF; `vidq.py` crops that padding when comparing.
//!
//! All arithmetic is integer, so the output is bit-identical on every
//! machine and thread count.

use crate::image::decode::Rgba8;

/// An 8-bit RGB image, rows tightly packed (`stride == width * 3`).
#[derive(Clone)]
pub struct Rgb {
    pub width: usize,
    pub height: usize,
    pub data: Vec<u8>,
}

impl Rgb {
    /// Flattens a straight-alpha frame onto the page colour, in 8-bit sRGB
    /// as a browser draws the GIF or PNG on the page: no video format that
    /// every browser plays carries alpha (Safari has none in WebM, H.264
    /// has none at all).
    pub fn on_matte(frame: &Rgba8, matte: [u8; 3]) -> Rgb {
        let mut data = Vec::with_capacity(frame.pixels.len() / 4 * 3);
        for p in frame.pixels.chunks_exact(4) {
            let a = p[3];
            data.extend_from_slice(&[
                over(p[0], a, matte[0]),
                over(p[1], a, matte[1]),
                over(p[2], a, matte[2]),
            ]);
        }
        Rgb {
            width: frame.width as usize,
            height: frame.height as usize,
            data,
        }
    }
}

/// Composites one straight-alpha channel over an opaque matte:
/// `(c*a + m*(255-a)) / 255`, rounded to nearest; exact for a = 0 and 255.
#[inline]
pub fn over(c: u8, a: u8, m: u8) -> u8 {
    let v = c as u32 * a as u32 + m as u32 * (255 - a as u32);
    // (v + 127) / 255 without a division: the usual /255 rounding trick.
    ((v + 128 + ((v + 128) >> 8)) >> 8) as u8
}

/// One 8-bit 4:2:0 picture. `width`/`height` are even; chroma planes are
/// `width/2 x height/2`; all strides equal the plane width.
#[derive(Clone)]
pub struct Yuv420 {
    pub width: usize,
    pub height: usize,
    pub y: Vec<u8>,
    pub u: Vec<u8>,
    pub v: Vec<u8>,
}

// BT.709 coefficients (Kr=0.2126, Kb=0.0722) pre-scaled for limited range
// (219/255 for luma, 224/255 for chroma) in 16.16 fixed point. Chroma rows
// sum to exactly 0 so greys map to Cb=Cr=128 exactly; luma row sums so that
// RGB 255 maps to exactly Y=235.
const YR: i32 = 11966;
const YG: i32 = 40254;
const YB: i32 = 4064;
const UR: i32 = -6596;
const UG: i32 = -22188;
const UB: i32 = 28784;
const VR: i32 = 28784;
const VG: i32 = -26145;
const VB: i32 = -2639;

/// Even size a picture will be padded to.
pub fn padded_size(w: usize, h: usize) -> (usize, usize) {
    ((w + 1) & !1, (h + 1) & !1)
}

impl Yuv420 {
    /// Convert an RGB frame (already composited on the matte) to BT.709
    /// limited-range 4:2:0, padding odd dimensions by edge replication.
    /// Chroma is the 2x2 box average (centre-sited samples), computed on the
    /// non-linear R'G'B' values like every common converter.
    pub fn from_rgb_bt709(img: &Rgb) -> Yuv420 {
        let (sw, sh) = (img.width, img.height);
        let (w, h) = padded_size(sw, sh);
        let (cw, ch) = (w / 2, h / 2);
        // Fetch a source pixel, clamping coordinates into the source (this is
        // what implements edge-replication padding).
        let px = |x: usize, y: usize| -> (i32, i32, i32) {
            let i = (y.min(sh - 1) * sw + x.min(sw - 1)) * 3;
            (
                img.data[i] as i32,
                img.data[i + 1] as i32,
                img.data[i + 2] as i32,
            )
        };
        let mut yp = vec![0u8; w * h];
        for y in 0..h {
            let row = &mut yp[y * w..(y + 1) * w];
            for (x, out) in row.iter_mut().enumerate() {
                let (r, g, b) = px(x, y);
                // +0.5 rounding, +16 offset. Result is always within 16..=235.
                *out = ((YR * r + YG * g + YB * b + (16 << 16) + (1 << 15)) >> 16) as u8;
            }
        }
        let mut up = vec![0u8; cw * ch];
        let mut vp = vec![0u8; cw * ch];
        for cy in 0..ch {
            for cx in 0..cw {
                let (mut r, mut g, mut b) = (0, 0, 0);
                for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                    let p = px(2 * cx + dx, 2 * cy + dy);
                    r += p.0;
                    g += p.1;
                    b += p.2;
                }
                // Sums of 4 pixels: divide by 4 inside the shift (16 + 2).
                let u = (UR * r + UG * g + UB * b + (128 << 18) + (1 << 17)) >> 18;
                let v = (VR * r + VG * g + VB * b + (128 << 18) + (1 << 17)) >> 18;
                up[cy * cw + cx] = u.clamp(16, 240) as u8;
                vp[cy * cw + cx] = v.clamp(16, 240) as u8;
            }
        }
        Yuv420 {
            width: w,
            height: h,
            y: yp,
            u: up,
            v: vp,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    fn one(r: u8, g: u8, b: u8) -> (u8, u8, u8) {
        let img = Rgb {
            width: 2,
            height: 2,
            data: [r, g, b].repeat(4),
        };
        let p = Yuv420::from_rgb_bt709(&img);
        (p.y[0], p.u[0], p.v[0])
    }
    #[test]
    fn over_matches_exact_rounding() {
        for c in 0..=255u32 {
            for a in 0..=255u32 {
                for m in [0u32, 128, 255] {
                    let exact = ((c * a + m * (255 - a)) as f64 / 255.0).round() as u8;
                    assert_eq!(over(c as u8, a as u8, m as u8), exact, "c={c} a={a} m={m}");
                }
            }
        }
    }

    #[test]
    fn reference_colours() {
        assert_eq!(one(255, 255, 255), (235, 128, 128));
        assert_eq!(one(0, 0, 0), (16, 128, 128));
        assert_eq!(one(128, 128, 128), (126, 128, 128));
        // BT.709 limited primaries (ITU-R BT.709 table / ffmpeg colorspace).
        assert_eq!(one(255, 0, 0), (63, 102, 240));
        assert_eq!(one(0, 255, 0), (173, 42, 26));
        assert_eq!(one(0, 0, 255), (32, 240, 118));
    }
    #[test]
    fn odd_size_pads_by_replication() {
        let img = Rgb {
            width: 3,
            height: 1,
            data: vec![0, 0, 0, 0, 0, 0, 255, 255, 255],
        };
        let p = Yuv420::from_rgb_bt709(&img);
        assert_eq!((p.width, p.height), (4, 2));
        assert_eq!(p.y, vec![16, 16, 235, 235, 16, 16, 235, 235]);
    }
}
