//! `build`: plan the site, execute the plan in parallel, rewrite pages, report.
//!
//! Pages run in parallel, and within a page its frames do (rayon, nested).
//! Before any pixel work, the page's state says which outputs are up to
//! date (see `fresh`); only the others are made. Planning reads each frame
//! to hash it (no pixels are kept); making reads it again and decodes it
//! at most once, and it feeds its frame outputs (optimised PNG, thumbnail)
//! and the page's gallery outputs (the GIF and the videos), its pixels
//! kept only while those need them. A failing frame or page is reported
//! and every other page is still built.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::image::decode::{decode_png, Rgba8};
use crate::image::frames::Frames;
use crate::outputs;
use crate::pipeline::cache::Cache;
use crate::pipeline::fresh::{
    page_state, reread, AnimationState, FrameState, OutputState, PageState, SourceInfo, Sources,
};
use crate::pipeline::plan::{FramePlan, PagePlan, Plan};
use crate::pipeline::renders::Renders;
use crate::pipeline::report::{Progress, Report};
use crate::pipeline::rewrite::{prune, rewrite_page};
use crate::pipeline::shard::Shard;
use crate::pipeline::sink::Sink;
use crate::pipeline::validate::{check_exists, check_pixel_budget, check_sizes, group_missing};
use crate::site::Site;

/// What to build and how.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Only these pages (site-relative); all pages when empty.
    pub pages: Vec<PathBuf>,
    /// Write nothing; report what would be written.
    pub dry_run: bool,
    /// Rebuild every output, whatever the cache says.
    pub force: bool,
    /// Remove gallery entries whose renders are gone (never done otherwise).
    pub prune: bool,
    /// Only the pages of this share (`--shard K/N`); the cache is then
    /// saved as that share's fragment, for `cache merge`.
    pub shard: Option<Shard>,
    /// Set (e.g. on Ctrl-C) to stop: work not started is skipped, work in
    /// flight finishes, and the cache is saved so the next build only does
    /// what is left.
    pub cancel: Option<Arc<AtomicBool>>,
}

/// Builds the site, holding its lock (unless a dry run, which writes
/// nothing). `Err` only for problems that stop the whole run (the site
/// cannot be read, or the run was cancelled while waiting for the lock);
/// per-page failures are in the report.
pub fn build(site: &Site, opts: &BuildOptions, progress: &dyn Progress) -> Result<Report> {
    let started = Instant::now();
    // Every read through this site stops when the run is cancelled.
    let site = &match &opts.cancel {
        Some(flag) => site.clone().with_cancel(flag.clone()),
        None => site.clone(),
    };
    let lock = if opts.dry_run {
        None
    } else {
        Some(site.lock(|| progress.waiting_for_lock(&site.root))?)
    };
    let cache = Cache::load(site);
    let plan = match opts.shard {
        None => Plan::new(site, &opts.pages, &cache)?,
        Some(shard) => Plan::shard(site, &opts.pages, shard, &cache)?,
    };
    progress.start(plan.pages.len(), plan.frame_count());

    // Updated as outputs are written; `cache` stays what the build began with.
    let sink = Sink::new(site, opts.dry_run, opts.shard, cache.clone());
    for e in &plan.errors {
        sink.error(e);
    }
    if let Some(lock) = &lock {
        // What killed runs left in any folder a build writes to.
        site.sweep_temp_files(&plan.written_folders(site), lock);
    }
    plan.pages.par_iter().for_each(|page| {
        if site.cancelled() {
            return;
        }
        build_page(site, page, &plan.renders, &cache, opts, &sink, progress);
        progress.page_done(&page.page);
    });
    progress.finish();

    let mut report = sink.finish();
    report.cancelled = site.cancelled();
    report.sort();
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(report)
}

fn build_page(
    site: &Site,
    page: &PagePlan,
    renders: &Renders,
    cache: &Cache,
    opts: &BuildOptions,
    sink: &Sink<'_>,
    progress: &dyn Progress,
) {
    let pruned;
    let (page, removed) = match opts.prune.then(|| prune(site, page)) {
        Some(Ok((p, removed))) => {
            pruned = p;
            (&pruned, removed)
        }
        Some(Err(e)) => {
            sink.error(&e);
            (page, Vec::new())
        }
        None => (page, Vec::new()),
    };
    // Pruned frames are done as far as the progress bar is concerned.
    removed.iter().for_each(|_| progress.frame_done());
    for asset in &page.checked {
        if let Err(e) = check_exists(site, asset, &page.page) {
            sink.error(&e);
        }
    }
    let (state, sources) = page_state(site, page, cache, opts.force);
    // An animation that may not be written (out of the site through a
    // symlink, or over a render) is not made, and no frame is kept for it.
    let animation_refused = state.animation.as_ref().and_then(|a| {
        a.outputs.iter().find_map(|o| {
            site.check_on_disk(&o.path, &page.page)
                .and_then(|()| renders.check(site, &o.path, None, &page.page))
                .err()
        })
    });
    if let Some(e) = &animation_refused {
        sink.error(e);
    }
    let cx = PageRun {
        site,
        page,
        state: &state,
        renders,
        animation_refused: animation_refused.is_some(),
        sink,
        progress,
    };
    // A gallery over the pixel budget is refused, by a dry run as by a build.
    let (made, animation_made) = if cx.over_budget(&sources) {
        (vec![false; page.frames.len()], false)
    } else if opts.dry_run {
        list_page(&cx, sources)
    } else {
        make_page(&cx, sources)
    };
    let changes = state.changes(page, |i| made[i], animation_made);
    if (!changes.is_empty() || !removed.is_empty()) && !site.cancelled() {
        if let Err(e) = rewrite_page(site, page, &changes, &removed, sink) {
            sink.error(&e);
        }
    }
}

/// What the steps of one page's build share.
struct PageRun<'a> {
    site: &'a Site,
    page: &'a PagePlan,
    state: &'a PageState,
    /// Renders listed by any page: no output may be written over one.
    renders: &'a Renders,
    /// The animation may not be written (that error is reported already).
    animation_refused: bool,
    sink: &'a Sink<'a>,
    progress: &'a dyn Progress,
}

impl PageRun<'_> {
    /// True when the gallery outputs must be made.
    fn animation_needed(&self) -> bool {
        self.state.animation_needed() && !self.animation_refused
    }

    /// All frames are held at once for the animation: a gallery too big
    /// for that fails whole, from its headers, before anything is decoded.
    /// Reports the error (and counts the frames done) when it does.
    fn over_budget(&self, sources: &Sources) -> bool {
        let state = self.state;
        let decodes = self.animation_needed() || state.frames.iter().any(|f| !all_fresh(f));
        if !decodes {
            return false;
        }
        let sizes: Vec<(u32, u32)> = sources
            .iter()
            .filter_map(|s| s.as_ref().ok().and_then(|i| i.size))
            .collect();
        let budget = self.site.settings.gallery_megapixels;
        match check_pixel_budget(&sizes, budget, &self.page.page) {
            Ok(()) => false,
            Err(e) => {
                self.sink.error(&e);
                self.page
                    .frames
                    .iter()
                    .for_each(|_| self.progress.frame_done());
                true
            }
        }
    }
}

/// Makes the page's stale outputs: frames in parallel, then the gallery
/// outputs. Each frame is read again and decoded only when a stale output
/// needs it, its frame outputs are written, and its pixels are kept only
/// when the gallery outputs need them; its file's bytes are dropped as
/// soon as its own outputs are made. Returns which frames' outputs were
/// made (or were fresh) and whether the animation's were.
fn make_page(cx: &PageRun<'_>, sources: Sources) -> (Vec<bool>, bool) {
    let PageRun {
        site,
        page,
        state,
        renders,
        sink,
        progress,
        ..
    } = *cx;
    let animation_needed = cx.animation_needed();
    let results: Vec<Result<Option<Rgba8>>> = page
        .frames
        .par_iter()
        .zip(&state.frames)
        .zip(sources)
        .map(|((frame, fs), source)| {
            if site.cancelled() {
                return Ok(None);
            }
            let result = source.and_then(|info| {
                let outputs = FrameOutputs {
                    state: fs,
                    renders,
                    animation_needed,
                };
                build_frame(site, &page.page, frame, &outputs, &info, sink)
            });
            progress.frame_done();
            result
        })
        .collect();
    let cancelled_early = site.cancelled();
    let made: Vec<bool> = results
        .iter()
        .map(|r| r.is_ok() && !cancelled_early)
        .collect();
    let mut errors = Vec::new();
    let decoded: Vec<Option<Rgba8>> = results
        .into_iter()
        .map(|r| r.map_err(|e| errors.push(e)).ok().flatten())
        .collect();
    group_missing(site, page, errors)
        .iter()
        .for_each(|e| sink.error(e));
    let animation_made = match &state.animation {
        Some(_) if cx.animation_refused => false,
        Some(a) => build_animation(site, page, a, animation_needed, decoded, sink),
        None => {
            animation_unreadable(site, page, sink);
            false
        }
    };
    (made, animation_made)
}

/// A dry run: lists what a build would make and what is up to date, from
/// the plan and the cache alone (no pixel is decoded, so this is fast;
/// `check` is what decodes every frame). What a build would refuse to
/// write, or to decode, is reported as the build would.
fn list_page(cx: &PageRun<'_>, sources: Sources) -> (Vec<bool>, bool) {
    let PageRun {
        site,
        page,
        state,
        renders,
        sink,
        progress,
        ..
    } = *cx;
    let list = |o: &OutputState| {
        if o.is_fresh() {
            sink.up_to_date(&o.path);
        } else {
            sink.would_write(o);
        }
    };
    let mut errors = Vec::new();
    let mut made = Vec::with_capacity(sources.len());
    for ((frame, fs), source) in page.frames.iter().zip(&state.frames).zip(sources) {
        progress.frame_done();
        let writable = |_| {
            fs.outputs.iter().try_for_each(|o| {
                site.check_on_disk(&o.path, &page.page)?;
                renders.check(site, &o.path, Some(&frame.source), &page.page)
            })
        };
        match source.and_then(writable) {
            Ok(()) => {
                made.push(true);
                fs.outputs.iter().for_each(list);
            }
            Err(e) => {
                made.push(false);
                errors.push(e);
            }
        }
    }
    group_missing(site, page, errors)
        .iter()
        .for_each(|e| sink.error(e));
    let animation_made = match &state.animation {
        Some(_) if cx.animation_refused => false,
        Some(a) => {
            a.outputs.iter().for_each(list);
            true
        }
        None => {
            animation_unreadable(site, page, sink);
            false
        }
    };
    (made, animation_made)
}

/// Reports a page's animation that cannot be made because a frame could
/// not be read (nothing to report when the page has no animation).
fn animation_unreadable(site: &Site, page: &PagePlan, sink: &Sink<'_>) {
    if let Some(plan) = &page.animation {
        let first = outputs::gallery_outputs(&site.settings)
            .first()
            .map(|o| site.output_of(&o.name(&plan.url)))
            .unwrap_or_default();
        sink.error(&not_made(first, page, "could not be read"));
    }
}

/// The error for a page's animation (named by its first output) that
/// could not be made because a frame failed (the frame's own error says why).
fn not_made(output: PathBuf, page: &PagePlan, why: &str) -> Error {
    Error::Encode {
        path: output,
        message: format!("not made: a frame of {} {why}", page.page.display()),
    }
}

/// Makes the page's stale gallery outputs from its decoded frames; true
/// when the page's value may name them (all made or already fresh).
fn build_animation(
    site: &Site,
    page: &PagePlan,
    state: &AnimationState,
    needed: bool,
    decoded: Vec<Option<Rgba8>>,
    sink: &Sink<'_>,
) -> bool {
    if !needed {
        state.outputs.iter().for_each(|o| sink.up_to_date(&o.path));
        return true;
    }
    if site.cancelled() {
        return false;
    }
    let Some(frames) = decoded.into_iter().collect::<Option<Vec<Rgba8>>>() else {
        let first = state.outputs.first().map(|o| o.path.clone());
        sink.error(&not_made(first.unwrap_or_default(), page, "failed"));
        return false;
    };
    if let Err(e) = check_sizes(&frames, &page.frames) {
        sink.error(&e);
        return false;
    }
    let s = &site.settings;
    let mut stale = Vec::new();
    for (output, o) in outputs::gallery_outputs(s).into_iter().zip(&state.outputs) {
        if o.is_fresh() {
            sink.up_to_date(&o.path);
        } else {
            stale.push((output, o));
        }
    }
    // Each stale output takes the frames once; they go as soon as all have.
    let Some(frames) = Frames::new(frames, stale.len()) else {
        return false; // no frames: planning gives such a page no animation
    };
    let results = outputs::make_gallery(
        &stale,
        |(output, _)| *output,
        |(output, o)| {
            site.check_on_disk(&o.path, &page.page)?;
            let bytes = output.make(&frames, s).map_err(|message| Error::Encode {
                path: o.path.clone(),
                message,
            })?;
            sink.write(o, &bytes, &page.page, None)
        },
    );
    let mut ok = true;
    for e in results.into_iter().filter_map(Result::err) {
        sink.error(&e);
        ok = false;
    }
    ok
}

/// True when every output of the frame is up to date.
fn all_fresh(frame: &FrameState) -> bool {
    frame.outputs.iter().all(|o| o.is_fresh())
}

/// What a frame must make: its outputs' state, where they may not be
/// written, and whether the gallery outputs need its pixels.
struct FrameOutputs<'a> {
    state: &'a FrameState,
    renders: &'a Renders,
    animation_needed: bool,
}

/// Makes the stale outputs of one frame; returns its pixels when the
/// gallery outputs need them.
fn build_frame(
    site: &Site,
    page: &Path,
    frame: &FramePlan,
    outputs: &FrameOutputs<'_>,
    source: &SourceInfo,
    sink: &Sink<'_>,
) -> Result<Option<Rgba8>> {
    let FrameOutputs {
        state,
        renders,
        animation_needed,
    } = *outputs;
    for o in &state.outputs {
        site.check_on_disk(&o.path, page)?;
        renders.check(site, &o.path, Some(&frame.source), page)?;
    }
    if all_fresh(state) && !animation_needed {
        state.outputs.iter().for_each(|o| sink.up_to_date(&o.path));
        return Ok(None);
    }
    let bytes = &reread(site, &frame.source, page, source)?;
    // Decoding also validates the frame, so a corrupt render is reported
    // even when its outputs could be made from the file's bytes.
    let image = decode_png(bytes, &frame.source)?;
    let s = &site.settings;
    for (output, o) in outputs::frame_outputs(s).iter().zip(&state.outputs) {
        if o.is_fresh() {
            sink.up_to_date(&o.path);
            continue;
        }
        let made = output
            .make(bytes, &image, s)
            .map_err(|message| Error::Encode {
                path: o.path.clone(),
                message,
            })?;
        if output.is_published_frame() {
            sink.count_optimised(bytes.len(), made.len());
        }
        // In place, the optimised copy replaces the render: still the
        // user's, and still the frame it was.
        let origin = o.in_place.then_some(state.identity.as_deref()).flatten();
        sink.write(o, &made, page, origin)?;
    }
    Ok(animation_needed.then_some(image))
}
