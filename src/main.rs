//! The `assetgen` command: parse arguments, call the library, print, exit.
//!
//! Exit status: 0 all good; 1 some page or asset failed (every other page
//! was still built) or `check` found problems; 2 usage or configuration error.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    cli::run(cli::Cli::parse())
}
