//! `assetgen watch`: one status line per rebuild (and a line per error or
//! waiting page) on stderr, beside `jekyll serve`'s own, or with --json one
//! JSON object per event on stdout; Ctrl-C stops it cleanly (a build in
//! flight saves its cache), a second Ctrl-C at once.

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use assetgen::{Site, Watch, WatchEvent, WatchObserver, WatchOptions};

use super::commands::{with_jobs, Outcome};
use super::output::{self, Printer};
use super::{flags, JobsArgs, OutputArgs, SiteArgs};

#[derive(Debug, Args)]
pub struct WatchArgs {
    #[command(flatten)]
    site: SiteArgs,
    /// Milliseconds a file must go unwritten before it is looked at
    #[arg(long, value_name = "MS", default_value_t = 300)]
    debounce: u64,
    #[command(flatten)]
    jobs: JobsArgs,
    #[command(flatten)]
    out: OutputArgs,
    #[command(flatten)]
    settings: flags::SettingFlags<flags::Site>,
}

pub fn run(a: WatchArgs) -> Outcome {
    let printer = Printer::new(&a.out);
    let root = Site::locate(a.site.site.as_deref())?;
    let watch = Watch::new(WatchOptions {
        root,
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
        output::warning(&format!(
            "cannot catch Ctrl-C ({e}); stopping will not save the cache"
        ));
    }
    with_jobs(&a.jobs, || watch.run(&Lines(printer)))??;
    eprintln!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// Prints each event as the flags ask.
struct Lines(Printer);

impl WatchObserver for Lines {
    fn event(&self, event: WatchEvent<'_>) {
        self.0.watch_event(event);
    }
}
