//! What the terminal shows: progress bars on stderr (only when it is a
//! terminal), `error:`/`warning:` lines (coloured where colour is on), the
//! end-of-run summary, and the JSON report when asked.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use assetgen::{
    CheckReport, Converted, MergeReport, Problem, Progress, Report, Scaffold, Site, Source,
    WatchEvent, SETTINGS,
};

use super::{Color, OutputArgs};

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

/// `error: message` on stderr, the prefix in red where colour is on.
pub fn error(message: &str) {
    let style = anstyle::AnsiColor::Red.on_default().bold();
    anstream::eprintln!("{style}error:{style:#} {message}");
}

/// `warning: message` on stderr, the prefix in yellow where colour is on.
pub fn warning(message: &str) {
    let style = anstyle::AnsiColor::Yellow.on_default().bold();
    anstream::eprintln!("{style}warning:{style:#} {message}");
}

/// `1 file`, `2 files`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// How a command reports, from its `OutputArgs`.
pub struct Printer {
    json: bool,
    quiet: bool,
    verbose: bool,
}

impl Printer {
    pub fn new(a: &OutputArgs) -> Printer {
        anstream::ColorChoice::write_global(match a.color {
            Color::Auto => anstream::ColorChoice::Auto,
            Color::Always => anstream::ColorChoice::Always,
            Color::Never => anstream::ColorChoice::Never,
        });
        Printer {
            json: a.json,
            quiet: a.quiet,
            verbose: a.verbose,
        }
    }

    /// Progress bars only for a person watching: not with --json or -q.
    pub fn shows_progress(&self) -> bool {
        !self.json && !self.quiet
    }

    fn json(&self, value: &impl serde::Serialize) -> Result<(), serde_json::Error> {
        println!("{}", serde_json::to_string_pretty(value)?);
        Ok(())
    }

    /// Errors, each on one line; with --verbose, the files a grouped one
    /// stands for.
    fn errors(&self, errors: &[Problem]) {
        for e in errors {
            error(&e.message);
            if self.verbose {
                for f in &e.files {
                    eprintln!("    {f}");
                }
            }
        }
    }

    pub fn build_report(&self, r: &Report) -> Result<(), serde_json::Error> {
        if self.json {
            return self.json(r);
        }
        for d in &r.diffs {
            print!("{}", d.diff);
        }
        if self.verbose {
            let verb = if r.dry_run { "would write" } else { "wrote" };
            for w in &r.written {
                println!("{verb} {}", w.path);
            }
            for p in &r.unchanged {
                println!("made again, same bytes: {p}");
            }
            for p in &r.up_to_date {
                println!("up to date: {p}");
            }
        }
        self.errors(&r.errors);
        if !self.quiet {
            eprintln!("{}", build_summary(r));
            if r.source_bytes > 0 {
                let saved = 100.0 * (1.0 - r.optimised_bytes as f64 / r.source_bytes as f64);
                eprintln!(
                    "frames: {} of renders -> {} optimised ({saved:.0}% smaller)",
                    human_bytes(r.source_bytes),
                    human_bytes(r.optimised_bytes),
                );
            }
        }
        Ok(())
    }

    pub fn check_report(&self, r: &CheckReport) -> Result<(), serde_json::Error> {
        if self.json {
            return self.json(r);
        }
        for p in &r.problems {
            println!("{}", p.message);
            if self.verbose {
                for f in &p.files {
                    println!("    {f}");
                }
            }
        }
        for w in &r.warnings {
            println!("warning: {}", w.message);
        }
        if !self.quiet {
            let found = match r.problems.len() {
                0 => "all good".to_string(),
                n => count(n, "problem", "problems"),
            };
            let warned = match r.warnings.len() {
                0 => String::new(),
                n => format!(" ({})", count(n, "warning", "warnings")),
            };
            eprintln!(
                "checked {}, {}: {found}{warned}",
                count(r.pages, "page", "pages"),
                count(r.frames, "frame", "frames")
            );
        }
        Ok(())
    }

    pub fn clean_report(&self, r: &Report) -> Result<(), serde_json::Error> {
        if self.json {
            return self.json(r);
        }
        let verb = if r.dry_run { "would remove" } else { "removed" };
        for p in &r.removed {
            println!("{verb} {p}");
        }
        self.errors(&r.errors);
        if !self.quiet {
            eprintln!("{verb} {}", count(r.removed.len(), "file", "files"));
        }
        Ok(())
    }

    /// `gif`: the GIF written, and the videos beside it when asked for.
    pub fn wrote_files(
        &self,
        files: &[(PathBuf, u64)],
        frames: usize,
    ) -> Result<(), serde_json::Error> {
        if self.json {
            let written: Vec<_> = files
                .iter()
                .map(|(p, b)| {
                    let kind = match p.extension().and_then(|e| e.to_str()) {
                        Some("gif") => "gif",
                        _ => "video",
                    };
                    serde_json::json!({ "path": p.to_string_lossy(), "kind": kind, "bytes": b })
                })
                .collect();
            return self.json(&serde_json::json!({ "written": written, "errors": [] }));
        }
        if !self.quiet {
            for (path, bytes) in files {
                eprintln!(
                    "wrote {} ({}, {})",
                    path.display(),
                    human_bytes(*bytes),
                    count(frames, "frame", "frames")
                );
            }
        }
        Ok(())
    }

    /// `png` and `thumb`: every file converted, and the failures.
    pub fn converted(&self, dir: &Path, results: &[Converted]) -> Result<(), serde_json::Error> {
        let (mut written, mut errors) = (Vec::new(), Vec::new());
        for r in results {
            match r {
                Ok((path, bytes)) => written.push((path, *bytes)),
                Err(e) => errors.push(Problem::from(e)),
            }
        }
        if self.json {
            let written: Vec<_> = written
                .iter()
                .map(|(p, b)| serde_json::json!({ "path": p.to_string_lossy(), "bytes": b }))
                .collect();
            return self.json(&serde_json::json!({ "written": written, "errors": errors }));
        }
        if self.verbose {
            for (p, _) in &written {
                println!("wrote {}", p.display());
            }
        }
        self.errors(&errors);
        if !self.quiet {
            let total: u64 = written.iter().map(|(_, b)| b).sum();
            eprintln!(
                "wrote {} to {} ({})",
                count(written.len(), "file", "files"),
                dir.display(),
                human_bytes(total)
            );
        }
        Ok(())
    }
}

/// The build's last line: what was written, by kind, what was made again
/// with the same bytes, what was already up to date, the errors.
fn build_summary(r: &Report) -> String {
    let kinds = [
        ("gif", "GIF", "GIFs"),
        ("video", "video", "videos"),
        ("png", "PNG", "PNGs"),
        ("thumb", "thumbnail", "thumbnails"),
        ("page", "page", "pages"),
    ];
    let by_kind: Vec<String> = kinds
        .iter()
        .filter_map(|(k, one, many)| {
            let n = r.written.iter().filter(|w| w.kind == *k).count();
            (n > 0).then(|| count(n, one, many))
        })
        .collect();
    let mut parts = Vec::new();
    let verb = if r.dry_run { "would write" } else { "wrote" };
    let files = count(r.written.len(), "file", "files");
    parts.push(match (by_kind.is_empty(), r.dry_run) {
        (true, _) => format!("{verb} nothing"),
        (false, true) => format!("{verb} {files} ({})", by_kind.join(", ")),
        (false, false) => {
            let bytes: u64 = r.written.iter().filter_map(|w| w.bytes).sum();
            format!(
                "{verb} {files} ({}; {})",
                by_kind.join(", "),
                human_bytes(bytes)
            )
        }
    });
    if !r.unchanged.is_empty() {
        parts.push(format!(
            "{} made again with identical bytes (not rewritten)",
            r.unchanged.len()
        ));
    }
    if !r.up_to_date.is_empty() || r.unchanged.is_empty() {
        parts.push(format!("{} up to date", r.up_to_date.len()));
    }
    if !r.errors.is_empty() {
        parts.push(count(r.errors.len(), "error", "errors"));
    }
    format!(
        "{} in {:.1} s",
        parts.join(", "),
        r.elapsed_ms as f64 / 1000.0
    )
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

impl Printer {
    /// `new`: the values substituted and where each came from (stderr),
    /// then the page itself on stdout in a dry run; with --json, one
    /// object: the scaffold (the page's text included) and `dry_run`.
    pub fn new_page(&self, s: &Scaffold, dry_run: bool) -> Result<(), serde_json::Error> {
        if self.json {
            let mut value = serde_json::to_value(s)?;
            value["dry_run"] = serde_json::Value::Bool(dry_run);
            return self.json(&value);
        }
        if !self.quiet {
            let how = if s.model_chosen {
                " (nearest page with a gallery; --like to choose)"
            } else {
                ""
            };
            eprintln!("new page {}", s.page.display());
            eprintln!("  like       {}{how}", s.model.display());
            let (first, last) = (
                s.frames.first().cloned().unwrap_or_default(),
                s.frames.last().cloned().unwrap_or_default(),
            );
            eprintln!("  frames     {} ({first} .. {last})", s.frames.len());
            for f in &s.fields {
                let source = match (f.source, f.name) {
                    (Source::Given, _) => "given".to_string(),
                    (_, "animation") => "from the renders' name".to_string(),
                    (Source::Derived, n) => {
                        format!("derived from the model's '{}'; --{n} to change", f.model)
                    }
                    (Source::Kept, n) => format!(
                        "kept: the model's does not follow its renders' name; --{n} to change"
                    ),
                };
                eprintln!("  {:<10} {} ({source})", f.name, f.value);
            }
            for n in &s.notes {
                eprintln!("note: {n}");
            }
        }
        if dry_run {
            print!("{}", s.text);
            if !self.quiet {
                eprintln!("dry run: {} not written", s.page.display());
            }
        } else if !self.quiet {
            eprintln!(
                "wrote {}; assetgen build makes its animation, videos, PNGs and thumbnails",
                s.page.display()
            );
        }
        Ok(())
    }

    /// `cache merge`: the fragments joined.
    pub fn merged(&self, r: &MergeReport) -> Result<(), serde_json::Error> {
        if self.json {
            return self.json(r);
        }
        if self.verbose {
            for name in &r.merged {
                println!("merged {name}");
            }
        }
        if !self.quiet {
            eprintln!(
                "merged {} ({}) into .assetgen-cache.json in {:.1} s",
                count(r.merged.len(), "fragment", "fragments"),
                count(r.outputs, "output", "outputs"),
                r.elapsed_ms as f64 / 1000.0
            );
        }
        Ok(())
    }

    /// `watch`: one event, as one line (or a few) on stderr; with --json,
    /// one JSON object per line on stdout.
    pub fn watch_event(&self, event: WatchEvent<'_>) {
        if self.json {
            let value = match event {
                WatchEvent::Built { pages, report } => serde_json::json!({
                    "event": "built",
                    "pages": pages.iter().map(|p| p.to_string_lossy()).collect::<Vec<_>>(),
                    "report": report,
                }),
                WatchEvent::Watching { folders } => serde_json::json!({
                    "event": "watching",
                    "folders": folders.iter().map(|p| p.to_string_lossy()).collect::<Vec<_>>(),
                }),
                WatchEvent::Waiting { page, reason } => serde_json::json!({
                    "event": "waiting", "page": page.to_string_lossy(), "reason": reason,
                }),
                WatchEvent::Unlisted { stem, renders } => serde_json::json!({
                    "event": "unlisted", "stem": stem, "renders": renders,
                }),
                WatchEvent::Error(e) => serde_json::json!({
                    "event": "error", "error": Problem::from(e),
                }),
            };
            println!("{value}");
            return;
        }
        match event {
            WatchEvent::Built { pages, report } => {
                self.errors(&report.errors);
                if self.quiet {
                    return;
                }
                let what = match pages {
                    [] => "site".to_string(),
                    [one] => one.display().to_string(),
                    many => format!("{} pages", many.len()),
                };
                let stopped = if report.cancelled {
                    " (interrupted)"
                } else {
                    ""
                };
                eprintln!("built {what}: {}{stopped}", build_summary(report));
            }
            WatchEvent::Watching { folders } => {
                if self.quiet {
                    return;
                }
                let list: Vec<String> = folders
                    .iter()
                    .map(|f| format!("{}/", f.display()))
                    .collect();
                eprintln!(
                    "watching _config.yml, pages and renders ({}); Ctrl-C to stop",
                    list.join(", ")
                );
            }
            WatchEvent::Waiting { page, reason } => {
                if !self.quiet {
                    eprintln!("{}: {reason}", page.display());
                }
            }
            WatchEvent::Unlisted { stem, renders } => {
                if !self.quiet {
                    eprintln!(
                        "{stem}-*.png: {} no page lists; `assetgen new PAGE {stem}` writes a page for them",
                        count(renders, "render", "renders")
                    );
                }
            }
            WatchEvent::Error(e) => error(&e.to_string()),
        }
    }
}
