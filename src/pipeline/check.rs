//! `check`: everything `build` would trip over, found without writing.
//!
//! Reads every page and decodes every frame (in parallel), so a broken
//! render is found before a publish, not during it; asks the build cache
//! which outputs a build has not caught up with yet.

use std::path::Path;

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::image::decode::decode_png;
use crate::pipeline::build::{check_exists, check_frame_sizes};
use crate::pipeline::cache::Cache;
use crate::pipeline::fresh::{page_state, FrameState, Freshness, OutputState};
use crate::pipeline::plan::{FramePlan, PagePlan, Plan};
use crate::pipeline::report::Problem;
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
    let cache = Cache::load(&site.root);
    let plan = Plan::new(site, pages, &cache)?;
    let mut problems: Vec<Problem> = plan.errors.iter().map(Problem::from).collect();
    let per_page: Vec<Vec<Error>> = plan
        .pages
        .par_iter()
        .map(|p| check_page(site, p, &cache))
        .collect();
    problems.extend(per_page.iter().flatten().map(Problem::from));
    problems.sort_by(|a, b| (&a.path, &a.message).cmp(&(&b.path, &b.message)));
    problems.dedup();
    Ok(CheckReport {
        pages: plan.pages.len(),
        frames: plan.frame_count(),
        problems,
    })
}

fn check_page(site: &Site, page: &PagePlan, cache: &Cache) -> Vec<Error> {
    let mut errors: Vec<Error> = page
        .checked
        .iter()
        .filter_map(|a| check_exists(site, a, &page.page).err())
        .collect();
    let state = page_state(site, page, cache, false);
    let renamed = page
        .frames
        .iter()
        .zip(&state.frames)
        .any(|(f, s)| s.source.is_ok() && (s.url != f.url || f.scalar.is_none()))
        || page
            .gif
            .as_ref()
            .zip(state.gif.as_ref())
            .is_some_and(|(p, s)| p.url != s.url);
    if renamed {
        errors.push(Error::Manifest {
            path: page.page.clone(),
            message: "front matter out of date: output names change (fingerprint setting) or new frames continue the gallery; run assetgen build".into(),
        });
    }
    let frames: Vec<Result<FrameCheck>> = page
        .frames
        .par_iter()
        .zip(state.frames)
        .map(|(f, fs)| check_frame(site, &page.page, f, fs))
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
    if sizes.len() == page.frames.len() {
        if let Err(e) = check_frame_sizes(&sizes, &page.frames) {
            errors.push(e);
        }
    }
    if let Some(gif) = &state.gif {
        errors.extend(output_problem(&gif.output, &page.page));
    }
    errors
}

/// A decoded frame's size and the problems of its outputs.
type FrameCheck = ((u32, u32), Vec<Error>);

/// Decodes one frame and checks its outputs.
fn check_frame(
    site: &Site,
    page: &Path,
    frame: &FramePlan,
    state: FrameState,
) -> Result<FrameCheck> {
    for p in [&state.png.path, &state.thumb.path] {
        site.check_on_disk(p, page)?;
    }
    let image = decode_png(&state.source?, &frame.source)?;
    let outputs = [&state.png, &state.thumb]
        .into_iter()
        .filter_map(|s| output_problem(s, page))
        .collect();
    Ok((image.dimensions(), outputs))
}

/// An error for an output that a build would (re)make.
fn output_problem(state: &OutputState, page: &Path) -> Option<Error> {
    let message = match state.freshness {
        Freshness::Fresh => return None,
        Freshness::Missing => format!("not built yet (for {}); run assetgen build", page.display()),
        Freshness::Stale => {
            "stale: its frames, the settings or the file changed since it was built; run assetgen build".to_string()
        }
    };
    Some(Error::Manifest {
        path: state.path.clone(),
        message,
    })
}
