//! What the terminal shows: progress bars on stderr (only when it is a
//! terminal), error lines, and the end-of-run summary.

use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use assetgen::{Problem, Progress, Report, Site, SETTINGS};

/// Two bars, pages and frames; hidden when stderr is not a terminal.
pub struct Bars {
    pages: ProgressBar,
    frames: ProgressBar,
    _multi: MultiProgress,
}

impl Bars {
    pub fn new(enabled: bool) -> Bars {
        let target = if enabled && std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let multi = MultiProgress::with_draw_target(target);
        let style = ProgressStyle::with_template("{prefix:>7} [{bar:30}] {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        let pages = multi.add(
            ProgressBar::new(0)
                .with_style(style.clone())
                .with_prefix("pages"),
        );
        let frames = multi.add(ProgressBar::new(0).with_style(style).with_prefix("frames"));
        pages.enable_steady_tick(Duration::from_millis(200));
        Bars {
            pages,
            frames,
            _multi: multi,
        }
    }
}

impl Progress for Bars {
    fn start(&self, pages: usize, frames: usize) {
        self.pages.set_length(pages as u64);
        self.frames.set_length(frames as u64);
    }
    fn frame_done(&self) {
        self.frames.inc(1);
    }
    fn page_done(&self, page: &Path) {
        self.pages.set_message(page.display().to_string());
        self.pages.inc(1);
    }
    fn finish(&self) {
        self.pages.finish_and_clear();
        self.frames.finish_and_clear();
    }
    fn waiting_for_lock(&self, root: &Path) {
        SaysWhenWaiting.waiting_for_lock(root);
    }
}

/// No progress to show, but a run that must wait for another says so.
pub struct SaysWhenWaiting;

impl Progress for SaysWhenWaiting {
    fn waiting_for_lock(&self, root: &Path) {
        eprintln!(
            "waiting for another assetgen run on {} to finish...",
            root.display()
        );
    }
}

pub fn print_errors(errors: &[Problem]) {
    for e in errors {
        eprintln!("error: {}", e.message);
    }
}

pub fn print_build_summary(r: &Report) {
    let count = |k: &str| r.written.iter().filter(|w| w.kind == k).count();
    let verb = if r.dry_run { "would write" } else { "wrote" };
    let out_bytes: u64 = r.written.iter().map(|w| w.bytes).sum();
    eprintln!(
        "{verb} {} files ({} GIFs, {} PNGs, {} thumbnails, {} pages, {}), {} up to date, {} errors in {:.1} s",
        r.written.len(),
        count("gif"),
        count("png"),
        count("thumb"),
        count("page"),
        human_bytes(out_bytes),
        r.up_to_date.len(),
        r.errors.len(),
        r.elapsed_ms as f64 / 1000.0
    );
    if r.source_bytes > 0 {
        let saved = 100.0 * (1.0 - r.optimised_bytes as f64 / r.source_bytes as f64);
        eprintln!(
            "frames: {} of renders -> {} optimised ({saved:.0}% smaller)",
            human_bytes(r.source_bytes),
            human_bytes(r.optimised_bytes),
        );
    }
}

pub fn human_bytes(n: u64) -> String {
    match n {
        0..1_000 => format!("{n} B"),
        1_000..1_000_000 => format!("{:.1} kB", n as f64 / 1e3),
        _ => format!("{:.2} MB", n as f64 / 1e6),
    }
}

/// `assetgen settings`: every setting's value and where it came from, as
/// lines a user could paste under `assetgen:`, or as JSON.
pub fn print_settings(site: &Site, json: bool) -> Result<(), serde_json::Error> {
    let rows: Vec<(&str, String, String)> = SETTINGS
        .iter()
        .map(|s| {
            let origin = site.overrides.origin(s.key).to_string();
            (s.key, (s.show)(&site.settings), origin)
        })
        .collect();
    if json {
        let map: serde_json::Map<String, serde_json::Value> = rows
            .into_iter()
            .map(|(k, v, o)| (k.to_string(), serde_json::json!({ "value": v, "from": o })))
            .collect();
        println!("{}", serde_json::to_string_pretty(&map)?);
        return Ok(());
    }
    let width = rows
        .iter()
        .map(|(k, v, _)| k.len() + v.len())
        .max()
        .unwrap_or(0)
        + 4;
    println!("assetgen:");
    for (key, value, origin) in rows {
        let line = format!("  {key}: {}", yaml_scalar(&value));
        println!("{line:<width$}# {origin}");
    }
    Ok(())
}

/// Quotes a value that YAML would otherwise read differently (`#ffffff`
/// would be a comment).
fn yaml_scalar(v: &str) -> String {
    if v.starts_with('#') || v.is_empty() {
        format!("'{v}'")
    } else {
        v.to_string()
    }
}
