//! The GIF's shared palette, and the colour lookups every later stage uses.
//!
//! Why not quantette's one-call pipeline: it converts every pixel of every
//! frame to Oklab first (12 bytes a pixel, three times the frames
//! themselves), and its Wu pre-clustering bins Oklab over the whole sRGB
//! gamut, 32x16x16 bins. A render is one object under one light, so its
//! colours fill a handful of those bins and the palette came out with 62
//! colours (Back-Scapularis) or 137 (Leg-Gastrocnemius) of the 255 allowed.
//! Here the palette is built from a fixed-size, deterministic sample of
//! the visible pixels (k-means looks at only 2^16 of them anyway),
//! binned over the sample's own Oklab range, so every palette entry is used.
//!
//! [`ColorCache`] memoises the two things asked of each distinct colour,
//! its nearest palette index and its Oklab coordinates, in one table
//! shared by all threads: renders repeat colours heavily, and both
//! answers are pure functions of the colour, so a racing write can only
//! store the same value and the output never depends on timing.

use std::sync::atomic::{AtomicU64, Ordering};

use quantette::color_map::{IndexedColorMap, NearestNeighborColorMap};
use quantette::deps::palette::{Oklab, Srgb};
use quantette::kmeans::{Kmeans, KmeansOptions};
use quantette::wu::{BinnerF32x3, WuF32x3};
use quantette::{PaletteBuf, PaletteSize};
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::image::decode::Rgba8;
use crate::settings::Rgb;

/// About how many pixels the palette is built from. Wu's histogram
/// and k-means (which samples 2^16 of them) see no difference above this
/// on the example renders, and it bounds memory and time for any input.
const SAMPLE: usize = 1 << 20;

/// `colour` composited onto `matte` (the page colour), as GIF has 1-bit alpha;
/// `None` for fully transparent pixels, which stay transparent.
#[inline]
pub(crate) fn matte_pixel(p: &[u8], matte: Rgb) -> Option<[u8; 3]> {
    let a = u32::from(p[3]);
    match a {
        0 => None,
        255 => Some([p[0], p[1], p[2]]),
        _ => {
            let blend =
                |c: u8, m: u8| ((u32::from(c) * a + u32::from(m) * (255 - a) + 127) / 255) as u8;
            Some([
                blend(p[0], matte.0[0]),
                blend(p[1], matte.0[1]),
                blend(p[2], matte.0[2]),
            ])
        }
    }
}

/// Visible pixels of all frames, matted: every `step`-th pixel of each
/// row, from an offset that changes pseudo-randomly from row to row (so
/// the sample follows no grid that could alias with the image, while
/// memory is still read in order). Deterministic: frames are sampled in
/// parallel and joined in frame order.
fn sample(frames: &[&Rgba8], matte: Rgb) -> Vec<Srgb<u8>> {
    let Some(first) = frames.first() else {
        return Vec::new();
    };
    let width = first.width as usize;
    let total = first.pixels.len() / 4 * frames.len();
    let step = total.div_ceil(SAMPLE).max(1);
    let per_frame: Vec<Vec<Srgb<u8>>> = frames
        .par_iter()
        .enumerate()
        .map(|(f, frame)| {
            let mut out = Vec::with_capacity(frame.pixels.len() / 4 / step + 1);
            for (y, row) in frame.pixels.chunks_exact(width * 4).enumerate() {
                let mut x = hash((f * 65_536 + y) as u32) as usize % step;
                while x < width {
                    if let Some(c) = matte_pixel(&row[x * 4..x * 4 + 4], matte) {
                        out.push(Srgb::new(c[0], c[1], c[2]));
                    }
                    x += step;
                }
            }
            out
        })
        .collect();
    per_frame.concat()
}

#[inline]
fn hash(x: u32) -> u32 {
    let mut h = x.wrapping_mul(0x9E37_79B1);
    h ^= h >> 15;
    h = h.wrapping_mul(0x85EB_CA77);
    h ^ (h >> 13)
}

/// The shared palette (at most `colors - 1` entries, one index being kept
/// for transparency) from a sample of every frame's visible pixels.
pub(crate) fn build(frames: &[&Rgba8], colors: u16, matte: Rgb) -> Vec<[u8; 3]> {
    let pixels = sample(frames, matte);
    let size = usize::from(colors.saturating_sub(1).clamp(1, 255));
    // Colours that cover a large share of the picture (backgrounds, with
    // their render noise) get exact entries: on flat areas SSIM (and the
    // eye) notice an error that the same error on texture would not.
    let dominant = dominant_colors(&pixels, size / 4);
    let is_dominant: FxHashSet<u32> = dominant.iter().map(|&c| key(c)).collect();
    let rest: Vec<Srgb<u8>> = pixels
        .par_iter()
        .filter(|c| !is_dominant.contains(&key([c.red, c.green, c.blue])))
        .copied()
        .collect();
    let mut out = dominant;
    if out.len() < size && !rest.is_empty() {
        let k = PaletteSize::from_u8_clamped((size - out.len()) as u8);
        for c in kmeans_palette(&rest, k) {
            if !out.contains(&c) {
                out.push(c);
            }
        }
    }
    if out.is_empty() {
        // No visible pixel at all: a one-colour palette keeps the file valid.
        out.push(matte.0);
    }
    out
}

/// Share of the sample from which a single exact colour gets its own entry.
const DOMINANT_SHARE: usize = 256;

/// Exact colours making up at least 1/[`DOMINANT_SHARE`] of `pixels`, most
/// frequent first (ties by value, so the order is deterministic), at most `max`.
fn dominant_colors(pixels: &[Srgb<u8>], max: usize) -> Vec<[u8; 3]> {
    // A million lookups of small integer keys: rustc-hash's hasher is
    // several times faster than the default SipHash here, and nothing
    // about the keys is chosen by an attacker.
    // Counted by chunks in parallel; the counts are integers, so merging
    // them in any order gives the same totals.
    let counts = pixels
        .par_chunks(1 << 16)
        .map(|chunk| {
            let mut counts: FxHashMap<u32, usize> = FxHashMap::default();
            for c in chunk {
                *counts.entry(key([c.red, c.green, c.blue])).or_insert(0) += 1;
            }
            counts
        })
        .reduce(FxHashMap::default, |a, b| {
            let (small, mut big) = if a.len() < b.len() { (a, b) } else { (b, a) };
            for (k, n) in small {
                *big.entry(k).or_insert(0) += n;
            }
            big
        });
    let floor = (pixels.len() / DOMINANT_SHARE).max(16);
    let mut big: Vec<(u32, usize)> = counts.into_iter().filter(|&(_, n)| n >= floor).collect();
    big.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    big.into_iter()
        .take(max)
        .map(|(k, _)| [(k >> 16) as u8, (k >> 8) as u8, k as u8])
        .collect()
}

/// A colour as one integer (R high), ordered as the colour's bytes are.
#[inline]
fn key(c: [u8; 3]) -> u32 {
    u32::from(c[0]) << 16 | u32::from(c[1]) << 8 | u32::from(c[2])
}

/// How many colours k-means refines the palette with (quantette's default
/// is 2^18). Measured on the example renders at the default quality
/// target (bytes, mean/min SSIM by `benches/gifq.py`): 2^18 gave
/// Back-Scapularis 462,882 B 0.9952/0.9947 and Leg-Gastrocnemius 372,144 B
/// 0.9955/0.9943; 2^16 gave 461,678 B 0.9952/0.9947 and 371,721 B
/// 0.9955/0.9942, in a third of the time (k-means is serial, so this is
/// wall time: 40-54 -> 16 ms on Back-Scapularis).
const KMEANS_SAMPLES: u32 = 1 << 16;

/// Wu's pre-clustering (binned over the colours' own range) refined by
/// k-means, in Oklab; distinct sRGB colours out.
fn kmeans_palette(pixels: &[Srgb<u8>], k: PaletteSize) -> Vec<[u8; 3]> {
    let lab = quantette::color_space::srgb8_to_oklab_par(pixels);
    let Some(ranges) = ranges(&lab) else {
        return Vec::new();
    };
    let binner = BinnerF32x3::<32, 32, 32>::new(ranges);
    let Ok(wu) = WuF32x3::run_slice(&lab, binner) else {
        return Vec::new();
    };
    // Serial k-means: the parallel one sums in an order that depends on
    // the thread count, and the output must not. It refines Wu's
    // centroids with KMEANS_SAMPLES of the colours.
    let options = KmeansOptions::new().max_samples(KMEANS_SAMPLES);
    let Ok(km) = Kmeans::run_slice(&lab, wu.palette(k), options) else {
        return Vec::new();
    };
    let srgb = quantette::color_space::oklab_to_srgb8(km.into_palette().as_slice());
    // Centroids closer than an sRGB step round to one colour; a duplicate
    // entry would only split one colour's pixels between two indices.
    let mut out: Vec<[u8; 3]> = Vec::with_capacity(srgb.len());
    for c in srgb {
        let c = [c.red, c.green, c.blue];
        if !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// Each Oklab component's range over `lab`, widened a little so the
/// binner's top bin holds the maximum; `None` when empty.
fn ranges(lab: &[Oklab]) -> Option<[(f32, f32); 3]> {
    let first = lab.first()?;
    let mut r = [(first.l, first.l), (first.a, first.a), (first.b, first.b)];
    for c in lab {
        for (r, v) in r.iter_mut().zip([c.l, c.a, c.b]) {
            r.0 = r.0.min(v);
            r.1 = r.1.max(v);
        }
    }
    Some(r.map(|(lo, hi)| {
        let pad = ((hi - lo) * 1e-3).max(1e-4);
        (lo - pad, hi + pad)
    }))
}

/// sRGB 8-bit to linear light, the table every Oklab conversion starts from.
pub(crate) fn linear_table() -> [f32; 256] {
    std::array::from_fn(|i| {
        let v = i as f32 / 255.0;
        if v <= 0.040_45 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    })
}

/// Oklab of an sRGB colour (Björn Ottosson's matrices, as quantette uses).
#[allow(clippy::excessive_precision)]
pub(crate) fn oklab(lin: &[f32; 256], c: [u8; 3]) -> [f32; 3] {
    let (r, g, b) = (
        lin[usize::from(c[0])],
        lin[usize::from(c[1])],
        lin[usize::from(c[2])],
    );
    let l = (0.412_221_470_8 * r + 0.536_332_536_3 * g + 0.051_445_992_9 * b).cbrt();
    let m = (0.211_903_498_2 * r + 0.680_699_545_1 * g + 0.107_396_956_6 * b).cbrt();
    let s = (0.088_302_461_9 * r + 0.281_718_837_6 * g + 0.629_978_700_5 * b).cbrt();
    [
        0.210_454_255_3 * l + 0.793_617_785_0 * m - 0.004_072_046_8 * s,
        1.977_998_495_1 * l - 2.428_592_205_0 * m + 0.450_593_709_9 * s,
        0.025_904_037_1 * l + 0.782_771_766_2 * m - 0.808_675_766_0 * s,
    ]
}

/// Oklab as the integers the tolerance model works in: thousandths of
/// Oklab units (L 0..=1000, a and b within about +-320).
pub(crate) type Lab = [i16; 3];

/// A colour's nearest palette index and its Oklab coordinates, memoised.
pub(crate) struct ColorCache {
    map: NearestNeighborColorMap<Oklab, f32, 3>,
    lin: [f32; 256],
    /// Packed entries (see `pack`), 0 = empty. Direct-mapped by a hash of
    /// the colour.
    table: Vec<AtomicU64>,
}

const CACHE_BITS: u32 = 18;

impl ColorCache {
    pub(crate) fn new(palette: &[[u8; 3]]) -> Self {
        let lin = linear_table();
        let lab: Vec<Oklab> = palette
            .iter()
            .map(|&c| {
                let [l, a, b] = oklab(&lin, c);
                Oklab::new(l, a, b)
            })
            .collect();
        // Non-empty and at most 255 long, which is all PaletteBuf requires.
        let lab = PaletteBuf::new(lab)
            .unwrap_or_else(|_| PaletteBuf::from_array([Oklab::new(1.0, 0.0, 0.0)]));
        ColorCache {
            map: NearestNeighborColorMap::new(lab),
            lin,
            table: (0..1usize << CACHE_BITS)
                .map(|_| AtomicU64::new(0))
                .collect(),
        }
    }

    /// Nearest palette index and Oklab (in thousandths) of `c`.
    #[inline]
    pub(crate) fn get(&self, c: [u8; 3]) -> (u8, Lab) {
        let key = u32::from(c[0]) << 16 | u32::from(c[1]) << 8 | u32::from(c[2]);
        let slot = (key.wrapping_mul(0x9E37_79B1) >> (32 - CACHE_BITS)) as usize;
        let e = self.table[slot].load(Ordering::Relaxed);
        if e != 0 && (e >> 39) as u32 == key {
            return unpack(e);
        }
        let [l, a, b] = oklab(&self.lin, c);
        let index = self.map.palette_index(&Oklab::new(l, a, b));
        let lab = [
            (l * 1000.0).round() as i16,
            (a * 1000.0).round() as i16,
            (b * 1000.0).round() as i16,
        ];
        self.table[slot].store(pack(key, index, lab), Ordering::Relaxed);
        (index, lab)
    }

    /// The palette index alone, for dithered colours (whose Oklab nobody asks).
    #[inline]
    pub(crate) fn index(&self, c: [u8; 3]) -> u8 {
        self.get(c).0
    }
}

/// 24 bits of colour, 8 of index, and L, a, b in 10 bits each
/// (a and b offset by 320 so they are positive, which also keeps every
/// entry non-zero).
#[inline]
fn pack(key: u32, index: u8, lab: Lab) -> u64 {
    let field = |v: i16, off: i16| u64::from((v + off).clamp(0, 1023) as u16);
    u64::from(key) << 39
        | u64::from(index) << 31
        | field(lab[0], 0) << 20
        | field(lab[1], 320) << 10
        | field(lab[2], 320)
}

#[inline]
fn unpack(e: u64) -> (u8, Lab) {
    let f = |shift: u32| ((e >> shift) & 1023) as i16;
    ((e >> 31) as u8, [f(20), f(10) - 320, f(0) - 320])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_round_trips() {
        for (key, index, lab) in [
            (0u32, 0u8, [0i16, 0, 0]),
            (0xff_ffff, 254, [1000, 276, -311]),
            (0x12_3456, 7, [537, -233, 198]),
        ] {
            let e = pack(key, index, lab);
            assert_ne!(e, 0);
            assert_eq!((e >> 39) as u32, key);
            assert_eq!(unpack(e), (index, lab));
        }
    }

    #[test]
    fn narrow_gamut_renders_get_every_palette_entry() {
        // One hue under varying light, as a render is: the old whole-gamut
        // binning gave such inputs a few dozen colours.
        let px: Vec<u8> = (0..200 * 200)
            .flat_map(|i| {
                let v = (i % 200) as f32 / 199.0;
                let n = ((i * 7919) % 13) as f32;
                [
                    (120.0 + 100.0 * v + n) as u8,
                    (60.0 + 60.0 * v + n / 2.0) as u8,
                    (50.0 + 50.0 * v) as u8,
                    255,
                ]
            })
            .collect();
        let frame = Rgba8::new(200, 200, px);
        let palette = build(&[&frame], 256, Rgb::WHITE);
        assert!(palette.len() > 200, "{} colours", palette.len());
    }

    #[test]
    fn cache_agrees_with_a_fresh_lookup() {
        let palette: Vec<[u8; 3]> = (0..50u8).map(|i| [i * 5, 255 - i * 5, i]).collect();
        let cache = ColorCache::new(&palette);
        let fresh = ColorCache::new(&palette);
        for c in [[0, 0, 0], [10, 250, 3], [255, 255, 255], [128, 7, 99]] {
            let first = cache.get(c);
            assert_eq!(first, cache.get(c));
            assert_eq!(first, fresh.get(c));
        }
    }
}
