//! `assetgen watch`: one status line per rebuild (and a line per error or
//! waiting page) on stderr, beside `jekyll serve`'s own; Ctrl-C stops it
//! cleanly (a build in flight saves its cache), a second Ctrl-C at once.

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use assetgen::{Watch, WatchEvent, WatchObserver, WatchOptions};

use super::{flags, output, with_jobs, Exit, SiteArgs};

#[derive(Debug, Args)]
pub struct WatchArgs {
    #[command(flatten)]
    site: SiteArgs,
    /// Worker threads (default: one per core)
    #[arg(short, long, value_name = "N")]
    jobs: Option<usize>,
    /// Milliseconds a file must go unwritten before it is looked at
    #[arg(long, value_name = "MS", default_value_t = 300)]
    debounce: u64,
    #[command(flatten)]
    settings: flags::SettingFlags<flags::Site>,
}

pub fn run(a: WatchArgs) -> Result<ExitCode, Exit> {
    let watch = Watch::new(WatchOptions {
        root: a.site.site.clone(),
        flags: a.settings.overrides()?,
        debounce: Duration::from_millis(a.debounce.max(1)),
    });
    let stopper = watch.stopper();
    let mut pressed = false;
    let installed = ctrlc::set_handler(move || {
        if pressed {
            std::process::exit(130);
        }
        pressed = true;
        eprintln!("stopping...");
        stopper.stop();
    });
    if let Err(e) = installed {
        eprintln!("warning: cannot catch Ctrl-C ({e}); stopping will not save the cache");
    }
    with_jobs(a.jobs, || watch.run(&Lines))??;
    eprintln!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// Prints each event as one line.
struct Lines;

impl WatchObserver for Lines {
    fn event(&self, event: WatchEvent<'_>) {
        match event {
            WatchEvent::Built { pages, report } => {
                output::print_errors(&report.errors);
                let what = match pages {
                    [] => "site".to_string(),
                    [one] => one.display().to_string(),
                    many => format!("{} pages", many.len()),
                };
                let count = |k: &str| report.written.iter().filter(|w| w.kind == k).count();
                let written = if report.written.is_empty() {
                    "up to date".to_string()
                } else {
                    format!(
                        "wrote {} GIFs, {} PNGs, {} thumbnails, {} pages",
                        count("gif"),
                        count("png"),
                        count("thumb"),
                        count("page")
                    )
                };
                let errors = match report.errors.len() {
                    0 => String::new(),
                    1 => ", 1 error".to_string(),
                    n => format!(", {n} errors"),
                };
                let stopped = if report.cancelled {
                    " (interrupted)"
                } else {
                    ""
                };
                eprintln!(
                    "built {what}: {written}{errors} in {:.2} s{stopped}",
                    report.elapsed_ms as f64 / 1000.0
                );
            }
            WatchEvent::Watching { folders } => {
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
                eprintln!("{}: {reason}", page.display());
            }
            WatchEvent::Unlisted { stem, renders } => {
                eprintln!(
                    "{stem}-*.png: {renders} renders no page lists; `assetgen new PAGE {stem}` writes a page for them"
                );
            }
            WatchEvent::Error(e) => eprintln!("error: {e}"),
        }
    }
}
