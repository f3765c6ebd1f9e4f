//! Command-line interface: argument definitions and one function per
//! subcommand. Everything here is presentation; the work is in the library.

mod cache;
mod flags;
mod new;
mod output;
mod watch;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};

use assetgen::{BuildOptions, Kind, Shard, Site};
use flags::SettingFlags;

/// Turntable galleries for Jekyll: animated GIFs, optimised PNGs and
/// thumbnails from the frames listed in each page's front matter.
#[derive(Debug, Parser)]
#[command(name = "assetgen", version, about, long_about = None)]
#[command(
    after_help = "Settings can also be set under `assetgen:` in _config.yml; \
flags win over it. Exit status: 0 ok, 1 a page or asset failed (or check found problems), 2 usage or configuration error."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build every page's GIF, optimised PNGs and thumbnails (the main job)
    Build(BuildArgs),
    /// Validate pages, frames and outputs without writing anything
    Check(CheckArgs),
    /// Encode one animated GIF from frames, outside any site
    Gif(GifArgs),
    /// Write optimised copies of PNGs into a folder, outside any site
    Png(PngArgs),
    /// Write thumbnails of PNGs into a folder, outside any site
    Thumb(ThumbArgs),
    /// Remove generated files that no page refers to any more
    Clean(CleanArgs),
    /// Write a page for new renders in the style of an existing page
    New(new::NewArgs),
    /// Build, then rebuild what changes as renders, pages or settings change
    Watch(watch::WatchArgs),
    /// Print every setting in effect and where its value comes from
    Settings(SettingsArgs),
    /// The build cache: join the fragments of a sharded build
    #[command(subcommand)]
    Cache(cache::CacheCommand),
}

#[derive(Debug, Args)]
pub(crate) struct SiteArgs {
    /// Site root: the folder holding _config.yml
    #[arg(long, value_name = "DIR", default_value = ".")]
    site: PathBuf,
}

#[derive(Debug, Args)]
struct BuildArgs {
    #[command(flatten)]
    site: SiteArgs,
    /// Only these pages (paths relative to the site root or the current folder)
    #[arg(value_name = "PAGE")]
    pages: Vec<PathBuf>,
    /// Worker threads (default: one per core)
    #[arg(short, long, value_name = "N")]
    jobs: Option<usize>,
    /// Rebuild every output, ignoring the build cache
    #[arg(long)]
    force: bool,
    /// Write nothing; say what would be written
    #[arg(long)]
    dry_run: bool,
    /// Remove gallery entries whose renders are gone from the source root
    /// (their old outputs are then removed by `assetgen clean`)
    #[arg(long)]
    prune: bool,
    /// Build only share K of N of the pages (by a stable hash of each
    /// page's path) and save a cache fragment for `assetgen cache merge`
    #[arg(long, value_name = "K/N")]
    shard: Option<Shard>,
    /// Print a JSON report on stdout
    #[arg(long)]
    json: bool,
    /// No progress bars and no summary
    #[arg(short, long)]
    quiet: bool,
    #[command(flatten)]
    settings: SettingFlags<flags::Site>,
}

#[derive(Debug, Args)]
struct CheckArgs {
    #[command(flatten)]
    site: SiteArgs,
    /// Only these pages
    #[arg(value_name = "PAGE")]
    pages: Vec<PathBuf>,
    /// Worker threads (default: one per core)
    #[arg(short, long, value_name = "N")]
    jobs: Option<usize>,
    /// Print a JSON report on stdout
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    settings: SettingFlags<flags::Site>,
}

#[derive(Debug, Args)]
struct CleanArgs {
    #[command(flatten)]
    site: SiteArgs,
    /// List what would be removed, remove nothing
    #[arg(long)]
    dry_run: bool,
    /// Print a JSON report on stdout
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    settings: SettingFlags<flags::Site>,
}

#[derive(Debug, Args)]
struct SettingsArgs {
    #[command(flatten)]
    site: SiteArgs,
    /// Print a JSON object on stdout
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    settings: SettingFlags<flags::Site>,
}

#[derive(Debug, Args)]
struct GifArgs {
    /// Output GIF
    #[arg(short, long, value_name = "OUT.gif")]
    output: PathBuf,
    /// Frames, in order (PNG)
    #[arg(value_name = "FRAME", required = true)]
    frames: Vec<PathBuf>,
    /// Worker threads (default: one per core)
    #[arg(short, long, value_name = "N")]
    jobs: Option<usize>,
    #[command(flatten)]
    settings: SettingFlags<flags::Gif>,
}

#[derive(Debug, Args)]
struct PngArgs {
    /// Folder the optimised copies are written to (same file names)
    #[arg(short, long, value_name = "DIR")]
    out_dir: PathBuf,
    /// PNG files
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
    /// Worker threads (default: one per core)
    #[arg(short, long, value_name = "N")]
    jobs: Option<usize>,
    #[command(flatten)]
    settings: SettingFlags<flags::Png>,
}

#[derive(Debug, Args)]
struct ThumbArgs {
    /// Folder the thumbnails are written to, as NAME-thumb.png
    #[arg(short, long, value_name = "DIR")]
    out_dir: PathBuf,
    /// PNG files
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
    /// Worker threads (default: one per core)
    #[arg(short, long, value_name = "N")]
    jobs: Option<usize>,
    #[command(flatten)]
    settings: SettingFlags<flags::Thumb>,
}

/// A failure that has been printed, with the exit status it ends in.
pub struct Exit(ExitCode);

impl From<assetgen::Error> for Exit {
    fn from(e: assetgen::Error) -> Self {
        eprintln!("error: {e}");
        Exit(ExitCode::from(if e.is_usage() { 2 } else { 1 }))
    }
}

impl From<anyhow::Error> for Exit {
    fn from(e: anyhow::Error) -> Self {
        eprintln!("error: {e:#}");
        Exit(ExitCode::from(2))
    }
}

impl From<serde_json::Error> for Exit {
    fn from(e: serde_json::Error) -> Self {
        Exit::from(anyhow::Error::from(e))
    }
}

pub fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Build(a) => build(a),
        Command::Check(a) => check(a),
        Command::Gif(a) => gif(a),
        Command::Clean(a) => clean(a),
        Command::New(a) => new::run(a),
        Command::Watch(a) => watch::run(a),
        Command::Png(a) => convert(a.files, a.out_dir, a.jobs, Kind::Png, &a.settings),
        Command::Thumb(a) => convert(a.files, a.out_dir, a.jobs, Kind::Thumb, &a.settings),
        Command::Settings(a) => settings(a),
        Command::Cache(c) => cache::run(c),
    };
    result.unwrap_or_else(|Exit(code)| code)
}

/// Exit 0 when nothing failed, else 1.
fn status(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Runs `f` on a rayon pool of `jobs` threads (default: all cores).
pub(crate) fn with_jobs<T: Send>(jobs: Option<usize>, f: impl FnOnce() -> T + Send) -> Result<T> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = jobs {
        anyhow::ensure!(n > 0, "--jobs must be at least 1");
        builder = builder.num_threads(n);
    }
    let pool = builder.build().context("cannot start worker threads")?;
    Ok(pool.install(f))
}

/// Opens the site with the flags' settings on top of `_config.yml`.
pub(crate) fn open_site(
    site: &SiteArgs,
    settings: &SettingFlags<flags::Site>,
) -> Result<Site, Exit> {
    Ok(Site::open(&site.site, &settings.overrides()?)?)
}

fn page_args(site: &Site, pages: &[PathBuf]) -> Result<Vec<PathBuf>, Exit> {
    Ok(pages
        .iter()
        .map(|p| site.page_arg(p))
        .collect::<Result<_, _>>()?)
}

/// Waits (saying so) while another run works on the same site.
pub(crate) fn take_lock(site: &Site) -> Result<assetgen::SiteLock, Exit> {
    Ok(site.lock(|| {
        eprintln!(
            "waiting for another assetgen run on {} to finish...",
            site.root.display()
        )
    })?)
}

fn build(a: BuildArgs) -> Result<ExitCode, Exit> {
    let site = open_site(&a.site, &a.settings)?;
    let opts = BuildOptions {
        pages: page_args(&site, &a.pages)?,
        dry_run: a.dry_run,
        force: a.force,
        prune: a.prune,
        shard: a.shard,
        cancel: Some(on_ctrl_c()),
    };
    // A dry run writes nothing, so it needs no lock (and creates no file).
    let _lock = if a.dry_run {
        None
    } else {
        Some(take_lock(&site)?)
    };
    let bars = output::Bars::new(!a.quiet);
    let report = with_jobs(a.jobs, || assetgen::build(&site, &opts, &bars))??;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    if !a.json {
        for d in &report.diffs {
            print!("{}", d.diff);
        }
    }
    output::print_errors(&report.errors);
    if !a.quiet && !a.json {
        output::print_build_summary(&report);
    }
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
fn on_ctrl_c() -> std::sync::Arc<std::sync::atomic::AtomicBool> {
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
        eprintln!("warning: cannot catch Ctrl-C ({e}); stopping will not save the cache");
    }
    flag
}

fn check(a: CheckArgs) -> Result<ExitCode, Exit> {
    let site = open_site(&a.site, &a.settings)?;
    let pages = page_args(&site, &a.pages)?;
    let report = with_jobs(a.jobs, || assetgen::check(&site, &pages))??;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        for p in &report.problems {
            println!("{}", p.message);
        }
        eprintln!(
            "checked {} pages, {} frames: {}",
            report.pages,
            report.frames,
            match report.problems.len() {
                0 => "all good".to_string(),
                1 => "1 problem".to_string(),
                n => format!("{n} problems"),
            }
        );
    }
    Ok(status(report.is_clean()))
}

fn clean(a: CleanArgs) -> Result<ExitCode, Exit> {
    let site = open_site(&a.site, &a.settings)?;
    let _lock = take_lock(&site)?;
    let report = assetgen::clean(&site, a.dry_run)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let verb = if a.dry_run { "would remove" } else { "removed" };
        for p in &report.removed {
            println!("{verb} {p}");
        }
        eprintln!("{verb} {} files", report.removed.len());
    }
    output::print_errors(&report.errors);
    Ok(status(report.errors.is_empty()))
}

fn settings(a: SettingsArgs) -> Result<ExitCode, Exit> {
    let site = open_site(&a.site, &a.settings)?;
    output::print_settings(&site, a.json)?;
    Ok(ExitCode::SUCCESS)
}

fn gif(a: GifArgs) -> Result<ExitCode, Exit> {
    let settings = a.settings.overrides()?.resolve();
    let bytes = with_jobs(a.jobs, || -> Result<u64, assetgen::Error> {
        let frames = assetgen::read_frames(&a.frames)?;
        assetgen::write_animation(&frames, Kind::Gif, &a.output, &settings)
    })??;
    eprintln!(
        "wrote {} ({}, {} frames)",
        a.output.display(),
        output::human_bytes(bytes),
        a.frames.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// `png` and `thumb`: one frame output of every file, into a folder.
fn convert<S: flags::Selection>(
    files: Vec<PathBuf>,
    out_dir: PathBuf,
    jobs: Option<usize>,
    kind: Kind,
    flags: &SettingFlags<S>,
) -> Result<ExitCode, Exit> {
    let settings = flags.overrides()?.resolve();
    let results = with_jobs(jobs, || {
        assetgen::convert_files(&files, &out_dir, kind, &settings)
    })??;
    let (mut written, mut bytes, mut ok) = (0, 0, true);
    for r in results {
        match r {
            Ok((_, n)) => {
                written += 1;
                bytes += n;
            }
            Err(e) => {
                eprintln!("error: {e}");
                ok = false;
            }
        }
    }
    eprintln!(
        "wrote {written} files to {} ({})",
        out_dir.display(),
        output::human_bytes(bytes)
    );
    Ok(status(ok))
}
