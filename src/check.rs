//! `check`: everything `build` would trip over, found without writing.
//!
//! Reads every page and decodes every frame (in parallel), so a broken
//! render is found before a publish, not during it; compares outputs with
//! their sources to find what a build has not caught up with yet.

use std::path::Path;
use std::time::SystemTime;

use rayon::prelude::*;

use crate::build::{check_exists, check_frame_sizes};
use crate::decode::decode_png;
use crate::error::{Error, Result};
use crate::plan::{FramePlan, PagePlan, Plan};
use crate::report::Problem;
use crate::site::Site;

/// What `check` found.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct CheckReport {
    pub pages: usize,
    pub frames: usize,
    pub problems: Vec<Problem>,
}

impl CheckReport {
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks the whole site (or only `pages`, site-relative).
pub fn check(site: &Site, pages: &[std::path::PathBuf]) -> Result<CheckReport> {
    let plan = Plan::new(site, pages)?;
    let mut problems: Vec<Problem> = plan.errors.iter().map(Problem::from).collect();
    let per_page: Vec<Vec<Error>> = plan.pages.par_iter().map(|p| check_page(site, p)).collect();
    problems.extend(per_page.iter().flatten().map(Problem::from));
    problems.sort_by(|a, b| (&a.path, &a.message).cmp(&(&b.path, &b.message)));
    problems.dedup();
    Ok(CheckReport {
        pages: plan.pages.len(),
        frames: plan.frame_count(),
        problems,
    })
}

fn check_page(site: &Site, page: &PagePlan) -> Vec<Error> {
    let mut errors: Vec<Error> = page
        .checked
        .iter()
        .filter_map(|a| check_exists(site, a, &page.page).err())
        .collect();
    let frames: Vec<Result<FrameCheck>> = page
        .frames
        .par_iter()
        .map(|f| check_frame(site, &page.page, f))
        .collect();
    let mut sizes = Vec::new();
    for r in frames {
        match r {
            Ok((size, output_errors)) => {
                sizes.push(size);
                errors.extend(output_errors);
            }
            Err(e) => errors.push(e),
        }
    }
    let all_decoded = sizes.len() == page.frames.len();
    if all_decoded {
        if let Err(e) = check_frame_sizes(&sizes, &page.frames) {
            errors.push(e);
        }
        if let Some(gif) = &page.gif {
            let sources: Vec<&Path> = page.frames.iter().map(|f| f.source.as_path()).collect();
            if let Some(e) = output_state(site, gif, &sources, &page.page) {
                errors.push(e);
            }
        }
    }
    errors
}

/// A decoded frame's size and the problems of its outputs.
type FrameCheck = ((u32, u32), Vec<Error>);

/// Decodes one frame and checks its outputs.
fn check_frame(site: &Site, page: &Path, frame: &FramePlan) -> Result<FrameCheck> {
    for p in [&frame.source, &frame.png, &frame.thumb] {
        site.check_on_disk(p, page)?;
    }
    let bytes = std::fs::read(site.abs(&frame.source)).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::MissingSource {
            path: frame.source.clone(),
            page: page.to_path_buf(),
        },
        _ => Error::io(&frame.source, e),
    })?;
    let image = decode_png(&bytes, &frame.source)?;
    let outputs = [&frame.png, &frame.thumb]
        .into_iter()
        // Optimised in place: the source is its own output.
        .filter(|o| !(site.in_place() && **o == frame.source))
        .filter_map(|o| output_state(site, o, &[&frame.source], page))
        .collect();
    Ok((image.dimensions(), outputs))
}

/// `Some(error)` when an output is missing or older than one of its sources.
fn output_state(site: &Site, output: &Path, sources: &[&Path], page: &Path) -> Option<Error> {
    let modified =
        |p: &Path| -> Option<SystemTime> { std::fs::metadata(site.abs(p)).ok()?.modified().ok() };
    let Some(out_time) = modified(output) else {
        return Some(Error::Manifest {
            path: output.to_path_buf(),
            message: format!("not built yet (for {}); run assetgen build", page.display()),
        });
    };
    let newest = sources.iter().filter_map(|s| modified(s)).max()?;
    (newest > out_time).then(|| Error::Manifest {
        path: output.to_path_buf(),
        message: "stale: a source frame is newer; run assetgen build".into(),
    })
}
