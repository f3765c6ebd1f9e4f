//! `assetgen cache ...`: the build cache's own commands, for sharded
//! builds on CI. `merge` joins the shards' fragments into the cache;
//! `files` lists what one shard wrote, which is what its CI job hands on
//! (`tar -cf shard.tar -T <(assetgen cache files --shard 2/4)`).

use std::path::Path;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use assetgen::{Fragment, Shard};

use super::{flags, open_site, take_lock, Exit, SiteArgs};

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
    /// Print a JSON report on stdout
    #[arg(long)]
    json: bool,
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

pub fn run(c: CacheCommand) -> Result<ExitCode, Exit> {
    match c {
        CacheCommand::Merge(a) => merge(a),
        CacheCommand::Files(a) => files(a),
    }
}

fn merge(a: MergeArgs) -> Result<ExitCode, Exit> {
    let site = open_site(&a.site, &a.settings)?;
    let _lock = take_lock(&site)?;
    let report = assetgen::merge_cache(&site)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        eprintln!(
            "merged {} fragments ({} outputs) into .assetgen-cache.json in {} ms",
            report.merged.len(),
            report.outputs,
            report.elapsed_ms
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn files(a: FilesArgs) -> Result<ExitCode, Exit> {
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
