//! One function per subcommand: open the site, call the library, print
//! the report the way the flags ask, return the exit status.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::CommandFactory;

use assetgen::{BuildOptions, Kind, Site};

use super::flags::{self, SettingFlags};
use super::output::{self, Printer};
use super::{
    BuildArgs, CheckArgs, CleanArgs, CompletionsArgs, ConvertArgs, GifArgs, JobsArgs, SettingsArgs,
    SiteArgs,
};

/// A failure that has been printed, with the exit status it ends in.
pub struct Exit(pub ExitCode);

impl From<assetgen::Error> for Exit {
    fn from(e: assetgen::Error) -> Self {
        output::error(&e.to_string());
        Exit(ExitCode::from(if e.is_usage() { 2 } else { 1 }))
    }
}

impl From<anyhow::Error> for Exit {
    fn from(e: anyhow::Error) -> Self {
        output::error(&format!("{e:#}"));
        Exit(ExitCode::from(2))
    }
}

impl From<serde_json::Error> for Exit {
    fn from(e: serde_json::Error) -> Self {
        Exit::from(anyhow::Error::from(e))
    }
}

pub(super) type Outcome = Result<ExitCode, Exit>;

/// Exit 0 when nothing failed, else 1.
pub(super) fn status(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Runs `f` on a rayon pool of `jobs` threads (default: all cores).
pub(super) fn with_jobs<T: Send>(jobs: &JobsArgs, f: impl FnOnce() -> T + Send) -> Result<T, Exit> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = jobs.jobs {
        if n == 0 {
            return Err(anyhow::anyhow!("--jobs must be at least 1").into());
        }
        builder = builder.num_threads(n);
    }
    let pool = builder.build().context("cannot start worker threads")?;
    Ok(pool.install(f))
}

/// Finds and opens the site, with the flags' settings on top of `_config.yml`.
pub(super) fn open_site(
    site: &SiteArgs,
    settings: &SettingFlags<flags::Site>,
) -> Result<Site, Exit> {
    let root = Site::locate(site.site.as_deref())?;
    Ok(Site::open(&root, &settings.overrides()?)?)
}

fn page_args(site: &Site, pages: &[PathBuf]) -> Result<Vec<PathBuf>, Exit> {
    Ok(pages
        .iter()
        .map(|p| site.page_arg(p))
        .collect::<Result<_, _>>()?)
}

/// A build stopped by Ctrl-C while it waited for another run's lock: it
/// did nothing, which is not a failure of any page.
pub(super) fn interrupted_waiting(e: assetgen::Error) -> Exit {
    if matches!(e, assetgen::Error::Cancelled { .. }) {
        eprintln!("interrupted while waiting for another assetgen run; nothing done");
        Exit(ExitCode::from(130))
    } else {
        Exit::from(e)
    }
}

pub fn build(a: BuildArgs) -> Outcome {
    let printer = Printer::new(&a.out);
    let site = open_site(&a.site, &a.settings)?;
    let opts = BuildOptions {
        pages: page_args(&site, &a.pages)?,
        dry_run: a.dry_run,
        force: a.force,
        prune: a.prune,
        shard: a.shard,
        cancel: Some(on_ctrl_c()),
    };
    let bars = output::Bars::new(printer.shows_progress());
    let report = with_jobs(&a.jobs, || assetgen::build(&site, &opts, &bars))?
        .map_err(interrupted_waiting)?;
    printer.build_report(&report)?;
    if report.cancelled {
        eprintln!(
            "interrupted: every file written is complete; run assetgen build again to finish"
        );
        return Ok(ExitCode::from(130));
    }
    Ok(status(report.errors.is_empty()))
}

/// A flag set by the first Ctrl-C (the build then stops after the frames
/// in flight and saves its cache); a second Ctrl-C exits at once, which is
/// still safe because every file is written by rename.
pub(super) fn on_ctrl_c() -> std::sync::Arc<std::sync::atomic::AtomicBool> {
    use std::sync::atomic::{AtomicBool, Ordering};
    let flag = std::sync::Arc::new(AtomicBool::new(false));
    let seen = flag.clone();
    let installed = ctrlc::set_handler(move || {
        if seen.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
    if let Err(e) = installed {
        // Without a handler Ctrl-C kills the run, which is still safe.
        output::warning(&format!(
            "cannot catch Ctrl-C ({e}); stopping will not save the cache"
        ));
    }
    flag
}

pub fn check(a: CheckArgs) -> Outcome {
    let printer = Printer::new(&a.out);
    let site = open_site(&a.site, &a.settings)?;
    let pages = page_args(&site, &a.pages)?;
    let report = with_jobs(&a.jobs, || assetgen::check(&site, &pages))??;
    printer.check_report(&report)?;
    Ok(status(report.is_clean()))
}

pub fn clean(a: CleanArgs) -> Outcome {
    let printer = Printer::new(&a.out);
    let site = open_site(&a.site, &a.settings)?;
    let report = assetgen::clean(&site, a.dry_run, &output::SaysWhenWaiting)?;
    printer.clean_report(&report)?;
    Ok(status(report.errors.is_empty()))
}

pub fn settings(a: SettingsArgs) -> Outcome {
    let site = open_site(&a.site, &a.settings)?;
    output::print_settings(&site, a.json)?;
    Ok(ExitCode::SUCCESS)
}

pub fn gif(mut a: GifArgs) -> Outcome {
    let printer = Printer::new(&a.out);
    let overrides = a.settings.overrides()?;
    let asked_for_video = overrides.origin("video") != assetgen::Origin::Default;
    let mut settings = overrides.resolve();
    if !asked_for_video {
        // Outside a site, a GIF is what was asked for; videos on request.
        settings.video = Default::default();
    }
    if !a.no_sort {
        // A shell's `*` puts -10 before -2: the animation would jump.
        a.frames
            .sort_by(|x, y| assetgen::natural_cmp(&x.to_string_lossy(), &y.to_string_lossy()));
    }
    let written = with_jobs(&a.jobs, || {
        assetgen::animation_from_files(&a.frames, &a.output, &settings)
    })??;
    printer.wrote_files(&written, a.frames.len())?;
    Ok(ExitCode::SUCCESS)
}

/// `png` and `thumb`: one frame output of every file, into a folder.
pub fn convert<S: flags::Selection + Send + Sync>(a: ConvertArgs<S>, kind: Kind) -> Outcome {
    let printer = Printer::new(&a.out);
    let settings = a.settings.overrides()?.resolve();
    let results = with_jobs(&a.jobs, || {
        assetgen::convert_files(&a.files, &a.output, kind, &settings)
    })??;
    let ok = results.iter().all(Result::is_ok);
    printer.converted(&a.output, &results)?;
    Ok(status(ok))
}

pub fn completions(a: CompletionsArgs) -> Outcome {
    let mut cmd = super::Cli::command();
    clap_complete::generate(a.shell, &mut cmd, "assetgen", &mut std::io::stdout());
    Ok(ExitCode::SUCCESS)
}

pub fn man() -> Outcome {
    let cmd = super::Cli::command();
    clap_mangen::Man::new(cmd)
        .render(&mut std::io::stdout())
        .context("cannot write the man page")?;
    Ok(ExitCode::SUCCESS)
}
