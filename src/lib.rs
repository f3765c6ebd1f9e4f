//! assetgen: the asset pipeline of a Jekyll site that shows 3D renders as
//! turntable galleries.
//!
//! Pages' front matter is the manifest. For each page, the frames listed in
//! `gallery:` become an animated GIF (named in `images:`) with a `.webm` and
//! an `.mp4` beside it, losslessly
//! optimised PNG copies and thumbnails. The data flow, folder by folder:
//!
//! ```text
//! settings/  the settings table: defaults < _config.yml < flags
//! site/      Site::open, discover pages, path safety, the only file I/O
//! frontmatter/  read the manifest with byte spans; edit values in place
//! pipeline/  plan -> fresh (what is stale) -> execute (in parallel)
//!            -> sink (atomic writes, cache, report) -> rewrite pages
//! outputs/   one module per kind of output: its name rule and how it is
//!            made, from image/ (decode, resize, png, thumb), gif/ and
//!            video/ (the .webm and .mp4 beside each GIF)
//! scaffold/  `new`: a page for new renders in the style of an existing one
//! watch/     `watch`: rebuild the pages whose renders, text or settings
//!            changed, once their renders are whole
//! ```
//!
//! The library knows nothing of terminals: progress comes out through the
//! [`Progress`] trait and results as a [`Report`]; the `assetgen` binary
//! turns them into bars, summaries and JSON. Modules are private; what a
//! user of the crate needs is re-exported here.

mod error;
mod frontmatter;
mod gif;
mod image;
mod kind;
mod naming;
mod outputs;
mod pipeline;
mod scaffold;
mod settings;
mod site;
#[cfg(any(feature = "mp4", feature = "webm"))]
mod video;
mod watch;

pub use error::{Error, Result};
pub use kind::Kind;
pub use naming::natural_cmp;
pub use outputs::encoders;
pub use settings::{
    markdown_table as settings_markdown_table, setting, Dither, Origin, Overrides, Quality, Rgb,
    Setting, Settings, Strip, Videos, SETTINGS,
};
pub use site::fs::SiteLock;
pub use site::Site;

// The pipeline over a site.
pub use pipeline::check::{check, CheckReport};
pub use pipeline::clean::clean;
pub use pipeline::execute::{build, BuildOptions};
pub use pipeline::files::{
    animation_from_files, convert_files, read_frames, write_animation, write_animations, Converted,
};
pub use pipeline::report::{NoProgress, PageDiff, Problem, Progress, Report, Written};
pub use pipeline::shard::{merge as merge_cache, shard_of, Fragment, MergeReport, Shard};

// The stages, for use on their own.
pub use gif::{
    encode as encode_gif, encode_with_stats as encode_gif_with_stats,
    estimate_quality_curve as estimate_gif_quality_curve, GifError, GifStats,
};
pub use image::decode::{decode_png, decode_png_exact, read_png, Rgba8};
pub use image::png::{encode_frame, optimize_png};
pub use image::resize::resize;
pub use image::ssim::mean_ssim;
pub use image::thumb::thumbnail;

// The everyday loop: a page for new renders.
pub use scaffold::{scaffold, write as write_new_page, Field, NewPage, Scaffold, Source};
pub use watch::{Stopper, Watch, WatchEvent, WatchObserver, WatchOptions};

// Front matter: reading the manifest and editing it without damage.
pub use frontmatter::edit::{apply as apply_edits, render, Edit};
pub use frontmatter::gallery::{append_gallery, remove_gallery_entries, set_gallery};
pub use frontmatter::{parse as parse_front_matter, Manifest, Node, Scalar, Style};
