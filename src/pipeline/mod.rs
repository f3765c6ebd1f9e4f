//! The pipeline over a whole site, one file per step:
//!
//! ```text
//! plan (pages -> frames and animation) -> fresh (keys, names, what is stale)
//!   -> execute (make what is stale, in parallel) -> sink (write, cache, report)
//!   -> rewrite (pages' front matter) -> report
//! ```
//!
//! `check` and `clean` walk the same plan and freshness without writing
//! outputs; `renders` keeps every output off the renders pages list;
//! `validate` holds the checks `build` and `check` share; `files` makes the
//! same outputs from files named on the command line; `shard` splits a
//! build over machines and merges what the shares recorded.

pub mod cache;
pub mod check;
pub mod clean;
pub mod execute;
pub mod files;
pub mod fresh;
pub mod plan;
mod renders;
pub mod report;
mod rewrite;
pub mod shard;
mod sink;
mod validate;
