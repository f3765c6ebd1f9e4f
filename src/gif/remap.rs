//! Frames to palette indices, and each pixel's tolerance.
//!
//! Matting (GIF has 1-bit alpha), remapping to the shared palette with the
//! chosen dither, and the per-pixel masking that content-aware lossy
//! compression needs, all from one pass over the frame's pixels: each
//! distinct colour is looked up once in the shared colour cache, which
//! answers both its palette index and its Oklab. Work is done by bands of
//! rows in parallel; a band reads `tolerance::HALO` rows of context so
//! its masking equals the whole frame's, and the output does not depend
//! on the number of threads.

use std::ops::Range;

use rayon::prelude::*;

use super::difference::Rect;
use super::palette::{matte_pixel, Lab};
use super::tolerance::{self, LabRows, Ramp};
use super::Ctx;
use crate::settings::Dither;

/// Rows per band of parallel preparation: enough that the masking
/// measure's context rows (recomputed by both neighbours) cost little.
pub(crate) const BAND: usize = 128;

/// A rectangle of a frame, ready for differencing and LZW.
pub(crate) struct Tile {
    /// Palette indices (the transparent index where the frame is clear).
    pub(crate) indices: Vec<u8>,
    /// How much error each pixel can hide (see `tolerance`), or
    /// zeros when not asked for.
    pub(crate) masking: Vec<u8>,
    /// The matted colours (interleaved RGB), when asked for.
    pub(crate) rgb: Vec<u8>,
}

/// Columns `cols` of rows `rows` of frame `f`, with masking and colours
/// if asked. Error diffusion is not applied here (it runs across the
/// whole frame).
pub(crate) fn prepare_tile(
    ctx: &Ctx<'_>,
    f: usize,
    cols: Range<usize>,
    rows: Range<usize>,
    masking: bool,
    rgb: bool,
) -> Tile {
    let n = rows.len() * cols.len();
    let mut out = Tile {
        indices: vec![ctx.transparent; n],
        masking: vec![0; n],
        rgb: if rgb { vec![0; n * 3] } else { Vec::new() },
    };
    fill(
        ctx,
        f,
        (cols, rows),
        &mut out.indices,
        masking.then_some(&mut out.masking[..]),
        rgb.then_some(&mut out.rgb[..]),
        None,
    );
    out
}

/// The rows and the columns (as start and end) of the rectangle
/// `cols` x `rows` grown by `halo` on every side, clipped to the frame: the
/// context the masking of the rectangle reads.
fn grown(
    ctx: &Ctx<'_>,
    (cols, rows): (&Range<usize>, &Range<usize>),
    halo: usize,
) -> ((usize, usize), (usize, usize)) {
    (
        (
            rows.start.saturating_sub(halo),
            (rows.end + halo).min(ctx.height),
        ),
        (
            cols.start.saturating_sub(halo),
            (cols.end + halo).min(ctx.width),
        ),
    )
}

/// Where `fill` writes the Oklab planes of a rectangle.
type LabSlices<'a> = [&'a mut [i16]; 3];

/// Matte and remap a rectangle of frame `f` into `indices`, and if asked
/// its masking, matted colours and Oklab, into buffers of its size. The
/// masking reads up to `HALO` pixels of context around the rectangle, so
/// a tile gets the same values as the whole frame.
fn fill(
    ctx: &Ctx<'_>,
    f: usize,
    (cols, rows): (Range<usize>, Range<usize>),
    indices: &mut [u8],
    masking: Option<&mut [u8]>,
    mut rgb: Option<&mut [u8]>,
    mut lab_out: Option<LabSlices<'_>>,
) {
    let (w, frame) = (ctx.width, &ctx.frames[f]);
    let with_masking = masking.is_some();
    let halo = if with_masking { tolerance::HALO } else { 0 };
    let ((lo, hi), (left, right)) = grown(ctx, (&cols, &rows), halo);
    let (tw, lw) = (cols.len(), right - left);
    let mut lab = LabRows::default();
    if with_masking {
        lab.resize((hi - lo) * lw);
    }
    // Renders repeat colours along a row (backgrounds, flat shading):
    // the previous pixel's answer saves a trip to the shared cache.
    let mut last: ([u8; 4], u8, Lab) = ([0; 4], ctx.transparent, ctx.matte_lab);
    let lookup = |p: &[u8], last: &mut ([u8; 4], u8, Lab)| {
        let key = [p[0], p[1], p[2], p[3]];
        if key != last.0 {
            let (i, l) = match matte_pixel(p, ctx.matte) {
                Some(c) => ctx.cache.get(c),
                None => (ctx.transparent, ctx.matte_lab),
            };
            *last = (key, i, l);
        }
        (last.1, last.2)
    };
    for y in lo..hi {
        let line = &frame.pixels[(y * w + left) * 4..(y * w + right) * 4];
        let inside = rows.contains(&y);
        if with_masking {
            let at = (y - lo) * lw;
            let (pl, pa, pb) = (
                &mut lab.l[at..at + lw],
                &mut lab.a[at..at + lw],
                &mut lab.b[at..at + lw],
            );
            for (k, p) in line.chunks_exact(4).enumerate() {
                let (_, l) = lookup(p, &mut last);
                pl[k] = l[0];
                pa[k] = l[1];
                pb[k] = l[2];
            }
        }
        if !inside {
            continue;
        }
        let src = &line[(cols.start - left) * 4..(cols.end - left) * 4];
        let at = (y - rows.start) * tw;
        let out = &mut indices[at..at + tw];
        for (k, (o, p)) in out.iter_mut().zip(src.chunks_exact(4)).enumerate() {
            let (index, l) = lookup(p, &mut last);
            *o = match ctx.dither {
                Dither::Ordered => match matte_pixel(p, ctx.matte) {
                    Some(c) => ctx.cache.index(ordered(c, cols.start + k, y)),
                    None => ctx.transparent,
                },
                _ => index,
            };
            if let Some([pl, pa, pb]) = lab_out.as_mut() {
                pl[at + k] = l[0];
                pa[at + k] = l[1];
                pb[at + k] = l[2];
            }
        }
        if let Some(rgb) = rgb.as_deref_mut() {
            let out = &mut rgb[(y - rows.start) * tw * 3..(y - rows.start + 1) * tw * 3];
            for (o, p) in out.chunks_exact_mut(3).zip(src.chunks_exact(4)) {
                o.copy_from_slice(&matte_pixel(p, ctx.matte).unwrap_or(ctx.matte.0));
            }
        }
    }
    if let Some(masking) = masking {
        let m = tolerance::masking(&lab, lw, rows.start - lo, rows.len());
        let skip = cols.start - left;
        for (out, src) in masking.chunks_exact_mut(tw).zip(m.chunks_exact(lw)) {
            out.copy_from_slice(&src[skip..skip + tw]);
        }
    }
}

/// A frame ready for differencing: its palette indices, and the Oklab of
/// its matted colours, looked up with them, from which the masking of
/// whatever rectangle turns out to differ is computed.
pub(crate) struct Prepared {
    pub(crate) indices: Vec<u8>,
    pub(crate) lab: LabRows,
}

/// Frame `f` ready for differencing (see [`Prepared`]).
pub(crate) fn prepare_frame(ctx: &Ctx<'_>, f: usize) -> Prepared {
    let w = ctx.width;
    let mut indices = vec![ctx.transparent; w * ctx.height];
    let mut lab = LabRows::default();
    lab.resize(w * ctx.height);
    indices
        .par_chunks_mut(BAND * w)
        .zip(lab.l.par_chunks_mut(BAND * w))
        .zip(lab.a.par_chunks_mut(BAND * w))
        .zip(lab.b.par_chunks_mut(BAND * w))
        .enumerate()
        .for_each(|(band, (((ind, l), a), b))| {
            let y0 = band * BAND;
            let rows = y0..y0 + ind.len() / w;
            let planes = Some([l, a, b]);
            fill(ctx, f, (0..w, rows), ind, None, None, planes);
        });
    if ctx.dither == Dither::Diffusion {
        diffuse(ctx, f, &mut indices);
    }
    Prepared { indices, lab }
}

/// Each pixel's tolerance at `ramp`, computed in `rect` of a frame only
/// (0, exact, elsewhere) from its Oklab planes `lab`, by bands in
/// parallel. Differencing asks only for the rectangle where the frame
/// differs from what is shown: elsewhere every pixel is unchanged
/// whatever its tolerance.
pub(crate) fn limits_in(ctx: &Ctx<'_>, lab: &LabRows, rect: Option<Rect>, ramp: &Ramp) -> Vec<u8> {
    let w = ctx.width;
    let mut limits = vec![0u8; w * ctx.height];
    let Some(r) = rect.filter(|_| !ramp.is_exact()) else {
        return limits;
    };
    limits[r.y * w..(r.y + r.h) * w]
        .par_chunks_mut(BAND * w)
        .enumerate()
        .for_each(|(band, out)| {
            let y0 = r.y + band * BAND;
            let rows = y0..y0 + out.len() / w;
            // The band's rectangle and its context, as `masking` reads it.
            let cols = r.x..r.x + r.w;
            let ((lo, hi), (left, right)) = grown(ctx, (&cols, &rows), tolerance::HALO);
            let lw = right - left;
            let mut band_lab = LabRows::default();
            band_lab.resize((hi - lo) * lw);
            for (k, y) in (lo..hi).enumerate() {
                let (src, dst) = (y * w + left..y * w + right, k * lw..(k + 1) * lw);
                band_lab.l[dst.clone()].copy_from_slice(&lab.l[src.clone()]);
                band_lab.a[dst.clone()].copy_from_slice(&lab.a[src.clone()]);
                band_lab.b[dst].copy_from_slice(&lab.b[src]);
            }
            let m = tolerance::masking(&band_lab, lw, rows.start - lo, rows.len());
            let skip = r.x - left;
            for (dst, src) in out.chunks_exact_mut(w).zip(m.chunks_exact(lw)) {
                for (d, &s) in dst[r.x..r.x + r.w].iter_mut().zip(&src[skip..skip + r.w]) {
                    *d = ramp.at(s);
                }
            }
        });
    limits
}

/// 8x8 Bayer matrix, values 0..64.
const BAYER8: [[u8; 8]; 8] = [
    [0, 32, 8, 40, 2, 34, 10, 42],
    [48, 16, 56, 24, 50, 18, 58, 26],
    [12, 44, 4, 36, 14, 46, 6, 38],
    [60, 28, 52, 20, 62, 30, 54, 22],
    [3, 35, 11, 43, 1, 33, 9, 41],
    [51, 19, 59, 27, 49, 17, 57, 25],
    [15, 47, 7, 39, 13, 45, 5, 37],
    [63, 31, 55, 23, 61, 29, 53, 21],
];

/// Ordered-dither amplitude in sRGB levels (peak to peak).
const ORDERED_SPREAD: f32 = 10.0;

/// `c` shifted by the ordered-dither threshold at (x, y).
#[inline]
fn ordered(c: [u8; 3], x: usize, y: usize) -> [u8; 3] {
    let t = (f32::from(BAYER8[y % 8][x % 8]) + 0.5) / 64.0 - 0.5;
    let d = (t * ORDERED_SPREAD).round() as i16;
    c.map(|v| (i16::from(v) + d).clamp(0, 255) as u8)
}

/// Floyd–Steinberg in sRGB over the whole frame, error carried in two
/// rows of f32 (sequential by nature).
fn diffuse(ctx: &Ctx<'_>, f: usize, out: &mut [u8]) {
    let (width, height) = (ctx.width, ctx.height);
    let pixels = &ctx.frames[f].pixels;
    let mut err = vec![[0f32; 3]; 2 * (width + 2)];
    for y in 0..height {
        let (cur, next) = err.split_at_mut(width + 2);
        for x in 0..width {
            let i = y * width + x;
            let Some(c) = matte_pixel(&pixels[i * 4..i * 4 + 4], ctx.matte) else {
                continue;
            };
            let e = cur[x + 1];
            let want = [
                f32::from(c[0]) + e[0],
                f32::from(c[1]) + e[1],
                f32::from(c[2]) + e[2],
            ];
            let q = want.map(|v| v.round().clamp(0.0, 255.0) as u8);
            let idx = ctx.cache.index(q);
            out[i] = idx;
            let got = ctx.palette.get(usize::from(idx)).copied().unwrap_or(q);
            for ch in 0..3 {
                let d = want[ch] - f32::from(got[ch]);
                cur[x + 2][ch] += d * 7.0 / 16.0;
                next[x][ch] += d * 3.0 / 16.0;
                next[x + 1][ch] += d * 5.0 / 16.0;
                next[x + 2][ch] += d * 1.0 / 16.0;
            }
        }
        cur.copy_from_slice(next);
        next.fill([0.0; 3]);
    }
}
