//! The GIF quality target: how much loss to allow, chosen per animation.
//!
//! A raw lossy level means different things on different renders: level
//! 15 kept the gastrocnemius at SSIM 0.9968 but took the scapularis to
//! 0.9925. Users can reason about "keep mean SSIM at 0.995" instead, so
//! with a target the encoder measures and picks the largest level that
//! keeps it. Measuring means trial encodes, kept cheap and deterministic:
//!
//! - a *sample* of the animation: four frames spread over it, each
//!   differenced against its predecessor as in the real encode (which is
//!   where much of the loss comes from: pixels close enough to what is
//!   shown are not redrawn), measured on 64x64 tiles, one at a
//!   pseudo-random place in each cell of a grid. Each sampled frame's
//!   exact score (level 0) is measured on all its tiles (on the
//!   example renders this gives the same levels as measuring whole
//!   frames, for half the search's time, and less on larger frames); the
//!   loss at a level only on tiles where some pixel may take error at
//!   all, thinned to a quarter of a million pixels per trial whatever
//!   the frame size. A frame's tiles are compressed as one stream, so the
//!   LZW dictionary is as full as on a whole frame;
//! - everything level-independent (remapping, masking, the matted
//!   colours SSIM compares against) is computed once; a trial is then
//!   the tolerance ramp, differencing, lossy LZW (which reports what a
//!   decoder will show) and SSIM over the tiles;
//! - a bracketing search over integer levels, starting where renders
//!   usually land and interpolating where the SSIM loss (about
//!   proportional to level^1.5) crosses the target, and stopping as
//!   soon as that model says the next level up would miss it, so two to
//!   four trials suffice (measured on seven turntables at six targets
//!   from 0.97 to 0.995: 165 trials where probing until the bracket
//!   closed took 175, and levels on average 0.2 below the largest that
//!   meets the target where that took 0.5);
//! - sums are taken in a fixed order, so the level (and with it every
//!   output byte) is the same whatever the number of threads.
//!
//! The inputs of the search are the frames and the settings, so the GIF's
//! cache key (its sources and the settings that shape it) covers the choice.

use std::ops::Range;

use rayon::prelude::*;

use super::remap::{prepare_tile, Tile};
use super::tolerance::Ramp;
use super::{lzw, Ctx};
use crate::image::ssim;

/// The most loss the search may choose: the top of `gif_lossy`'s range.
pub(crate) const MAX_LEVEL: u16 = 200;

/// The search's answer.
pub(crate) struct Found {
    pub(crate) level: u16,
    /// Estimated mean SSIM at `level`.
    pub(crate) estimate: f64,
    /// Levels measured.
    pub(crate) trials: u32,
}

/// Frames in the sample.
const SAMPLE_FRAMES: usize = 4;
/// Tiles per sampled frame, one in each cell of a grid.
const TILES_PER_FRAME: usize = 48;
/// Side of a sample tile. A sample frame's tiles are compressed as one
/// stream, so the LZW dictionary fills as it does on a whole frame.
const TILE: usize = 64;
/// Pixels compressed per trial, over all sample frames.
const TRIAL_PIXELS: usize = 1 << 18;

/// One sampled frame.
struct Sample {
    /// SSIM sum and count of all the frame's sample tiles shown exactly
    /// (level 0): the frame's exact score.
    base: (f64, u64),
    /// The tiles trials compress: those where some pixel may take error
    /// (elsewhere a trial shows exactly what level 0 shows), thinned
    /// evenly to the pixel budget.
    tiles: Vec<SampleTile>,
    /// How many tiles each trialled one stands for.
    weight: f64,
}

struct SampleTile {
    cur: Tile,
    /// The previous frame's indices on the same pixels; `None` for frame
    /// 0, which is drawn on a clear canvas.
    prev: Option<Vec<u8>>,
    width: usize,
    /// SSIM sum and count of the tile shown exactly.
    exact: (f64, u64),
}

type Rect = (Range<usize>, Range<usize>);

/// A prepared sample tile and its exact SSIM sum and count.
type Scored = (Tile, (f64, u64));

/// Which frames, and which tiles of each, the search measures: one tile
/// in each cell of a grid, at a pseudo-random place in its cell so that
/// no part of the picture (flat background, object, edges) is favoured.
fn plan(frames: usize, width: usize, height: usize) -> (Vec<usize>, Vec<Rect>) {
    let k = SAMPLE_FRAMES.min(frames);
    let picked: Vec<usize> = (0..k).map(|j| (2 * j + 1) * frames / (2 * k)).collect();
    // Frames small enough to trial whole (or too small for a grid of tiles).
    if width * height * k <= TRIAL_PIXELS || width < 2 * TILE || height < 2 * TILE {
        return (picked, vec![(0..width, 0..height)]);
    }
    let gx = ((TILES_PER_FRAME * width) as f64 / height as f64)
        .sqrt()
        .round()
        .clamp(1.0, (width / TILE) as f64) as usize;
    let gy = (TILES_PER_FRAME / gx).clamp(1, height / TILE);
    let place = |i: usize, cells: usize, size: usize, salt: u32| {
        let (lo, hi) = (i * size / cells, (i + 1) * size / cells);
        let room = (hi - lo).saturating_sub(TILE) + 1;
        let start = (lo + hash(salt) as usize % room).min(size - TILE);
        start..start + TILE
    };
    let tiles = (0..gy)
        .flat_map(|j| {
            (0..gx).map(move |i| {
                let salt = (j * gx + i) as u32;
                (
                    place(i, gx, width, salt * 2),
                    place(j, gy, height, salt * 2 + 1),
                )
            })
        })
        .collect();
    (picked, tiles)
}

fn hash(x: u32) -> u32 {
    let mut h = x.wrapping_add(0x7F4A_7C15).wrapping_mul(0x9E37_79B1);
    h ^= h >> 15;
    h = h.wrapping_mul(0x85EB_CA77);
    h ^ (h >> 13)
}

/// SSIM sum and count of `indices` shown exactly against `rgb`.
fn exact_ssim(ctx: &Ctx<'_>, indices: &[u8], rgb: &[u8], width: usize) -> (f64, u64) {
    let shown: Vec<u8> = indices.iter().flat_map(|&v| ctx.color(v)).collect();
    ssim::ssim_sum(rgb, &shown, width)
}

fn prepare(ctx: &Ctx<'_>) -> Vec<Sample> {
    let (picked, rects) = plan(ctx.frames.len(), ctx.width, ctx.height);
    let budget_tiles = (TRIAL_PIXELS / (picked.len() * TILE * TILE)).max(1);
    picked
        .par_iter()
        .map(|&f| {
            // Every tile's masking says which could lose anything, and
            // every tile's exact score is the frame's (see `Sample::base`);
            // the previous frame is needed only where a trial compresses.
            let mut prepared: Vec<Option<Scored>> = rects
                .par_iter()
                .map(|(cols, rows)| {
                    let tile = prepare_tile(ctx, f, cols.clone(), rows.clone(), true, true);
                    let exact = exact_ssim(ctx, &tile.indices, &tile.rgb, cols.len());
                    Some((tile, exact))
                })
                .collect();
            let base = prepared
                .iter()
                .flatten()
                .fold((0.0, 0), |(s, n), (_, e)| (s + e.0, n + e.1));
            let active: Vec<usize> = (0..prepared.len())
                .filter(|&i| {
                    prepared[i]
                        .as_ref()
                        .is_some_and(|(t, _)| t.masking.iter().any(|&m| m > 0))
                })
                .collect();
            let take = if rects.len() == 1 {
                active.len()
            } else {
                active.len().min(budget_tiles)
            };
            let weight = if take > 0 {
                active.len() as f64 / take as f64
            } else {
                0.0
            };
            let trialled: Vec<(usize, Scored)> = (0..take)
                .filter_map(|i| {
                    let at = active[i * active.len() / take];
                    prepared[at].take().map(|t| (at, t))
                })
                .collect();
            drop(prepared);
            let tiles: Vec<SampleTile> = trialled
                .into_par_iter()
                .map(|(i, (cur, exact))| {
                    let (cols, rows) = &rects[i];
                    SampleTile {
                        prev: (f > 0).then(|| {
                            prepare_tile(ctx, f - 1, cols.clone(), rows.clone(), false, false)
                                .indices
                        }),
                        cur,
                        width: cols.len(),
                        exact,
                    }
                })
                .collect();
            Sample {
                base,
                tiles,
                weight,
            }
        })
        .collect()
}

/// One trial of one sampled frame at a level: the SSIM lost on its
/// trialled tiles (summed over windows) against showing them exactly,
/// and the compressed bytes.
fn trial(ctx: &Ctx<'_>, sample: &Sample, ramp: &Ramp) -> (f64, usize) {
    let t = ctx.transparent;
    let tiles = &sample.tiles;
    let n: usize = tiles.iter().map(|s| s.cur.indices.len()).sum();
    let (mut pixels, mut alt, mut limits, mut prev_all) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for tile in tiles {
        for (i, &c) in tile.cur.indices.iter().enumerate() {
            let s = tile.prev.as_ref().map_or(t, |p| p[i]);
            let limit = ramp.at(tile.cur.masking[i]);
            if c == t {
                // Cleared or staying clear: exact either way.
                pixels.push(t);
                alt.push(t);
            } else if ctx.distances.ok(s, c, limit) {
                pixels.push(t);
                alt.push(s);
            } else {
                pixels.push(c);
                alt.push(c);
            }
            limits.push(limit);
            prev_all.push(s);
        }
    }
    let mut shown = vec![0u8; n];
    let lossy = lzw::Lossy {
        tolerance: ctx.distances,
        limits: &limits,
    };
    let bytes = lzw::compress_shown(&pixels, Some(&alt), Some(lossy), &mut shown).len();
    let (mut lost, mut at) = (0.0, 0usize);
    for tile in tiles {
        let len = tile.cur.indices.len();
        let rgb: Vec<u8> = (at..at + len)
            .flat_map(|i| {
                let v = shown[i];
                // Sent transparent: the screen keeps what it showed.
                let v = if v == t && tile.cur.indices[i - at] != t {
                    prev_all[i]
                } else {
                    v
                };
                ctx.color(v)
            })
            .collect();
        let (s, _) = ssim::ssim_sum(&tile.cur.rgb, &rgb, tile.width);
        lost += tile.exact.0 - s;
        at += len;
    }
    (lost, bytes)
}

/// Mean SSIM estimate and trial bytes at `level`, summed in a fixed order:
/// each sampled frame's exact score, less the loss its trialled tiles
/// show (weighted by how many tiles each stands for).
fn measure(ctx: &Ctx<'_>, samples: &[Sample], level: u16) -> (f64, usize) {
    let ramp = Ramp::new(level);
    let results: Vec<(f64, usize)> = samples
        .par_iter()
        .map(|s| {
            if ramp.is_exact() || s.tiles.is_empty() {
                (0.0, 0)
            } else {
                let (lost, bytes) = trial(ctx, s, &ramp);
                (lost * s.weight, bytes)
            }
        })
        .collect();
    let (mut sum, mut count, mut bytes) = (0.0, 0u64, 0usize);
    for (s, (loss, b)) in samples.iter().zip(results) {
        sum += s.base.0 - loss;
        count += s.base.1;
        bytes += b;
    }
    let mean = if count > 0 { sum / count as f64 } else { 1.0 };
    (mean, bytes)
}

/// Where the search looks first: the level most renders settle near.
const FIRST_GUESS: u16 = 32;

/// The largest level in `0..=max_level` whose estimated mean SSIM is at
/// least `target`.
pub(crate) fn choose_level(ctx: &Ctx<'_>, goal: f64, max_level: u16) -> Found {
    let samples = prepare(ctx);
    let mut trials = 0;
    let mut at = |level: u16| {
        trials += 1;
        measure(ctx, &samples, level).0
    };
    let base = at(0);
    if base < goal || max_level == 0 {
        return Found {
            level: 0,
            estimate: base,
            trials,
        };
    }
    // SSIM loss grows about as level^1.5: interpolating in that measure
    // finds the crossing in a few trials.
    let p = |l: u16| f64::from(l).powf(1.5);
    let unp = |x: f64| x.max(0.0).powf(1.0 / 1.5);
    // `lo` meets the goal; `hi`, once known, does not.
    let (mut lo, mut lo_s) = (0u16, base);
    let mut hi: Option<(u16, f64)> = None;
    let mut probe = FIRST_GUESS.min(max_level);
    loop {
        let s = at(probe);
        if s >= goal {
            (lo, lo_s) = (probe, s);
        } else {
            hi = Some((probe, s));
        }
        probe = match hi {
            None if lo == max_level => break,
            None => {
                // Extrapolate from (0, base) through lo, at least one
                // level up.
                let x = p(lo) * (base - goal) / (base - lo_s).max(1e-9);
                let next = unp(x)
                    .round()
                    .clamp(f64::from(lo) + 1.0, f64::from(max_level));
                next as u16
            }
            Some((h, h_s)) => {
                // Bracketed to within a level, or to ~3% at high levels
                // where one level changes little.
                if h - lo <= 1 || h - lo <= lo / 32 {
                    break;
                }
                // The largest level the model between `lo` and `hi`
                // expects to meet the goal. When that is `lo` itself, a
                // trial of `lo + 1` would most likely only confirm it.
                let frac = ((lo_s - goal) / (lo_s - h_s)).clamp(0.0, 1.0);
                let crossing = unp(p(lo) + frac * (p(h) - p(lo)));
                if crossing < f64::from(lo + 1) {
                    break;
                }
                let margin = ((h - lo) / 8).max(1);
                (crossing.round() as u16).clamp(lo + margin, h - margin)
            }
        };
    }
    Found {
        level: lo,
        estimate: lo_s,
        trials,
    }
}

/// The search's estimate (mean SSIM and trial bytes) at each level, for
/// benchmarks comparing it with the real encode.
pub fn estimate_curve<F: std::borrow::Borrow<crate::image::decode::Rgba8>>(
    frames: &[F],
    opts: &crate::settings::Settings,
    levels: &[u16],
) -> Vec<(u16, f64, usize)> {
    super::with_context(frames, opts, |ctx| {
        let samples = prepare(ctx);
        levels
            .iter()
            .map(|&l| {
                let (s, b) = measure(ctx, &samples, l);
                (l, s, b)
            })
            .collect()
    })
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_tiles_fit_and_do_not_overlap() {
        for (n, w, h) in [
            (16, 480, 720),
            (16, 1024, 1024),
            (3, 60, 90),
            (1, 2000, 70),
            (16, 4000, 4000),
            (16, 200, 130),
        ] {
            let (frames, tiles) = plan(n, w, h);
            assert!(!frames.is_empty() && frames.iter().all(|&f| f < n));
            assert!(!tiles.is_empty());
            for (i, a) in tiles.iter().enumerate() {
                assert!(a.0.end <= w && a.1.end <= h && !a.0.is_empty() && !a.1.is_empty());
                for b in &tiles[i + 1..] {
                    let apart = a.0.end <= b.0.start
                        || b.0.end <= a.0.start
                        || a.1.end <= b.1.start
                        || b.1.end <= a.1.start;
                    assert!(apart, "{w}x{h}: {a:?} and {b:?} overlap");
                }
            }
        }
    }
}
