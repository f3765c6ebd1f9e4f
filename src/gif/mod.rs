//! The turntable GIF: one shared palette, content-aware lossy LZW, frame
//! differencing, streamed frame by frame.
//!
//! Stages:
//! 1. palette: one palette for every frame, from a fixed-size sample of
//!    the visible pixels of all frames, matted (see `palette`); one
//!    index kept for transparency. A shared palette keeps unchanged pixels
//!    identical between frames, which is what differencing needs;
//! 2. level: how much colour error busy pixels may take. Given directly
//!    (`lossy`) or, with a quality target, chosen by trial encodes of a
//!    sample of the animation measured in SSIM (see `quality`);
//! 3. frames, streamed: each frame is matted (GIF has 1-bit alpha, so
//!    partial alpha is blended onto the page colour), remapped to the
//!    palette with the chosen dither, and given a per-pixel tolerance from
//!    its local texture and contrast (see `tolerance`: flat areas, gradients and edges
//!    stay exact); it is then differenced against the screen the previous
//!    frames left (only the changed rectangle is stored, pixels within
//!    their tolerance of what is shown count as unchanged and become the
//!    transparent index, and a frame is disposed to background only where
//!    a later frame needs pixels cleared), and LZW-compressed (see `lzw`,
//!    which may also trade each pixel's tolerance for longer strings).
//!
//! Only a few frames' working buffers are alive at once (the next frame is
//! prepared while the current one is differenced and at most two earlier
//! ones are compressed), so the stage needs about 25 bytes a pixel of *one*
//! frame on top of the input, not several times the whole animation.
//! Differencing is sequential, everything else is per frame or per band
//! of rows, and nothing sums floats across threads: the bytes do not
//! depend on the thread count.
//!
//! Defaults were chosen by measuring bytes and SSIM on the example renders
//! and on larger synthetic turntables (see the README): no dither
//! (ordered and error diffusion both cost bytes *and* SSIM with a shared
//! 256-colour palette) and a quality target of mean SSIM 0.995.

mod difference;
mod distance;
pub(crate) mod lzw;
mod palette;
mod quality;
mod remap;
#[cfg(test)]
mod tests;
mod tolerance;

use std::borrow::{Borrow, Cow};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use gif::{Encoder, Frame, Repeat};
use rayon::prelude::*;

use crate::image::decode::Rgba8;
use crate::image::resize;
use crate::settings::{Dither, Rgb, Settings};
use difference::{FramePlan, Screen};
use distance::Distances;
use palette::{ColorCache, Lab};
use remap::{limits_in, prepare_frame};

pub use quality::estimate_curve as estimate_quality_curve;
use tolerance::Ramp;

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

/// What an encode did: the level used and where the time went. For
/// benchmarks and reports; the bytes never depend on it.
#[derive(Debug, Clone, Default)]
pub struct GifStats {
    /// Lossy level used: the error (thousandths of Oklab) the busiest
    /// pixels may take.
    pub level: u16,
    /// With a quality target: the search's estimate of the mean SSIM at
    /// `level`, and how many trial levels it measured.
    pub estimate: Option<f64>,
    pub trials: u32,
    /// Palette size (without the transparent entry).
    pub colors: usize,
    /// Wall time of each stage.
    pub palette_time: Duration,
    pub search_time: Duration,
    pub frames_time: Duration,
    /// CPU time of the frame stage's parts, summed over threads.
    pub prepare_cpu: Duration,
    pub difference_cpu: Duration,
    pub lzw_cpu: Duration,
}

/// Encodes `frames` (all the same size) as one looping animated GIF.
/// They may be owned or shared (`&[Rgba8]`, `&[Arc<Rgba8>]`).
pub fn encode<F: Borrow<Rgba8>>(frames: &[F], opts: &Settings) -> Result<Vec<u8>, GifError> {
    encode_with_stats(frames, opts).map(|(bytes, _)| bytes)
}

/// [`encode`], also saying what it did.
pub fn encode_with_stats<F: Borrow<Rgba8>>(
    frames: &[F],
    opts: &Settings,
) -> Result<(Vec<u8>, GifStats), GifError> {
    with_context(frames, opts, |ctx| encode_in(ctx, opts))?
}

fn encode_in(ctx: &Ctx<'_>, opts: &Settings) -> Result<(Vec<u8>, GifStats), GifError> {
    let mut stats = GifStats {
        colors: ctx.palette.len(),
        palette_time: ctx.palette_time,
        ..GifStats::default()
    };
    let start = Instant::now();
    stats.level = match opts.gif_quality.get() {
        Some(target) => {
            let found = quality::choose_level(ctx, target, quality::MAX_LEVEL);
            stats.estimate = Some(found.estimate);
            stats.trials = found.trials;
            found.level
        }
        None => opts.gif_lossy,
    };
    stats.search_time = start.elapsed();

    let start = Instant::now();
    let transparent = ctx.transparent;
    let mut table: Vec<u8> = ctx.palette.iter().flatten().copied().collect();
    table.extend_from_slice(&opts.matte.0); // the transparent entry's colour is never shown
    let delay = ((opts.gif_delay + 5) / 10).clamp(1, u32::from(u16::MAX)) as u16;
    let mut out = Vec::new();
    {
        let enc_err = |e: gif::EncodingError| GifError::Encode(e.to_string());
        let mut encoder =
            Encoder::new(&mut out, ctx.width as u16, ctx.height as u16, &table).map_err(enc_err)?;
        let repeat = match opts.gif_loop {
            0 => Repeat::Infinite,
            n => Repeat::Finite(n),
        };
        encoder.set_repeat(repeat).map_err(enc_err)?;
        let timers = Timers::default();
        stream(ctx, &Ramp::new(stats.level), &timers, |plan, data| {
            let frame = Frame {
                delay,
                dispose: plan.dispose,
                transparent: Some(transparent),
                left: plan.rect.x as u16,
                top: plan.rect.y as u16,
                width: plan.rect.w as u16,
                height: plan.rect.h as u16,
                buffer: Cow::Owned(data),
                ..Frame::default()
            };
            encoder.write_lzw_pre_encoded_frame(&frame).map_err(enc_err)
        })?;
        encoder.into_inner().map_err(enc_err)?;
        stats.prepare_cpu = timers.get(&timers.prepare);
        stats.difference_cpu = timers.get(&timers.difference);
        stats.lzw_cpu = timers.get(&timers.lzw);
    }
    stats.frames_time = start.elapsed();
    Ok((out, stats))
}

/// Checks and resizes the frames, builds the palette and the lookups, and
/// runs `f` with them.
pub(crate) fn with_context<T, F: Borrow<Rgba8>>(
    frames: &[F],
    opts: &Settings,
    f: impl FnOnce(&Ctx<'_>) -> T,
) -> Result<T, GifError> {
    let frames: Vec<&Rgba8> = frames.iter().map(Borrow::borrow).collect();
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
    // Resized frames are made once: every later pass reads them.
    let resized: Vec<Rgba8> = if (width, height) == size {
        Vec::new()
    } else {
        frames
            .par_iter()
            .map(|f| resize::resize(f, width, height).map_err(GifError::Encode))
            .collect::<Result<_, _>>()?
    };
    let frames: Vec<&Rgba8> = if resized.is_empty() {
        frames
    } else {
        resized.iter().collect()
    };

    let start = Instant::now();
    let palette = palette::build(&frames, opts.gif_colors, opts.matte);
    let transparent = palette.len() as u8;
    let cache = ColorCache::new(&palette);
    let lab: Vec<[f32; 3]> = {
        let lin = palette::linear_table();
        palette.iter().map(|&c| palette::oklab(&lin, c)).collect()
    };
    let distances = Distances::new(palette.len() + 1, transparent, |a, b| {
        let (x, y) = (lab[a], lab[b]);
        1000.0 * ((x[0] - y[0]).powi(2) + (x[1] - y[1]).powi(2) + (x[2] - y[2]).powi(2)).sqrt()
    });
    let ctx = Ctx {
        frames: &frames,
        width: width as usize,
        height: height as usize,
        matte: opts.matte,
        matte_lab: cache.get(opts.matte.0).1,
        dither: opts.gif_dither,
        palette: &palette,
        transparent,
        cache: &cache,
        distances: &distances,
        palette_time: start.elapsed(),
    };
    Ok(f(&ctx))
}

/// Everything the per-frame stages share.
pub(crate) struct Ctx<'a> {
    pub(crate) frames: &'a [&'a Rgba8],
    pub(crate) width: usize,
    pub(crate) height: usize,
    pub(crate) matte: Rgb,
    /// Oklab of the matte, which fully transparent pixels show.
    pub(crate) matte_lab: Lab,
    pub(crate) dither: Dither,
    pub(crate) palette: &'a [[u8; 3]],
    pub(crate) transparent: u8,
    pub(crate) cache: &'a ColorCache,
    pub(crate) distances: &'a Distances,
    /// How long the palette and lookups took to build.
    pub(crate) palette_time: Duration,
}

impl Ctx<'_> {
    /// The colour an index shows: the matte for transparency.
    #[inline]
    pub(crate) fn color(&self, index: u8) -> [u8; 3] {
        self.palette
            .get(usize::from(index))
            .copied()
            .unwrap_or(self.matte.0)
    }
}

/// CPU time of the frame stage's parts, in nanoseconds.
#[derive(Default)]
struct Timers {
    prepare: AtomicU64,
    difference: AtomicU64,
    lzw: AtomicU64,
}

impl Timers {
    fn time<T>(counter: &AtomicU64, f: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let out = f();
        counter.fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
        out
    }

    fn get(&self, counter: &AtomicU64) -> Duration {
        Duration::from_nanos(counter.load(Ordering::Relaxed))
    }
}

/// How many frames may be waiting for or in LZW at once: enough to keep
/// both of two threads compressing while differencing runs ahead, few
/// enough that only a couple of frame plans (3 bytes a pixel of their
/// rectangle) are alive on top of the one being differenced.
const IN_FLIGHT: usize = 2;

type Compressed = (FramePlan, Vec<u8>);

/// Encodes every frame in order, calling `sink` with each finished frame
/// plan and its LZW data. Differencing is sequential (each frame against
/// what the previous ones left), and a frame's plan is final only once
/// the next frame says whether it must clear pixels; compressing it is
/// then independent of every other frame. So the loop differences frame
/// `i` while preparing frame `i + 1`, hands each final plan to a task of
/// its own, and the LZW of consecutive frames (the longest part) runs side
/// by side instead of one after the other; finished frames are handed to
/// `sink` in order.
fn stream(
    ctx: &Ctx<'_>,
    ramp: &Ramp,
    timers: &Timers,
    mut sink: impl FnMut(&FramePlan, Vec<u8>) -> Result<(), GifError>,
) -> Result<(), GifError> {
    let n = ctx.frames.len();
    let lossy = !ramp.is_exact();
    let compress = |plan: &FramePlan| {
        Timers::time(&timers.lzw, || {
            let limits = lzw::Lossy {
                tolerance: ctx.distances,
                limits: &plan.limits,
            };
            lzw::compress(&plan.pixels, Some(&plan.alt), lossy.then_some(limits))
        })
    };
    let prepare = |f: usize| Timers::time(&timers.prepare, || prepare_frame(ctx, f));
    // Each frame's plan and LZW data, once compressed.
    let compressed: Vec<Mutex<Option<Compressed>>> = (0..n).map(|_| Mutex::new(None)).collect();
    let in_flight = AtomicUsize::new(0);
    // Hands frames `written..` to `sink` as long as they are done.
    let mut written = 0;
    let mut flush = |written: &mut usize| -> Result<(), GifError> {
        while *written < n {
            let done = compressed[*written]
                .lock()
                .map_err(|_| GifError::Encode("an LZW task failed".into()))?
                .take();
            let Some((plan, data)) = done else { break };
            sink(&plan, data)?;
            *written += 1;
        }
        Ok(())
    };

    rayon::in_place_scope(|scope| -> Result<(), GifError> {
        let send = |f: usize, plan: FramePlan| {
            in_flight.fetch_add(1, Ordering::SeqCst);
            let (compressed, in_flight) = (&compressed, &in_flight);
            scope.spawn(move |_| {
                let data = compress(&plan);
                if let Ok(mut slot) = compressed[f].lock() {
                    *slot = Some((plan, data));
                }
                in_flight.fetch_sub(1, Ordering::SeqCst);
            });
        };
        let mut screen = Screen::new(ctx);
        let frame0 = prepare(0);
        let mut prev_limits = Timers::time(&timers.prepare, || {
            limits_in(ctx, &frame0.lab, Some(screen.full()), ramp)
        });
        let frame0 = frame0.indices;
        let mut pending = Timers::time(&timers.difference, || screen.first(&frame0, &prev_limits));
        let mut next = (n > 1).then(|| prepare(1));
        for i in 1..n {
            let Some(cur) = next.take() else { break };
            Timers::time(&timers.difference, || {
                screen.clear_for(&cur.indices, &mut pending, &prev_limits)
            });
            send(i - 1, pending);
            let ((plan, limits), prepared) = rayon::join(
                || Timers::time(&timers.difference, || screen.next(&cur, ramp)),
                || (i + 1 < n).then(|| prepare(i + 1)),
            );
            pending = plan;
            prev_limits = limits;
            next = prepared;
            flush(&mut written)?;
            // Differencing is faster than LZW: help with the backlog
            // rather than let plans pile up.
            while in_flight.load(Ordering::SeqCst) >= IN_FLIGHT {
                if rayon::yield_now() != Some(rayon::Yield::Executed) {
                    // Nothing to help with (the LZW runs elsewhere), or not
                    // on a pool thread: wait without spinning.
                    std::thread::sleep(Duration::from_micros(50));
                }
            }
        }
        // Frame 0 is drawn on a clear canvas, also when the animation loops
        // (as browsers do); treating the loop back to it as one more frame
        // makes the last frame clear what frame 0 does not cover.
        if n > 1 {
            Timers::time(&timers.difference, || {
                screen.clear_for(&frame0, &mut pending, &prev_limits)
            });
        }
        send(n - 1, pending);
        Ok(())
    })?;
    flush(&mut written)?;
    if written < n {
        return Err(GifError::Encode("an LZW task failed".into()));
    }
    Ok(())
}
