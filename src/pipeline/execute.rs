//! `build`: plan the site, execute the plan in parallel, rewrite pages, report.
//!
//! Pages run in parallel, and within a page its frames do (rayon, nested).
//! Before any pixel work, the page's state says which outputs are up to
//! date (see `fresh`); only the others are made. Each frame is read and
//! decoded at most once, and feeds its frame outputs (optimised PNG,
//! thumbnail) and the page's gallery outputs (the GIF). A failing frame or
//! page is reported and every other page is still built.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::image::decode::{decode_png, Rgba8};
use crate::outputs;
use crate::pipeline::cache::Cache;
use crate::pipeline::fresh::{page_state, AnimationState, FrameState};
use crate::pipeline::plan::{FramePlan, PagePlan, Plan};
use crate::pipeline::report::{Progress, Report};
use crate::pipeline::rewrite::{prune, rewrite_page};
use crate::pipeline::shard::Shard;
use crate::pipeline::sink::Sink;
use crate::pipeline::validate::{check_exists, check_sizes};
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

impl BuildOptions {
    fn cancelled(&self) -> bool {
        self.cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
    }
}

/// Builds the site. `Err` only for problems that stop the whole run
/// (the site cannot be read); per-page failures are in the report.
pub fn build(site: &Site, opts: &BuildOptions, progress: &dyn Progress) -> Result<Report> {
    let started = Instant::now();
    let cache = Cache::load(&site.root);
    let plan = match opts.shard {
        None => Plan::new(site, &opts.pages, &cache)?,
        Some(shard) => {
            let pages = if opts.pages.is_empty() {
                site.discover_pages()?
            } else {
                opts.pages.clone()
            };
            let mine = pages.into_iter().filter(|p| shard.contains(p)).collect();
            Plan::of_pages(site, mine, &cache)
        }
    };
    progress.start(plan.pages.len(), plan.frame_count());

    // Updated as outputs are written; `cache` stays what the build began with.
    let sink = Sink::new(site, opts.dry_run, opts.shard, cache.clone());
    for e in &plan.errors {
        sink.error(e);
    }
    if !opts.dry_run {
        sweep_temp_files(site);
    }
    plan.pages.par_iter().for_each(|page| {
        if opts.cancelled() {
            return;
        }
        build_page(site, page, &cache, opts, &sink, progress);
        progress.page_done(&page.page);
    });
    progress.finish();

    let mut report = sink.finish();
    report.cancelled = opts.cancelled();
    report.sort();
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(report)
}

/// Removes temporary files a killed run left in the output root. Called
/// with the site lock held, so no live run owns them.
fn sweep_temp_files(site: &Site) {
    let root = site.abs(&site.settings.output);
    for entry in walkdir::WalkDir::new(root).into_iter().flatten() {
        let name = entry.file_name().to_string_lossy();
        if entry.file_type().is_file() && name.starts_with(".assetgen-") && name.ends_with(".tmp") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn build_page(
    site: &Site,
    page: &PagePlan,
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
    let animation_needed = state.animation_needed();

    // Frames in parallel: decode only what a stale output needs, write the
    // frame outputs, keep the pixels for the gallery outputs.
    let results: Vec<Result<Option<Rgba8>>> = page
        .frames
        .par_iter()
        .zip(&state.frames)
        .zip(sources)
        .map(|((frame, fs), source)| {
            if opts.cancelled() {
                return Ok(None);
            }
            let result = source.and_then(|bytes| {
                build_frame(site, &page.page, frame, fs, &bytes, animation_needed, sink)
            });
            progress.frame_done();
            result
        })
        .collect();
    let made: Vec<bool> = results.iter().map(Result::is_ok).collect();
    let cancelled_early = opts.cancelled();
    let decoded: Vec<Option<Rgba8>> = results
        .into_iter()
        .map(|r| r.unwrap_or_else(|e| sink.error_then_none(&e)))
        .collect();

    let animation_made = match (&state.animation, &page.animation) {
        (Some(a), _) => build_animation(site, page, a, animation_needed, decoded, opts, sink),
        (None, Some(plan)) => {
            let first = outputs::gallery_outputs(&site.settings)
                .first()
                .map(|o| site.output_of(&o.name(&plan.url)))
                .unwrap_or_default();
            sink.error(&not_made(first, page, "could not be read"));
            false
        }
        (None, None) => false,
    };
    let changes = state.changes(page, |i| made[i] && !cancelled_early, animation_made);
    if (!changes.is_empty() || !removed.is_empty()) && !opts.cancelled() {
        if let Err(e) = rewrite_page(site, page, &changes, &removed, sink) {
            sink.error(&e);
        }
    }
}

/// The error for a page's animation (named by its first output) that
/// could not be made because a frame failed (the frame's own error says why).
fn not_made(output: PathBuf, page: &PagePlan, why: &str) -> Error {
    Error::Encode {
        path: output,
        message: format!(
            "not made: a frame of {} {why} (see above)",
            page.page.display()
        ),
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
    opts: &BuildOptions,
    sink: &Sink<'_>,
) -> bool {
    if !needed {
        state.outputs.iter().for_each(|o| sink.up_to_date(&o.path));
        return true;
    }
    if opts.cancelled() {
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
    let gallery_outputs = outputs::gallery_outputs(s);
    // The gallery outputs of one page are independent: make them side by side.
    let results: Vec<Result<()>> = gallery_outputs
        .par_iter()
        .zip(&state.outputs)
        .map(|(output, o)| {
            if o.is_fresh() {
                sink.up_to_date(&o.path);
                return Ok(());
            }
            site.check_on_disk(&o.path, &page.page)?;
            let bytes = output.make(&frames, s).map_err(|message| Error::Encode {
                path: o.path.clone(),
                message,
            })?;
            sink.write(o, &bytes, &page.page, false)
        })
        .collect();
    let mut ok = true;
    for e in results.into_iter().filter_map(Result::err) {
        sink.error(&e);
        ok = false;
    }
    ok
}

/// Makes the stale outputs of one frame; returns its pixels when the
/// gallery outputs need them.
fn build_frame(
    site: &Site,
    page: &Path,
    frame: &FramePlan,
    state: &FrameState,
    bytes: &[u8],
    animation_needed: bool,
    sink: &Sink<'_>,
) -> Result<Option<Rgba8>> {
    for o in &state.outputs {
        site.check_on_disk(&o.path, page)?;
    }
    if state.outputs.iter().all(|o| o.is_fresh()) && !animation_needed {
        state.outputs.iter().for_each(|o| sink.up_to_date(&o.path));
        return Ok(None);
    }
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
        // In place, the optimised copy replaces the render: still the user's.
        let render = o.path == frame.source;
        sink.write(o, &made, page, render)?;
    }
    Ok(animation_needed.then_some(image))
}
