//! Command-line interface: argument definitions and one function per
//! subcommand. Everything here is presentation; the work is in the library.

mod output;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};

use assetgen::settings::{Dither, Overrides};
use assetgen::{BuildOptions, Site};

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
}

#[derive(Debug, Args)]
struct SiteArgs {
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
    /// Print a JSON report on stdout
    #[arg(long)]
    json: bool,
    /// No progress bars and no summary
    #[arg(short, long)]
    quiet: bool,
    #[command(flatten)]
    settings: SettingsArgs,
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
    settings: SettingsArgs,
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
    settings: SettingsArgs,
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
    gif: GifSettingsArgs,
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
    png: PngSettingsArgs,
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
    /// Thumbnail longest edge in pixels [default: 320]
    #[arg(long, value_name = "PX")]
    thumb_size: Option<String>,
    /// Thumbnail PNG effort, 0-6 [default: 0]
    #[arg(long, value_name = "N")]
    thumb_effort: Option<String>,
    #[command(flatten)]
    png: PngSettingsArgs,
}

/// PNG settings (keys `png_effort`, `png_lossy`, `png_colors`, `strip`).
#[derive(Debug, Args, Default)]
struct PngSettingsArgs {
    /// PNG optimisation effort, 0-6 [default: 2]
    #[arg(long, value_name = "N")]
    png_effort: Option<String>,
    /// Lossy palette PNGs instead of lossless ones [default: false]
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    png_lossy: Option<String>,
    /// Palette size in lossy mode, 2-256 [default: 256]
    #[arg(long, value_name = "N")]
    png_colors: Option<String>,
    /// Metadata to strip from PNGs
    #[arg(long, value_name = "WHAT", value_parser = assetgen::settings::Strip::NAMES.to_vec())]
    strip: Option<String>,
}

impl PngSettingsArgs {
    fn pairs(&self) -> Vec<(&'static str, &Option<String>)> {
        vec![
            ("png_effort", &self.png_effort),
            ("png_lossy", &self.png_lossy),
            ("png_colors", &self.png_colors),
            ("strip", &self.strip),
        ]
    }
}

/// GIF settings (keys `gif_delay`, `gif_loop`, ... under `assetgen:`).
#[derive(Debug, Args, Default)]
struct GifSettingsArgs {
    /// Frame delay in milliseconds [default: 100]
    #[arg(long, value_name = "MS")]
    gif_delay: Option<String>,
    /// Loop count, 0 = forever [default: 0]
    #[arg(long, value_name = "N")]
    gif_loop: Option<String>,
    /// GIF width in pixels, height follows [default: the frames' width]
    #[arg(long, value_name = "PX")]
    gif_width: Option<String>,
    /// Palette size, 2-256 [default: 256]
    #[arg(long, value_name = "N")]
    gif_colors: Option<String>,
    /// Dithering
    #[arg(long, value_name = "MODE", value_parser = Dither::NAMES.to_vec())]
    gif_dither: Option<String>,
    /// Lossy LZW: largest colour error (Oklab x1000), 0 = exact [default: 15]
    #[arg(long, value_name = "N")]
    gif_lossy: Option<String>,
    /// Colour semi-transparent pixels are blended onto [default: #ffffff]
    #[arg(long, value_name = "COLOUR")]
    matte: Option<String>,
}

/// Every setting as a flag; each wins over the same key in _config.yml.
#[derive(Debug, Args, Default)]
struct SettingsArgs {
    /// Source root (renders), relative to the site [default: assets-src]
    #[arg(long, value_name = "DIR")]
    source: Option<String>,
    /// Output root [default: urlimg from _config.yml, else assets/images]
    #[arg(long, value_name = "DIR")]
    output: Option<String>,
    #[command(flatten)]
    gif: GifSettingsArgs,
    /// Thumbnail longest edge in pixels [default: 320]
    #[arg(long, value_name = "PX")]
    thumb_size: Option<String>,
    /// Thumbnail PNG effort, 0-6 [default: 0]
    #[arg(long, value_name = "N")]
    thumb_effort: Option<String>,
    #[command(flatten)]
    png: PngSettingsArgs,
    /// Put a content hash in output names and rewrite pages to match [default: false]
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    fingerprint: Option<String>,
}

impl GifSettingsArgs {
    fn pairs(&self) -> Vec<(&'static str, &Option<String>)> {
        vec![
            ("gif_delay", &self.gif_delay),
            ("gif_loop", &self.gif_loop),
            ("gif_width", &self.gif_width),
            ("gif_colors", &self.gif_colors),
            ("gif_dither", &self.gif_dither),
            ("gif_lossy", &self.gif_lossy),
            ("matte", &self.matte),
        ]
    }
}

impl SettingsArgs {
    fn pairs(&self) -> Vec<(&'static str, &Option<String>)> {
        let mut v = vec![("source", &self.source), ("output", &self.output)];
        v.extend(self.gif.pairs());
        v.push(("thumb_size", &self.thumb_size));
        v.push(("thumb_effort", &self.thumb_effort));
        v.extend(self.png.pairs());
        v.push(("fingerprint", &self.fingerprint));
        v
    }
}

/// Flags parsed by the same code as `_config.yml` values, so a bad value
/// gets the same message, naming the flag.
fn overrides(pairs: Vec<(&'static str, &Option<String>)>) -> Result<Overrides, assetgen::Error> {
    let mut o = Overrides::default();
    for (key, value) in pairs {
        if let Some(v) = value {
            o.set(key, v).map_err(|message| assetgen::Error::Config {
                file: PathBuf::from("command line"),
                key: format!("--{}", key.replace('_', "-")),
                message,
            })?;
        }
    }
    Ok(o)
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
        Command::Png(a) => png(a),
        Command::Thumb(a) => thumb(a),
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
fn with_jobs<T: Send>(jobs: Option<usize>, f: impl FnOnce() -> T + Send) -> Result<T> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = jobs {
        anyhow::ensure!(n > 0, "--jobs must be at least 1");
        builder = builder.num_threads(n);
    }
    let pool = builder.build().context("cannot start worker threads")?;
    Ok(pool.install(f))
}

/// Opens the site with the flags' settings on top of `_config.yml`.
fn open_site(site: &SiteArgs, settings: &SettingsArgs) -> Result<Site, Exit> {
    let flags = overrides(settings.pairs())?;
    Ok(Site::open(&site.site, &flags)?)
}

/// A page named on the command line, as a site-relative path.
fn page_arg(site: &Site, page: &Path) -> Result<PathBuf> {
    let in_site = site.root.join(page);
    let path = if in_site.is_file() {
        in_site
    } else {
        page.to_path_buf()
    };
    let real = path
        .canonicalize()
        .with_context(|| format!("{}: no such page", page.display()))?;
    let root = site.root.canonicalize().context("site folder")?;
    real.strip_prefix(&root)
        .map(Path::to_path_buf)
        .map_err(|_| {
            anyhow::anyhow!(
                "{}: not inside the site {}",
                page.display(),
                site.root.display()
            )
        })
}

fn page_args(site: &Site, pages: &[PathBuf]) -> Result<Vec<PathBuf>, Exit> {
    Ok(pages
        .iter()
        .map(|p| page_arg(site, p))
        .collect::<Result<_>>()?)
}

/// Waits (saying so) while another run works on the same site.
fn take_lock(site: &Site) -> Result<assetgen::site::fs::SiteLock, Exit> {
    Ok(assetgen::site::fs::lock_site(&site.root, || {
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

fn gif(a: GifArgs) -> Result<ExitCode, Exit> {
    let opts = overrides(a.gif.pairs())?.resolve().gif;
    let bytes = with_jobs(a.jobs, || -> Result<Vec<u8>, assetgen::Error> {
        use rayon::prelude::*;
        let frames = a
            .frames
            .par_iter()
            .map(|p| assetgen::image::decode::read_png(p, p).map(|(_, img)| img))
            .collect::<Result<Vec<_>, _>>()?;
        assetgen::gif::encode(&frames, &opts).map_err(|e| match e {
            assetgen::gif::GifError::FrameSize {
                index,
                expected,
                found,
            } => assetgen::Error::FrameSize {
                path: a.frames[index].clone(),
                expected,
                found,
            },
            other => assetgen::Error::Encode {
                path: a.output.clone(),
                message: other.to_string(),
            },
        })
    })??;
    assetgen::site::fs::write_atomic(&a.output, &bytes, &a.output)?;
    eprintln!(
        "wrote {} ({}, {} frames)",
        a.output.display(),
        output::human_bytes(bytes.len() as u64),
        a.frames.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn png(a: PngArgs) -> Result<ExitCode, Exit> {
    let opts = overrides(a.png.pairs())?.resolve().png;
    convert_each(&a.files, &a.out_dir, a.jobs, "", |bytes, image| {
        assetgen::image::png::encode_frame(bytes, image, &opts)
    })
}

fn thumb(a: ThumbArgs) -> Result<ExitCode, Exit> {
    let mut pairs = a.png.pairs();
    pairs.push(("thumb_size", &a.thumb_size));
    pairs.push(("thumb_effort", &a.thumb_effort));
    let settings = overrides(pairs)?.resolve();
    convert_each(&a.files, &a.out_dir, a.jobs, "-thumb", |_, image| {
        assetgen::image::thumb::thumbnail(image, &settings.thumb, &settings.png)
    })
}

/// Reads, converts and writes every file in parallel, each to
/// `DIR/<stem><suffix>.png`. A bad file is reported and the others still
/// done (exit 1); a source is never overwritten.
fn convert_each(
    files: &[PathBuf],
    out_dir: &Path,
    jobs: Option<usize>,
    suffix: &str,
    convert: impl Fn(&[u8], &assetgen::image::decode::Rgba8) -> Result<Vec<u8>, String> + Sync,
) -> Result<ExitCode, Exit> {
    use rayon::prelude::*;
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("{}: cannot create folder", out_dir.display()))?;
    let one = |file: &PathBuf| -> Result<u64, assetgen::Error> {
        let stem = file.file_stem().unwrap_or_default().to_string_lossy();
        let out = out_dir.join(format!("{stem}{suffix}.png"));
        if same_file(file, &out) {
            return Err(assetgen::Error::Encode {
                path: file.clone(),
                message: "output would overwrite the source; choose another --out-dir".into(),
            });
        }
        let (bytes, image) = assetgen::image::decode::read_png(file, file)?;
        let encoded = convert(&bytes, &image).map_err(|message| assetgen::Error::Encode {
            path: out.clone(),
            message,
        })?;
        assetgen::site::fs::write_atomic(&out, &encoded, &out)?;
        Ok(encoded.len() as u64)
    };
    let results = with_jobs(jobs, || files.par_iter().map(one).collect::<Vec<_>>())?;
    let (mut written, mut bytes, mut ok) = (0, 0, true);
    for r in results {
        match r {
            Ok(n) => {
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

/// True when both paths name one existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}
