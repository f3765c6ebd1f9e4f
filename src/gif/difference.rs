//! Frame differencing: each frame against the screen the previous ones left.
//!
//! Only the changed rectangle is stored; pixels within their tolerance of
//! what is shown count as unchanged and are sent as the transparent index
//! (which compresses into long runs, and which lossy LZW may swap for the
//! shown colour); a frame is disposed to background only where a later
//! frame needs pixels cleared. The screen is tracked as palette indices,
//! one byte a pixel, so it costs a quarter of one input frame.
//!
//! Frame 0 is drawn on a clear canvas also when the animation loops (as
//! browsers do): the loop back to it is treated as one more frame, so the
//! last frame clears what frame 0 does not cover.

use gif::DisposalMethod;
use rayon::prelude::*;

use super::remap::{limits_in, Prepared};
use super::tolerance::Ramp;
use super::Ctx;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rect {
    pub(crate) x: usize,
    pub(crate) y: usize,
    pub(crate) w: usize,
    pub(crate) h: usize,
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

/// Bounding box of the pixels `i` where `test(i)` holds, scanned in
/// parallel by bands of rows (min/max merge in any order, so the result
/// does not depend on the thread count).
fn bounds_where(width: usize, height: usize, test: impl Fn(usize) -> bool + Sync) -> Bounds {
    const ROWS: usize = 32;
    (0..height.div_ceil(ROWS))
        .into_par_iter()
        .map(|band| {
            let mut b = Bounds::default();
            for y in band * ROWS..((band + 1) * ROWS).min(height) {
                for x in 0..width {
                    if test(y * width + x) {
                        b.add(x, y);
                    }
                }
            }
            b
        })
        .reduce(Bounds::default, Bounds::merge)
}

/// What is stored for one frame.
pub(crate) struct FramePlan {
    pub(crate) rect: Rect,
    /// Indices to send: the transparent index where the screen already
    /// shows the right colour.
    pub(crate) pixels: Vec<u8>,
    /// The colour each pixel should show: for unchanged pixels, sending it
    /// instead of the transparent index renders the same, and LZW may pick
    /// whichever makes the longer string.
    pub(crate) alt: Vec<u8>,
    /// How far each pixel may be off (0 = exact).
    pub(crate) limits: Vec<u8>,
    pub(crate) dispose: DisposalMethod,
}

/// The screen a decoder shows, as differencing tracks it, and the steps
/// that turn prepared frames into frame plans (see the module doc, step 3).
pub(crate) struct Screen<'a> {
    ctx: &'a Ctx<'a>,
    /// What a decoder shows after the previous frame (before its disposal).
    shown: Vec<u8>,
}

impl<'a> Screen<'a> {
    pub(crate) fn new(ctx: &'a Ctx<'a>) -> Self {
        Screen {
            ctx,
            shown: vec![ctx.transparent; ctx.width * ctx.height],
        }
    }

    fn crop(&self, src: &[u8], r: Rect) -> Vec<u8> {
        let w = self.ctx.width;
        let mut out = Vec::with_capacity(r.w * r.h);
        for y in r.y..r.y + r.h {
            out.extend_from_slice(&src[y * w + r.x..y * w + r.x + r.w]);
        }
        out
    }

    pub(crate) fn full(&self) -> Rect {
        Rect {
            x: 0,
            y: 0,
            w: self.ctx.width,
            h: self.ctx.height,
        }
    }

    /// Frame 0, drawn whole on a clear canvas.
    pub(crate) fn first(&mut self, cur: &[u8], limits: &[u8]) -> FramePlan {
        self.shown.copy_from_slice(cur);
        FramePlan {
            rect: self.full(),
            pixels: cur.to_vec(),
            alt: cur.to_vec(),
            limits: limits.to_vec(),
            dispose: DisposalMethod::Keep,
        }
    }

    /// Pixels that must turn transparent for `next` can only be cleared by
    /// disposing the previous frame to background: grows that frame's
    /// rectangle to cover them and redraws the area with what the screen
    /// shows (at the previous frame's tolerances, `prev_limits`).
    pub(crate) fn clear_for(&mut self, next: &[u8], prev: &mut FramePlan, prev_limits: &[u8]) {
        let (w, h, t) = (self.ctx.width, self.ctx.height, self.ctx.transparent);
        let shown = &self.shown;
        let must_clear = bounds_where(w, h, |i| shown[i] != t && next[i] == t);
        if must_clear.0.is_none() {
            return;
        }
        let grown = must_clear.union(prev.rect).rect().unwrap_or(prev.rect);
        prev.rect = grown;
        prev.pixels = self.crop(&self.shown, grown);
        prev.alt = prev.pixels.clone();
        prev.limits = self.crop(prev_limits, grown);
        prev.dispose = DisposalMethod::Background;
        for y in grown.y..grown.y + grown.h {
            self.shown[y * w + grown.x..y * w + grown.x + grown.w].fill(t);
        }
    }

    /// The plan for `frame` (its indices, and the Oklab its tolerances
    /// are computed from): only what changed by more than each pixel's
    /// tolerance at `ramp`; also those tolerances (as a whole frame, for
    /// a later disposal redraw). The shown colour is compared with each
    /// new frame, so kept pixels never drift further than one tolerance
    /// from it.
    pub(crate) fn next(&mut self, frame: &Prepared, ramp: &Ramp) -> (FramePlan, Vec<u8>) {
        let cur = &frame.indices[..];
        let (w, h, t) = (self.ctx.width, self.ctx.height, self.ctx.transparent);
        let tol = self.ctx.distances;
        let shown = &self.shown;
        let differs = bounds_where(w, h, |i| shown[i] != cur[i]).rect();
        let limits = limits_in(self.ctx, &frame.lab, differs, ramp);
        let same = |shown: u8, i: usize| tol.ok(shown, cur[i], limits[i]);
        let changed = bounds_where(w, h, |i| !same(shown[i], i));
        let rect = changed.rect().unwrap_or(Rect {
            x: 0,
            y: 0,
            w: 1,
            h: 1,
        });
        let n = rect.w * rect.h;
        let (mut pixels, mut alt, mut lim) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for y in rect.y..rect.y + rect.h {
            for i in y * w + rect.x..y * w + rect.x + rect.w {
                let s = self.shown[i];
                // Unchanged pixels are transparent: they keep what is shown
                // and compress into long runs of one index.
                if same(s, i) {
                    pixels.push(t);
                    alt.push(s);
                } else {
                    pixels.push(cur[i]);
                    alt.push(cur[i]);
                    self.shown[i] = cur[i];
                }
                lim.push(limits[i]);
            }
        }
        let plan = FramePlan {
            rect,
            pixels,
            alt,
            limits: lim,
            dispose: DisposalMethod::Keep,
        };
        (plan, limits)
    }
}
