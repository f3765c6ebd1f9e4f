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

pub mod error;
pub mod frontmatter;
pub mod gif;
pub mod image;
pub mod pipeline;
pub mod settings;
pub mod site;

pub use error::{Error, Result};
pub use pipeline::build::{build, BuildOptions};
pub use pipeline::check::{check, CheckReport};
pub use pipeline::clean::clean;
pub use pipeline::plan::Plan;
pub use pipeline::report::{Kind, NoProgress, Progress, Report};
pub use settings::{Overrides, Settings};
pub use site::Site;
