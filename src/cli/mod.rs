//! Command-line interface: argument definitions, shared by every
//! subcommand so that a flag means the same everywhere, and the dispatch
//! to one function per subcommand (`commands`). Everything here is
//! presentation; the work is in the library.

mod cache;
mod commands;
mod flags;
mod new;
mod output;
mod watch;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use assetgen::Shard;
use flags::SettingFlags;

/// Turntable galleries for Jekyll: animated GIFs, optimised PNGs and
/// thumbnails from the frames listed in each page's front matter.
#[derive(Debug, Parser)]
#[command(name = "assetgen", version, long_version = long_version(), about, long_about = None)]
#[command(
    after_help = "Settings can also be set under `assetgen:` in _config.yml; \
flags win over it. The site is the nearest folder holding _config.yml, from here upwards, \
unless --site names it. Exit status: 0 ok, 1 a page or asset failed (or check found problems), \
2 usage or configuration error."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// `--version`: also the cargo features and the encoders of every output
/// kind, which are part of the cache key (they decide which bytes a site's
/// files hold).
fn long_version() -> String {
    let features = env!("ASSETGEN_FEATURES");
    format!(
        "{}\nfeatures: {}\nencoders: {}",
        env!("CARGO_PKG_VERSION"),
        if features.is_empty() {
            "none"
        } else {
            features
        },
        assetgen::encoders().join(", ")
    )
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build every page's GIF, optimised PNGs and thumbnails (the main job)
    Build(BuildArgs),
    /// Validate pages, frames and outputs without writing anything
    Check(CheckArgs),
    /// Remove generated files that no page refers to any more
    Clean(CleanArgs),
    /// Write a page for new renders in the style of an existing page
    New(new::NewArgs),
    /// Build, then rebuild what changes as renders, pages or settings change
    Watch(watch::WatchArgs),
    /// Print every setting in effect and where its value comes from
    Settings(SettingsArgs),
    /// Encode one animated GIF from frames, outside any site (and, with
    /// --video webm,mp4, the videos beside it: none unless asked for here)
    Gif(GifArgs),
    /// Write optimised copies of PNGs into a folder, outside any site
    Png(ConvertArgs<flags::Png>),
    /// Write thumbnails of PNGs into a folder (as NAME-thumb.png), outside any site
    Thumb(ConvertArgs<flags::Thumb>),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions(CompletionsArgs),
    /// Print the man page (roff), made from these definitions
    #[command(hide = true)]
    Man,
    /// The build cache: join the fragments of a sharded build, list a shard's files
    #[command(subcommand)]
    Cache(cache::CacheCommand),
}

#[derive(Debug, Args)]
struct SiteArgs {
    /// Site root: the folder holding _config.yml [default: the nearest one from here upwards]
    #[arg(long, value_name = "DIR")]
    site: Option<PathBuf>,
}

/// When to colour `error:` and `warning:`.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Color {
    /// On a terminal, unless NO_COLOR is set
    Auto,
    Always,
    Never,
}

/// How a command reports: the same flags, with the same names, everywhere.
#[derive(Debug, Args)]
struct OutputArgs {
    /// Print one JSON object on stdout (paths relative to the site, with /)
    #[arg(long)]
    json: bool,
    /// No progress bars and no summary; errors only
    #[arg(short, long, conflicts_with = "verbose")]
    quiet: bool,
    /// List every file (each missing frame, each up-to-date output)
    #[arg(short, long)]
    verbose: bool,
    /// Colour error: and warning: prefixes
    #[arg(long, value_name = "WHEN", default_value = "auto")]
    color: Color,
}

#[derive(Debug, Args)]
struct JobsArgs {
    /// Worker threads [default: one per core]
    #[arg(short, long, value_name = "N")]
    jobs: Option<usize>,
}

#[derive(Debug, Args)]
struct BuildArgs {
    #[command(flatten)]
    site: SiteArgs,
    /// Only these pages (relative to the current folder or the site root)
    #[arg(value_name = "PAGE")]
    pages: Vec<PathBuf>,
    /// Rebuild every output, ignoring the build cache
    #[arg(long)]
    force: bool,
    /// Write nothing; list what would be written and show page changes as a diff
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
    #[command(flatten)]
    jobs: JobsArgs,
    #[command(flatten)]
    out: OutputArgs,
    #[command(flatten)]
    settings: SettingFlags<flags::Site>,
}

#[derive(Debug, Args)]
struct CheckArgs {
    #[command(flatten)]
    site: SiteArgs,
    /// Only these pages (relative to the current folder or the site root)
    #[arg(value_name = "PAGE")]
    pages: Vec<PathBuf>,
    #[command(flatten)]
    jobs: JobsArgs,
    #[command(flatten)]
    out: OutputArgs,
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
    #[command(flatten)]
    out: OutputArgs,
    #[command(flatten)]
    settings: SettingFlags<flags::Site>,
}

#[derive(Debug, Args)]
struct SettingsArgs {
    #[command(flatten)]
    site: SiteArgs,
    /// Print one JSON object on stdout: each key's value and where it came from
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    settings: SettingFlags<flags::Site>,
}

#[derive(Debug, Args)]
struct GifArgs {
    /// Output GIF; videos go beside it as OUT.webm and OUT.mp4
    #[arg(short, long, value_name = "OUT.gif")]
    output: PathBuf,
    /// Frames (PNG), in natural order of their names (-2 before -10) unless --no-sort
    #[arg(value_name = "FRAME", required = true)]
    frames: Vec<PathBuf>,
    /// Keep the frames in the order given instead of sorting their names naturally
    #[arg(long)]
    no_sort: bool,
    #[command(flatten)]
    jobs: JobsArgs,
    #[command(flatten)]
    out: OutputArgs,
    #[command(flatten)]
    settings: SettingFlags<flags::Gif>,
}

#[derive(Debug, Args)]
struct ConvertArgs<S: flags::Selection + Send + Sync + 'static> {
    /// Output folder (file names follow the inputs')
    #[arg(short, long, value_name = "DIR", alias = "out-dir")]
    output: PathBuf,
    /// PNG files
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
    #[command(flatten)]
    jobs: JobsArgs,
    #[command(flatten)]
    out: OutputArgs,
    #[command(flatten)]
    settings: SettingFlags<S>,
}

#[derive(Debug, Args)]
struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_name = "SHELL")]
    shell: clap_complete::Shell,
}

/// Runs the command; the exit status follows the contract (0, 1, 2, 130).
pub fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Build(a) => commands::build(a),
        Command::Check(a) => commands::check(a),
        Command::Clean(a) => commands::clean(a),
        Command::New(a) => new::run(a),
        Command::Watch(a) => watch::run(a),
        Command::Settings(a) => commands::settings(a),
        Command::Gif(a) => commands::gif(a),
        Command::Png(a) => commands::convert(a, assetgen::Kind::Png),
        Command::Thumb(a) => commands::convert(a, assetgen::Kind::Thumb),
        Command::Completions(a) => commands::completions(a),
        Command::Man => commands::man(),
        Command::Cache(c) => cache::run(c),
    };
    result.unwrap_or_else(|commands::Exit(code)| code)
}
