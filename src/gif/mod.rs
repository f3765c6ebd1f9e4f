//! The turntable GIF: one shared palette, stable remapping, frame
//! differencing, LZW in parallel.
//!
//! Stages, each over all frames:
//! 1. matte: fully transparent pixels stay transparent, partially
//!    transparent ones are blended onto the page colour (GIF has 1-bit alpha);
//! 2. palette: one palette for every frame, from the pixels of all frames
//!    (quantette's k-means in Oklab), one index kept for transparency; a
//!    shared palette keeps unchanged pixels identical between frames, which
//!    is what differencing needs;
//! 3. remap every frame to palette indices (in parallel), with the chosen
//!    dither;
//! 4. difference each frame against the screen the previous frames left:
//!    only the changed rectangle is stored, unchanged pixels become the
//!    transparent index, and a frame is disposed to background only where a
//!    later frame needs pixels cleared (sequential, but cheap: indices only);
//! 5. LZW-compress frames in parallel (our own compressor, see `lzw`, which
//!    may trade a bounded colour error for longer strings) and write them in
//!    order with `gif` 0.14's pre-encoded frames, so the bytes do not depend
//!    on the thread count.
//!
//! Defaults were chosen by measuring bytes and SSIM on the example renders
//! (see the README's table): no dither (ordered and error diffusion both
//! cost bytes *and* SSIM with a shared 256-colour palette) and lossy level
//! 15 (fewer bytes than gifski `--quality 90` with higher SSIM).

pub mod lzw;

use std::borrow::Cow;

use gif::{DisposalMethod, Encoder, Frame, Repeat};
use quantette::color_map::{IndexedColorMap, NearestNeighborColorMap};
use quantette::deps::palette::{Oklab, Srgb};
use quantette::{PaletteBuf, PaletteSize, Pipeline, QuantizeMethod};
use rayon::prelude::*;

use crate::image::decode::Rgba8;
use crate::image::resize;
use crate::settings::{Dither, Rgb, Settings};

/// Why a GIF could not be made; frame numbers are 0-based indices into the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GifError {
    #[error("no frames")]
    NoFrames,
    #[error("frame {index} is {}x{}, but the first frame is {}x{}", found.0, found.1, expected.0, expected.1)]
    FrameSize {
        index: usize,
        expected: (u32, u32),
        found: (u32, u32),
    },
    #[error("{0}x{1} is larger than a GIF can be (65535x65535)")]
    TooLarge(u32, u32),
    #[error("{0}")]
    Encode(String),
}

/// A frame as palette indices over the whole canvas.
type Indexed = Vec<u8>;

/// Encodes `frames` (all the same size) as one looping animated GIF.
pub fn encode(frames: &[Rgba8], opts: &Settings) -> Result<Vec<u8>, GifError> {
    let first = frames.first().ok_or(GifError::NoFrames)?;
    let size = first.dimensions();
    if let Some((index, f)) = frames
        .iter()
        .enumerate()
        .find(|(_, f)| f.dimensions() != size)
    {
        return Err(GifError::FrameSize {
            index,
            expected: size,
            found: f.dimensions(),
        });
    }
    let (width, height) = match opts.gif_width {
        Some(w) if w != size.0 => resize::fit_width(size.0, size.1, w),
        _ => size,
    };
    if width > u32::from(u16::MAX) || height > u32::from(u16::MAX) {
        return Err(GifError::TooLarge(width, height));
    }

    // 1. Resize and matte, per frame in parallel.
    let matted: Vec<Matted> = frames
        .par_iter()
        .map(|f| {
            if f.dimensions() == (width, height) {
                return Ok(matte(f, opts.matte));
            }
            let f = resize::resize(f, width, height).map_err(GifError::Encode)?;
            Ok(matte(&f, opts.matte))
        })
        .collect::<Result<_, GifError>>()?;

    // 2. One palette for all frames; the last index is transparency.
    let palette = build_palette(&matted, opts.gif_colors, opts.matte);
    let transparent = palette.len() as u8;

    // 3. Remap, per frame in parallel.
    let map = NearestNeighborColorMap::new(to_oklab_palette(&palette));
    let indexed: Vec<Indexed> = matted
        .par_iter()
        .map(|m| {
            remap(
                m,
                width as usize,
                &map,
                &palette,
                transparent,
                opts.gif_dither,
            )
        })
        .collect();
    drop(matted);

    // 4. Difference against the composited screen.
    let tolerance = (opts.gif_lossy > 0).then(|| {
        let lab = to_oklab_palette(&palette);
        let lab = lab.as_slice();
        let limit = f32::from(opts.gif_lossy) / 1000.0;
        lzw::Tolerance::new(palette.len() + 1, transparent, limit, |a, b| {
            let (x, y) = (lab[a], lab[b]);
            ((x.l - y.l).powi(2) + (x.a - y.a).powi(2) + (x.b - y.b).powi(2)).sqrt()
        })
    });
    let plans = difference(
        &indexed,
        width as usize,
        height as usize,
        transparent,
        tolerance.as_ref(),
    );
    drop(indexed);

    // 5. LZW in parallel (lossy within the tolerance), written in order.
    let delay = ((opts.gif_delay + 5) / 10).clamp(1, u32::from(u16::MAX)) as u16;
    let frames: Vec<Frame<'static>> = plans
        .into_par_iter()
        .map(|p| {
            let data = lzw::compress(&p.pixels, Some(&p.alt), tolerance.as_ref());
            Frame {
                delay,
                dispose: p.dispose,
                transparent: Some(transparent),
                left: p.rect.x as u16,
                top: p.rect.y as u16,
                width: p.rect.w as u16,
                height: p.rect.h as u16,
                buffer: Cow::Owned(data),
                ..Frame::default()
            }
        })
        .collect();

    let mut table: Vec<u8> = palette.iter().flatten().copied().collect();
    table.extend_from_slice(&opts.matte.0); // the transparent entry's colour is never shown
    let mut out = Vec::new();
    {
        let enc_err = |e: gif::EncodingError| GifError::Encode(e.to_string());
        let mut encoder =
            Encoder::new(&mut out, width as u16, height as u16, &table).map_err(enc_err)?;
        let repeat = match opts.gif_loop {
            0 => Repeat::Infinite,
            n => Repeat::Finite(n),
        };
        encoder.set_repeat(repeat).map_err(enc_err)?;
        for frame in &frames {
            encoder
                .write_lzw_pre_encoded_frame(frame)
                .map_err(enc_err)?;
        }
        encoder.into_inner().map_err(enc_err)?;
    }
    Ok(out)
}

/// A frame with its alpha resolved: colours on the matte, and a mask of
/// fully transparent pixels.
struct Matted {
    rgb: Vec<[u8; 3]>,
    clear: Vec<bool>,
}

fn matte(frame: &Rgba8, matte: Rgb) -> Matted {
    let n = frame.pixels.len() / 4;
    let mut rgb = Vec::with_capacity(n);
    let mut clear = Vec::with_capacity(n);
    for p in frame.pixels.chunks_exact(4) {
        let a = u32::from(p[3]);
        clear.push(a == 0);
        rgb.push(match a {
            0 => matte.0,
            255 => [p[0], p[1], p[2]],
            _ => {
                let blend = |c: u8, m: u8| {
                    ((u32::from(c) * a + u32::from(m) * (255 - a) + 127) / 255) as u8
                };
                [
                    blend(p[0], matte.0[0]),
                    blend(p[1], matte.0[1]),
                    blend(p[2], matte.0[2]),
                ]
            }
        });
    }
    Matted { rgb, clear }
}

/// The shared palette (at most `colors - 1` entries) from every visible
/// pixel of every frame.
fn build_palette(frames: &[Matted], colors: u16, matte: Rgb) -> Vec<[u8; 3]> {
    let visible: Vec<Srgb<u8>> = frames
        .iter()
        .flat_map(|f| {
            f.rgb
                .iter()
                .zip(&f.clear)
                .filter(|(_, &c)| !c)
                .map(|(p, _)| Srgb::new(p[0], p[1], p[2]))
        })
        .collect();
    let size = PaletteSize::from_u8_clamped(colors.saturating_sub(1).clamp(1, 255) as u8);
    // Serial on purpose: quantette's parallel k-means sums floats in an
    // order that depends on the thread count, and the output must not.
    let palette = Pipeline::new()
        .palette_size(size)
        .quantize_method(QuantizeMethod::kmeans())
        .parallel(false)
        .input_slice(&visible)
        .map(|p| p.output_srgb8_palette().into_vec());
    match palette {
        Ok(p) if !p.is_empty() => p.into_iter().map(|c| [c.red, c.green, c.blue]).collect(),
        // No visible pixel at all: a one-colour palette keeps the file valid.
        _ => vec![matte.0],
    }
}

fn to_oklab_palette(palette: &[[u8; 3]]) -> PaletteBuf<Oklab> {
    let srgb: Vec<Srgb<u8>> = palette
        .iter()
        .map(|c| Srgb::new(c[0], c[1], c[2]))
        .collect();
    let oklab = quantette::color_space::srgb8_to_oklab(&srgb);
    // Non-empty and at most 255 long, which is all PaletteBuf requires.
    PaletteBuf::new(oklab).unwrap_or_else(|_| PaletteBuf::from_array([Oklab::new(1.0, 0.0, 0.0)]))
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

/// Nearest palette index of colours, memoised: renders repeat colours a lot
/// (flat backgrounds, the same object in every frame).
struct Lookup<'a> {
    map: &'a NearestNeighborColorMap<Oklab, f32, 3>,
    cache: Vec<(u32, u8)>,
}

impl<'a> Lookup<'a> {
    const BITS: u32 = 14;

    fn new(map: &'a NearestNeighborColorMap<Oklab, f32, 3>) -> Self {
        Lookup {
            map,
            cache: vec![(u32::MAX, 0); 1 << Self::BITS],
        }
    }

    fn index(&mut self, c: [u8; 3]) -> u8 {
        let key = u32::from(c[0]) << 16 | u32::from(c[1]) << 8 | u32::from(c[2]);
        let slot = (key.wrapping_mul(0x9E37_79B1) >> (32 - Self::BITS)) as usize;
        if self.cache[slot].0 == key {
            return self.cache[slot].1;
        }
        let lab = quantette::color_space::srgb8_to_oklab(&[Srgb::new(c[0], c[1], c[2])]);
        let i = self.map.palette_index(&lab[0]);
        self.cache[slot] = (key, i);
        i
    }
}

fn remap(
    m: &Matted,
    width: usize,
    map: &NearestNeighborColorMap<Oklab, f32, 3>,
    palette: &[[u8; 3]],
    transparent: u8,
    dither: Dither,
) -> Indexed {
    let mut lookup = Lookup::new(map);
    let mut out = vec![transparent; m.rgb.len()];
    match dither {
        Dither::None => {
            for (i, (c, &clear)) in m.rgb.iter().zip(&m.clear).enumerate() {
                if !clear {
                    out[i] = lookup.index(*c);
                }
            }
        }
        Dither::Ordered => {
            for (i, (c, &clear)) in m.rgb.iter().zip(&m.clear).enumerate() {
                if clear {
                    continue;
                }
                let (x, y) = (i % width, i / width);
                let t = (f32::from(BAYER8[y % 8][x % 8]) + 0.5) / 64.0 - 0.5;
                let d = (t * ORDERED_SPREAD).round() as i16;
                let shift = |v: u8| (i16::from(v) + d).clamp(0, 255) as u8;
                out[i] = lookup.index([shift(c[0]), shift(c[1]), shift(c[2])]);
            }
        }
        Dither::Diffusion => {
            // Floyd–Steinberg in sRGB, error carried in two rows of f32.
            let height = m.rgb.len() / width.max(1);
            let mut err = vec![[0f32; 3]; 2 * (width + 2)];
            for y in 0..height {
                let (cur, next) = err.split_at_mut(width + 2);
                for x in 0..width {
                    let i = y * width + x;
                    if m.clear[i] {
                        continue;
                    }
                    let e = cur[x + 1];
                    let c = m.rgb[i];
                    let want = [
                        f32::from(c[0]) + e[0],
                        f32::from(c[1]) + e[1],
                        f32::from(c[2]) + e[2],
                    ];
                    let q = want.map(|v| v.round().clamp(0.0, 255.0) as u8);
                    let idx = lookup.index(q);
                    out[i] = idx;
                    let got = palette.get(usize::from(idx)).copied().unwrap_or(q);
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
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rect {
    x: usize,
    y: usize,
    w: usize,
    h: usize,
}

/// Bounding box of points, built up one point at a time.
#[derive(Default)]
struct Bounds(Option<(usize, usize, usize, usize)>);

impl Bounds {
    fn add(&mut self, x: usize, y: usize) {
        self.0 = Some(match self.0 {
            None => (x, y, x, y),
            Some((x0, y0, x1, y1)) => (x0.min(x), y0.min(y), x1.max(x), y1.max(y)),
        });
    }

    fn merge(mut self, other: Bounds) -> Self {
        if let Some((x0, y0, x1, y1)) = other.0 {
            self.add(x0, y0);
            self.add(x1, y1);
        }
        self
    }

    fn union(mut self, r: Rect) -> Self {
        self.add(r.x, r.y);
        self.add(r.x + r.w - 1, r.y + r.h - 1);
        self
    }

    fn rect(&self) -> Option<Rect> {
        self.0.map(|(x0, y0, x1, y1)| Rect {
            x: x0,
            y: y0,
            w: x1 - x0 + 1,
            h: y1 - y0 + 1,
        })
    }
}

/// Bounding box of the pixels where `test(screen, frame)` holds, scanned in
/// parallel by bands of rows (min/max merge in any order, so the result
/// does not depend on the thread count).
fn bounds_where(
    screen: &[u8],
    frame: &[u8],
    width: usize,
    test: impl Fn(u8, u8) -> bool + Sync,
) -> Bounds {
    const ROWS: usize = 32;
    screen
        .par_chunks(width * ROWS)
        .zip(frame.par_chunks(width * ROWS))
        .enumerate()
        .map(|(band, (s, f))| {
            let mut b = Bounds::default();
            for (i, (&s, &f)) in s.iter().zip(f).enumerate() {
                if test(s, f) {
                    b.add(i % width, band * ROWS + i / width);
                }
            }
            b
        })
        .reduce(Bounds::default, Bounds::merge)
}

/// What is stored for one frame.
struct FramePlan {
    rect: Rect,
    /// Indices to send: the transparent index where the screen already
    /// shows the right colour.
    pixels: Vec<u8>,
    /// The colour each pixel should show: for unchanged pixels, sending it
    /// instead of the transparent index renders the same, and LZW may pick
    /// whichever makes the longer string.
    alt: Vec<u8>,
    dispose: DisposalMethod,
}

/// Plans every frame's rectangle, pixels and disposal so that decoding
/// reproduces each frame exactly (see the module doc, step 4).
fn difference(
    frames: &[Indexed],
    width: usize,
    height: usize,
    t: u8,
    tolerance: Option<&lzw::Tolerance>,
) -> Vec<FramePlan> {
    // With a tolerance, a pixel whose shown colour is close enough to the
    // new one counts as unchanged: renderer noise does not force a redraw.
    // The shown colour is compared with each new frame, so the error never
    // exceeds the tolerance.
    let same =
        |shown: u8, want: u8| shown == want || tolerance.is_some_and(|tol| tol.ok(shown, want));
    let full = Rect {
        x: 0,
        y: 0,
        w: width,
        h: height,
    };
    let crop = |frame: &Indexed, r: Rect| -> Vec<u8> {
        (r.y..r.y + r.h)
            .flat_map(|y| {
                frame[y * width + r.x..y * width + r.x + r.w]
                    .iter()
                    .copied()
            })
            .collect()
    };
    let mut plans: Vec<FramePlan> = Vec::with_capacity(frames.len());
    // What a decoder shows after the previous frame (before its disposal).
    let mut screen: Vec<u8> = vec![t; width * height];

    // Frame 0 is drawn on a clear canvas, also when the animation loops (as
    // browsers do); treating the loop back to it as one more frame makes the
    // last frame clear what frame 0 does not cover.
    let order = (0..frames.len()).chain((frames.len() > 1).then_some(0));
    for (step, i) in order.enumerate() {
        let cur = &frames[i];
        if step == 0 {
            plans.push(FramePlan {
                rect: full,
                pixels: cur.clone(),
                alt: cur.clone(),
                dispose: DisposalMethod::Keep,
            });
            screen.clone_from(cur);
            continue;
        }
        // Pixels that must turn transparent can only be cleared by disposing
        // the previous frame to background; grow its rectangle to cover them
        // and redraw that area with what the screen shows.
        let must_clear = bounds_where(&screen, cur, width, |s, c| s != t && c == t);
        let prev = plans.len() - 1;
        if must_clear.0.is_some() {
            let grown = must_clear.union(plans[prev].rect).rect().unwrap_or(full);
            plans[prev].rect = grown;
            plans[prev].pixels = crop(&screen, grown);
            plans[prev].alt = plans[prev].pixels.clone();
            plans[prev].dispose = DisposalMethod::Background;
            for y in grown.y..grown.y + grown.h {
                screen[y * width + grown.x..y * width + grown.x + grown.w].fill(t);
            }
        }
        if step == frames.len() {
            break; // the loop-back step only adjusts the last frame
        }
        let changed = bounds_where(&screen, cur, width, |s, c| !same(s, c));
        let rect = changed.rect().unwrap_or(Rect {
            x: 0,
            y: 0,
            w: 1,
            h: 1,
        });
        let mut pixels = Vec::with_capacity(rect.w * rect.h);
        let mut alt = Vec::with_capacity(rect.w * rect.h);
        for y in rect.y..rect.y + rect.h {
            for x in rect.x..rect.x + rect.w {
                let p = y * width + x;
                // Unchanged pixels are transparent: they keep what is shown
                // and compress into long runs of one index.
                let keep = same(screen[p], cur[p]);
                pixels.push(if keep { t } else { cur[p] });
                alt.push(if keep { screen[p] } else { cur[p] });
            }
        }
        // What is shown now: kept pixels stay as they were.
        for y in rect.y..rect.y + rect.h {
            for x in rect.x..rect.x + rect.w {
                let p = y * width + x;
                if !same(screen[p], cur[p]) {
                    screen[p] = cur[p];
                }
            }
        }
        plans.push(FramePlan {
            rect,
            pixels,
            alt,
            dispose: DisposalMethod::Keep,
        });
    }
    plans
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes a GIF and composites every frame, honouring disposal, for
    /// `passes` loops without clearing the canvas between them (the strict
    /// reading of the spec; browsers clear at the loop, which is easier).
    /// Returns RGBA frames, delays and the loop count (`None` = forever).
    pub(crate) fn decode_composited(
        bytes: &[u8],
        passes: usize,
    ) -> (Vec<Vec<u8>>, Vec<u16>, Option<u16>) {
        let mut options = gif::DecodeOptions::new();
        options.set_color_output(gif::ColorOutput::Indexed);
        let mut d = options.read_info(bytes).unwrap();
        let (w, _h) = (d.width() as usize, d.height() as usize);
        let global = d.global_palette().unwrap().to_vec();
        let mut raw = Vec::new();
        while let Some(f) = d.read_next_frame().unwrap() {
            raw.push(f.clone());
        }
        let mut canvas = vec![0u8; w * d.height() as usize * 4];
        let mut out = Vec::new();
        for _ in 0..passes {
            for f in &raw {
                let pal = f.palette.clone().unwrap_or_else(|| global.clone());
                for y in 0..f.height as usize {
                    for x in 0..f.width as usize {
                        let i = f.buffer[y * f.width as usize + x];
                        if Some(i) == f.transparent {
                            continue;
                        }
                        let p = ((f.top as usize + y) * w + f.left as usize + x) * 4;
                        canvas[p..p + 3].copy_from_slice(&pal[i as usize * 3..i as usize * 3 + 3]);
                        canvas[p + 3] = 255;
                    }
                }
                out.push(canvas.clone());
                if f.dispose == DisposalMethod::Background {
                    for y in 0..f.height as usize {
                        let row = ((f.top as usize + y) * w + f.left as usize) * 4;
                        canvas[row..row + f.width as usize * 4].fill(0);
                    }
                }
            }
        }
        let delays = raw.iter().map(|f| f.delay).collect();
        let repeat = match d.repeat() {
            Repeat::Infinite => None,
            Repeat::Finite(n) => Some(n),
        };
        (out, delays, repeat)
    }

    fn solid(w: u32, h: u32, f: impl Fn(u32, u32) -> [u8; 4]) -> Rgba8 {
        let mut px = Vec::new();
        for y in 0..h {
            for x in 0..w {
                px.extend_from_slice(&f(x, y));
            }
        }
        Rgba8::new(w, h, px)
    }

    /// A square that moves right on a transparent background.
    fn moving_square(n: u32) -> Vec<Rgba8> {
        (0..n)
            .map(|i| {
                solid(24, 16, move |x, y| {
                    if x >= i * 4 && x < i * 4 + 6 && (4..10).contains(&y) {
                        [200, 30, 30, 255]
                    } else {
                        [0, 0, 0, 0]
                    }
                })
            })
            .collect()
    }

    #[test]
    fn moving_object_leaves_no_trail_including_at_the_loop() {
        let frames = moving_square(4);
        let opts = Settings {
            gif_dither: Dither::None,
            ..Settings::default()
        };
        let bytes = encode(&frames, &opts).unwrap();
        // Two passes without clearing: the loop back to frame 0 is exact too.
        let (decoded, _, _) = decode_composited(&bytes, 2);
        assert_eq!(decoded.len(), 8);
        for (src, got) in frames.iter().chain(&frames).zip(&decoded) {
            for (s, g) in src.pixels.chunks_exact(4).zip(got.chunks_exact(4)) {
                assert_eq!(s[3] == 0, g[3] == 0, "transparency differs");
                if s[3] != 0 {
                    assert_eq!(&s[..3], &g[..3]);
                }
            }
        }
    }

    #[test]
    fn lossy_output_stays_close_and_keeps_transparency_exact() {
        // A shaded disc turning (its shading moves) on a transparent canvas.
        let frames: Vec<Rgba8> = (0..6)
            .map(|i| {
                solid(64, 48, move |x, y| {
                    let (dx, dy) = (x as i32 - 32, y as i32 - 24);
                    if dx * dx + dy * dy > 400 {
                        return [0, 0, 0, 0];
                    }
                    let shade = ((x * 3 + y * 2 + i * 9) % 200) as u8;
                    [120 + shade / 4, 40 + shade / 3, 30 + shade / 5, 255]
                })
            })
            .collect();
        let bytes = encode(&frames, &Settings::default()).unwrap();
        let exact = encode(
            &frames,
            &Settings {
                gif_lossy: 0,
                ..Settings::default()
            },
        )
        .unwrap();
        assert!(bytes.len() <= exact.len());
        let (decoded, _, _) = decode_composited(&bytes, 2);
        for (src, got) in frames.iter().chain(&frames).zip(&decoded) {
            let mut err = 0u64;
            for (s, g) in src.pixels.chunks_exact(4).zip(got.chunks_exact(4)) {
                assert_eq!(s[3] == 0, g[3] == 0, "transparency differs");
                if s[3] != 0 {
                    let e = (0..3)
                        .map(|c| (i32::from(s[c]) - i32::from(g[c])).unsigned_abs())
                        .max()
                        .unwrap();
                    assert!(e <= 24, "pixel off by {e}");
                    err += u64::from(e);
                }
            }
            assert!(err / (64 * 48) <= 3, "mean error {}", err / (64 * 48));
        }
    }

    #[test]
    fn loop_and_delay_fields() {
        let frames = moving_square(3);
        let opts = Settings {
            gif_delay: 80,
            gif_loop: 0,
            ..Settings::default()
        };
        let (_, delays, repeat) = decode_composited(&encode(&frames, &opts).unwrap(), 1);
        assert_eq!(delays, vec![8, 8, 8]);
        assert_eq!(repeat, None);
        let opts = Settings {
            gif_loop: 3,
            ..opts
        };
        let (_, _, repeat) = decode_composited(&encode(&frames, &opts).unwrap(), 1);
        assert_eq!(repeat, Some(3));
    }

    #[test]
    fn partial_alpha_is_blended_onto_the_matte() {
        let frames = vec![solid(4, 4, |_, _| [0, 0, 0, 128])];
        let bytes = encode(
            &frames,
            &Settings {
                gif_dither: Dither::None,
                ..Settings::default()
            },
        )
        .unwrap();
        let (decoded, _, _) = decode_composited(&bytes, 1);
        let p = &decoded[0][..4];
        assert_eq!(p[3], 255);
        assert!((125..=129).contains(&p[0]), "{p:?}");
    }

    #[test]
    fn mismatched_frames_are_an_error() {
        let frames = vec![solid(4, 4, |_, _| [0; 4]), solid(5, 4, |_, _| [0; 4])];
        let e = encode(&frames, &Settings::default()).unwrap_err();
        assert_eq!(
            e,
            GifError::FrameSize {
                index: 1,
                expected: (4, 4),
                found: (5, 4)
            }
        );
    }

    #[test]
    fn output_does_not_depend_on_thread_count() {
        let frames: Vec<Rgba8> = (0..6)
            .map(|i| {
                solid(40, 30, move |x, y| {
                    [
                        (x * 6 + i * 7) as u8,
                        (y * 8) as u8,
                        ((x + y) * 3) as u8,
                        if (x + i) % 9 == 0 { 0 } else { 255 },
                    ]
                })
            })
            .collect();
        for dither in [Dither::None, Dither::Ordered, Dither::Diffusion] {
            let opts = Settings {
                gif_dither: dither,
                ..Settings::default()
            };
            let run = |threads| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap()
                    .install(|| encode(&frames, &opts).unwrap())
            };
            let one = run(1);
            assert!(one == run(2), "{dither}: -j 1 and -j 2 differ");
            assert!(one == run(3), "{dither}: -j 1 and -j 3 differ");
        }
    }

    #[test]
    fn width_resizes() {
        let frames = moving_square(2);
        let bytes = encode(
            &frames,
            &Settings {
                gif_width: Some(12),
                ..Settings::default()
            },
        )
        .unwrap();
        let d = gif::DecodeOptions::new().read_info(&bytes[..]).unwrap();
        assert_eq!((d.width(), d.height()), (12, 8));
    }
}
