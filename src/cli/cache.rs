//! `assetgen cache ...`: the build cache's own commands, for sharded
//! builds on CI. `merge` joins the shards' fragments into the cache;
//! `files` lists what one shard wrote, which is what its CI job hands on
//! (`tar -cf shard.tar -T <(assetgen cache files --shard 2/4)`).

use std::path::Path;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use assetgen::{Fragment, Progress, Shard};

use super::commands::{interrupted_waiting, open_site, Outcome};
use super::output::{Printer, SaysWhenWaiting};
use super::{flags, OutputArgs, SiteArgs};

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Join the fragments of `build --shard K/N` (every K of one N) into
    /// .assetgen-cache.json, and remove them
    Merge(MergeArgs),
    /// List the files one shard wrote, its fragment first, one per line
    Files(FilesArgs),
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    #[command(flatten)]
    site: SiteArgs,
    #[command(flatten)]
    out: OutputArgs,
    #[command(flatten)]
    settings: flags::SettingFlags<flags::Site>,
}

#[derive(Debug, Args)]
pub struct FilesArgs {
    #[command(flatten)]
    site: SiteArgs,
    /// The shard whose files to list
    #[arg(long, value_name = "K/N")]
    shard: Shard,
    #[command(flatten)]
    settings: flags::SettingFlags<flags::Site>,
}

pub fn run(c: CacheCommand) -> Outcome {
    match c {
        CacheCommand::Merge(a) => merge(a),
        CacheCommand::Files(a) => files(a),
    }
}

fn merge(a: MergeArgs) -> Outcome {
    let printer = Printer::new(&a.out);
    let site = open_site(&a.site, &a.settings)?;
    // The cache is written as a build writes it: never beside a build.
    let _lock = site
        .lock(|| SaysWhenWaiting.waiting_for_lock(&site.root))
        .map_err(interrupted_waiting)?;
    let report = assetgen::merge_cache(&site)?;
    printer.merged(&report)?;
    Ok(ExitCode::SUCCESS)
}

fn files(a: FilesArgs) -> Outcome {
    let site = open_site(&a.site, &a.settings)?;
    let name = a.shard.fragment_name();
    let bytes = site.read(Path::new(&name), Path::new(&name))?;
    let fragment: Fragment =
        serde_json::from_slice(&bytes).map_err(|e| assetgen::Error::Usage {
            path: name.clone().into(),
            message: format!("not a cache fragment: {e}"),
        })?;
    println!("{name}");
    for path in &fragment.written {
        println!("{path}");
    }
    Ok(ExitCode::SUCCESS)
}
