//! assetgen: the asset pipeline of a Jekyll site that shows 3D renders as
//! turntable galleries.
//!
//! Pages' front matter is the manifest. For each page, the frames listed in
//! `gallery:` become an animated GIF (named in `images:`), losslessly
//! optimised PNG copies and thumbnails. The data flow is one line:
//!
//! ```text
//! Site::open ─> Plan::new (discover pages, read manifests, name outputs)
//!            ─> build::build (pages and frames in parallel: decode once,
//!                             optimise PNG, thumbnail, GIF; atomic writes)
//!            ─> Report (written, up to date, errors)
//! ```
//!
//! The library knows nothing of terminals: progress comes out through the
//! [`report::Progress`] trait and results as a [`report::Report`]; the
//! `assetgen` binary turns them into bars, summaries and JSON.

pub mod build;
pub mod cache;
pub mod check;
pub mod clean;
pub mod config;
pub mod decode;
pub mod edit;
pub mod error;
pub mod frontmatter;
pub mod fsio;
pub mod gif;
pub mod lossy;
pub mod lzw;
pub mod optimize;
pub mod plan;
pub mod report;
pub mod resize;
pub mod site;
pub mod state;
pub mod thumb;

pub use build::{build, BuildOptions};
pub use check::{check, CheckReport};
pub use clean::clean;
pub use config::{Overrides, Settings};
pub use error::{Error, Result};
pub use plan::Plan;
pub use report::{Kind, NoProgress, Progress, Report};
pub use site::Site;
