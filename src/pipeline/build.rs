//! `build`: plan the site, execute the plan in parallel, report.
//!
//! Pages run in parallel, and within a page its frames do (rayon, nested).
//! Before any pixel work, the page's state says which outputs are up to
//! date (see `state`); only the others are made. Each frame is read and
//! decoded at most once, and feeds its optimised PNG, its thumbnail and the
//! page's GIF. A failing frame or page is reported and every other page is
//! still built.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::frontmatter::edit::{self, Edit};
use crate::gif;
use crate::image::decode::{decode_png, Rgba8};
use crate::image::png::encode_frame;
use crate::image::thumb;
use crate::pipeline::cache::{slash, Cache};
use crate::pipeline::fresh::{page_state, FrameState, GifState, OutputState};
use crate::pipeline::plan::{FramePlan, PagePlan, Plan};
use crate::pipeline::report::PageDiff;
use crate::pipeline::report::{Kind, Progress, Report};
use crate::site::fs::{write_if_changed, WriteOutcome};
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
    let plan = Plan::new(site, &opts.pages, &cache)?;
    progress.start(plan.pages.len(), plan.frame_count());

    let outputs = Outputs {
        site,
        dry_run: opts.dry_run,
        report: Mutex::new(Report {
            dry_run: opts.dry_run,
            ..Report::default()
        }),
        // Updated as outputs are written; `cache` stays what the build began with.
        cache: Mutex::new(cache.clone()),
    };
    for e in &plan.errors {
        outputs.error(e);
    }
    if !opts.dry_run {
        sweep_temp_files(site);
    }
    plan.pages.par_iter().for_each(|page| {
        if opts.cancelled() {
            return;
        }
        build_page(site, page, &cache, opts, &outputs, progress);
        progress.page_done(&page.page);
    });
    progress.finish();

    let Outputs { report, cache, .. } = outputs;
    let mut report = report.into_inner().unwrap_or_else(|e| e.into_inner());
    if !opts.dry_run {
        let mut cache = cache.into_inner().unwrap_or_else(|e| e.into_inner());
        if let Err(e) = cache.save(&site.root) {
            report.add_error(&e);
        }
    }
    report.cancelled = opts.cancelled();
    report.sort();
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(report)
}

/// Where results go: the report and the cache, shared by worker threads.
struct Outputs<'a> {
    site: &'a Site,
    dry_run: bool,
    report: Mutex<Report>,
    cache: Mutex<Cache>,
}

impl Outputs<'_> {
    fn error(&self, e: &Error) {
        lock(&self.report).add_error(e);
    }

    /// Writes one output (unless dry run) and records what it was made from;
    /// `render` when the output is the render itself, optimised in place.
    fn write(&self, path: &Path, kind: Kind, bytes: &[u8], key: &str, render: bool) -> Result<()> {
        let outcome = if self.dry_run {
            match std::fs::read(self.site.abs(path)) {
                Ok(existing) if existing == bytes => WriteOutcome::Unchanged,
                _ => WriteOutcome::Written,
            }
        } else {
            write_if_changed(&self.site.abs(path), bytes, path)?
        };
        {
            let mut report = lock(&self.report);
            match outcome {
                WriteOutcome::Written => report.add_written(path, kind, bytes.len()),
                WriteOutcome::Unchanged => report.up_to_date.push(slash(path)),
            }
        }
        lock(&self.cache).record(path, bytes, key, render);
        Ok(())
    }

    /// Writes a page (unless dry run); pages are the user's, not recorded
    /// in the cache.
    fn write_page(&self, path: &Path, bytes: &[u8]) -> Result<()> {
        if !self.dry_run {
            write_if_changed(&self.site.abs(path), bytes, path)?;
        }
        lock(&self.report).add_written(path, Kind::Page, bytes.len());
        Ok(())
    }

    fn up_to_date(&self, path: &Path) {
        lock(&self.report).up_to_date.push(slash(path));
    }
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

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic in another worker must not hide this one's results.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn build_page(
    site: &Site,
    page: &PagePlan,
    cache: &Cache,
    opts: &BuildOptions,
    out: &Outputs<'_>,
    progress: &dyn Progress,
) {
    let pruned;
    let (page, removed) = match opts.prune.then(|| prune(site, page)) {
        Some(Ok((p, removed))) => {
            pruned = p;
            (&pruned, removed)
        }
        Some(Err(e)) => {
            out.error(&e);
            (page, Vec::new())
        }
        None => (page, Vec::new()),
    };
    // Pruned frames are done as far as the progress bar is concerned.
    removed.iter().for_each(|_| progress.frame_done());
    for asset in &page.checked {
        if let Err(e) = check_exists(site, asset, &page.page) {
            out.error(&e);
        }
    }
    let state = page_state(site, page, cache, opts.force);
    let gif_needed = state.gif.as_ref().is_some_and(|g| !g.output.is_fresh());
    // What the page must say afterwards: the value for every frame whose
    // outputs were made (a failed frame keeps its value), and entries for
    // new frames continuing the gallery.
    let mut edits: Vec<Edit> = Vec::new();
    let mut appends: Vec<String> = Vec::new();

    // Frames in parallel: decode only what a stale output needs, write the
    // PNG and thumbnail, keep the pixels for the GIF.
    let results: Vec<(Option<Rgba8>, Option<PageChange>)> = page
        .frames
        .par_iter()
        .zip(state.frames)
        .map(|(frame, fs)| {
            if opts.cancelled() {
                return (None, None);
            }
            let change = match &frame.scalar {
                None => Some(PageChange::Append(slash(&fs.url))),
                Some(scalar) => (fs.url != frame.url).then(|| {
                    PageChange::Edit(Edit {
                        scalar: scalar.clone(),
                        new_value: slash(&fs.url),
                    })
                }),
            };
            let result = build_frame(site, &page.page, frame, fs, gif_needed, out);
            progress.frame_done();
            match result {
                Ok(image) => (image, change),
                Err(e) => {
                    out.error(&e);
                    (None, None)
                }
            }
        })
        .collect();
    let mut decoded = Vec::with_capacity(results.len());
    // New entries are appended in order, up to the first new frame that
    // failed (a gap would break the numbering).
    let mut appending = true;
    for (frame, (image, change)) in page.frames.iter().zip(results) {
        decoded.push(image);
        match change {
            Some(PageChange::Edit(e)) => edits.push(e),
            Some(PageChange::Append(url)) if appending => appends.push(url),
            _ if frame.scalar.is_none() => appending = false,
            _ => {}
        }
    }

    if let Some(edit) = build_gif(site, page, state.gif, gif_needed, decoded, opts, out) {
        edits.push(edit);
    }
    let changes = !(edits.is_empty() && appends.is_empty() && removed.is_empty());
    if changes && !opts.cancelled() {
        if let Err(e) = rewrite_page(site, page, &edits, &removed, &appends, out) {
            out.error(&e);
        }
    }
}

/// The page without the gallery entries whose renders are gone, and
/// those entries' values (for `--prune`). Refused when no frame would be
/// left: that is a wrong `source` setting far more often than a deleted
/// gallery, and the page must not be emptied by a typo.
fn prune(site: &Site, page: &PagePlan) -> Result<(PagePlan, Vec<String>)> {
    let gone = |f: &FramePlan| {
        f.scalar.is_some()
            && site.check_on_disk(&f.source, &page.page).is_ok()
            && !site.abs(&f.source).exists()
    };
    let (missing, kept): (Vec<&FramePlan>, Vec<&FramePlan>) =
        page.frames.iter().partition(|f| gone(f));
    if missing.is_empty() {
        return Ok((page.clone(), Vec::new()));
    }
    if kept.is_empty() {
        return Err(Error::Manifest {
            path: page.page.clone(),
            message: format!(
                "every render of the gallery is missing from {}; nothing pruned (is `source` right?)",
                site.settings.source.display()
            ),
        });
    }
    let removed = missing
        .iter()
        .filter_map(|f| f.scalar.as_ref().map(|s| s.value.clone()))
        .collect();
    let mut plan = page.clone();
    plan.frames = kept.into_iter().cloned().collect();
    Ok((plan, removed))
}

/// A change a frame asks of its page.
enum PageChange {
    /// Its value must change (fingerprinted name).
    Edit(Edit),
    /// It is new: its entry is appended (gallery sync).
    Append(String),
}

/// Makes the page's GIF if it is stale; returns the page edit its name
/// needs, if any.
fn build_gif(
    site: &Site,
    page: &PagePlan,
    state: Option<GifState>,
    gif_needed: bool,
    decoded: Vec<Option<Rgba8>>,
    opts: &BuildOptions,
    out: &Outputs<'_>,
) -> Option<Edit> {
    let plan = page.gif.as_ref()?;
    let Some(state) = state else {
        out.error(&Error::Encode {
            path: plan.output.clone(),
            message: format!(
                "not made: a frame of {} could not be read (see above)",
                page.page.display()
            ),
        });
        return None;
    };
    let edit = (state.url != plan.url).then(|| Edit {
        scalar: plan.scalar.clone(),
        new_value: slash(&state.url),
    });
    let path = &state.output.path;
    if !gif_needed {
        out.up_to_date(path);
        return edit;
    }
    if opts.cancelled() {
        return None;
    }
    let Some(frames) = decoded.into_iter().collect::<Option<Vec<Rgba8>>>() else {
        out.error(&Error::Encode {
            path: path.clone(),
            message: format!(
                "not made: a frame of {} failed (see above)",
                page.page.display()
            ),
        });
        return None;
    };
    let result = check_sizes(&frames, &page.frames)
        .and_then(|()| site.check_on_disk(path, &page.page))
        .and_then(|()| {
            gif::encode(&frames, &site.settings.gif).map_err(|e| Error::Encode {
                path: path.clone(),
                message: e.to_string(),
            })
        })
        .and_then(|bytes| out.write(path, Kind::Gif, &bytes, &state.output.key, false));
    match result {
        Ok(()) => edit,
        Err(e) => {
            out.error(&e);
            None
        }
    }
}

/// Rewrites the page's changed values (byte-preserving, verified), unless
/// the page changed since it was planned.
fn rewrite_page(
    site: &Site,
    page: &PagePlan,
    edits: &[Edit],
    removed: &[String],
    appends: &[String],
    out: &Outputs<'_>,
) -> Result<()> {
    let refuse = |message: String| Error::Manifest {
        path: page.page.clone(),
        message,
    };
    let now =
        std::fs::read_to_string(site.abs(&page.page)).map_err(|e| Error::io(&page.page, e))?;
    if now != page.text {
        return Err(refuse(
            "changed during the build; front matter not rewritten (run assetgen build again)"
                .into(),
        ));
    }
    let new = edit::apply(&page.text, edits)
        .and_then(|t| edit::remove_gallery_entries(&t, removed))
        .and_then(|t| edit::append_gallery(&t, appends))
        .map_err(|m| refuse(format!("front matter not rewritten: {m}")))?;
    if out.dry_run {
        lock(&out.report).diffs.push(PageDiff {
            path: slash(&page.page),
            diff: edit::unified_diff(&slash(&page.page), &page.text, &new),
        });
    }
    out.write_page(&page.page, new.as_bytes())
}

/// Makes the stale outputs of one frame; returns its pixels when the GIF
/// needs them.
fn build_frame(
    site: &Site,
    page: &Path,
    frame: &FramePlan,
    state: FrameState,
    gif_needed: bool,
    out: &Outputs<'_>,
) -> Result<Option<Rgba8>> {
    let (png_path, thumb_path) = (&state.png.path, &state.thumb.path);
    for p in [png_path, thumb_path] {
        site.check_on_disk(p, page)?;
    }
    let bytes = state.source?;
    let needs = |o: &OutputState| !o.is_fresh();
    if !needs(&state.png) && !needs(&state.thumb) && !gif_needed {
        out.up_to_date(png_path);
        out.up_to_date(thumb_path);
        return Ok(None);
    }
    // Decoding also validates the frame, so a corrupt render is reported
    // even when its optimised copy could be made.
    let image = decode_png(&bytes, &frame.source)?;
    let encode_err = |path: &Path| {
        let path = path.to_path_buf();
        move |message| Error::Encode { path, message }
    };
    if needs(&state.png) {
        let png = encode_frame(&bytes, &image, &site.settings.png).map_err(encode_err(png_path))?;
        {
            let mut report = lock(&out.report);
            report.source_bytes += bytes.len() as u64;
            report.optimised_bytes += png.len() as u64;
        }
        // In place, the optimised copy replaces the render: still the user's.
        let render = *png_path == frame.source;
        out.write(png_path, Kind::Png, &png, &state.png.key, render)?;
    } else {
        out.up_to_date(png_path);
    }
    if needs(&state.thumb) {
        let thumb = thumb::thumbnail(&image, &site.settings.thumb, &site.settings.png)
            .map_err(encode_err(thumb_path))?;
        out.write(thumb_path, Kind::Thumb, &thumb, &state.thumb.key, false)?;
    } else {
        out.up_to_date(thumb_path);
    }
    Ok(gif_needed.then_some(image))
}

pub(crate) fn check_exists(site: &Site, asset: &Path, page: &Path) -> Result<()> {
    site.check_on_disk(asset, page)?;
    if site.abs(asset).is_file() {
        Ok(())
    } else {
        Err(Error::MissingSource {
            path: asset.to_path_buf(),
            page: page.to_path_buf(),
        })
    }
}

/// All frames of a gallery must share one size; the odd ones out (against
/// the most common size, so one bad first frame is named, not the other 15)
/// are errors.
pub(crate) fn check_sizes(frames: &[Rgba8], plans: &[FramePlan]) -> Result<()> {
    let sizes: Vec<(u32, u32)> = frames.iter().map(Rgba8::dimensions).collect();
    check_frame_sizes(&sizes, plans)
}

pub(crate) fn check_frame_sizes(sizes: &[(u32, u32)], plans: &[FramePlan]) -> Result<()> {
    let mut counts: Vec<((u32, u32), usize)> = Vec::new();
    for s in sizes {
        match counts.iter_mut().find(|(k, _)| k == s) {
            Some((_, n)) => *n += 1,
            None => counts.push((*s, 1)),
        }
    }
    // Most common size; ties go to the earliest frame's size.
    let Some(&(expected, _)) = counts.iter().rev().max_by_key(|(_, n)| *n) else {
        return Ok(());
    };
    match sizes.iter().zip(plans).find(|(s, _)| **s != expected) {
        Some((&found, plan)) => Err(Error::FrameSize {
            path: plan.source.clone(),
            expected,
            found,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plans(n: usize) -> Vec<FramePlan> {
        (0..n)
            .map(|i| FramePlan {
                url: PathBuf::from(format!("A-{i}.png")),
                base: PathBuf::from(format!("A-{i}.png")),
                source: PathBuf::from(format!("src/A-{i}.png")),
                png: PathBuf::new(),
                thumb: PathBuf::new(),
                scalar: None,
            })
            .collect()
    }

    #[test]
    fn the_odd_frame_is_named_even_when_it_is_the_first() {
        let sizes = [(5, 5), (4, 4), (4, 4)];
        let e = check_frame_sizes(&sizes, &plans(3)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "src/A-0.png: frame is 5x5, but the gallery's other frames are 4x4"
        );
    }
}
