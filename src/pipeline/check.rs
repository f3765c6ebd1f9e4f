//! `check`: everything `build` would trip over, found without writing.
//!
//! Reads every page and decodes every frame (in parallel), so a broken
//! render is found before a publish, not during it; asks the build cache
//! which outputs a build has not caught up with yet.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::image::decode::decode_png;
use crate::pipeline::cache::Cache;
use crate::pipeline::fresh::{page_state, Freshness, OutputState};
use crate::pipeline::plan::{PagePlan, Plan};
use crate::pipeline::report::Problem;
use crate::pipeline::validate::{check_exists, check_frame_sizes};
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
pub fn check(site: &Site, pages: &[PathBuf]) -> Result<CheckReport> {
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
    let (state, sources) = page_state(site, page, cache, false);
    // The same question the build asks before it rewrites the page.
    let changes = state.changes(page, |i| state.frames[i].readable, true);
    if !changes.is_empty() {
        errors.push(Error::Manifest {
            path: page.page.clone(),
            message: "front matter out of date: output names change (fingerprint setting) or new frames continue the gallery; run assetgen build".into(),
        });
    }
    // Decode every frame (which validates it) and check its outputs.
    let frames: Vec<Result<(u32, u32)>> = page
        .frames
        .par_iter()
        .zip(&state.frames)
        .zip(sources)
        .map(|((f, fs), source)| {
            for o in &fs.outputs {
                site.check_on_disk(&o.path, &page.page)?;
            }
            let bytes = source?;
            Ok(decode_png(&bytes, &f.source)?.dimensions())
        })
        .collect();
    let mut sizes = Vec::new();
    for (r, fs) in frames.into_iter().zip(&state.frames) {
        match r {
            Ok(size) => {
                sizes.push(size);
                errors.extend(
                    fs.outputs
                        .iter()
                        .filter_map(|o| output_problem(o, &page.page)),
                );
            }
            Err(e) => errors.push(e),
        }
    }
    if sizes.len() == page.frames.len() {
        let files: Vec<&Path> = page.frames.iter().map(|f| f.source.as_path()).collect();
        if let Err(e) = check_frame_sizes(&sizes, &files) {
            errors.push(e);
        }
    }
    if let Some(a) = &state.animation {
        errors.extend(
            a.outputs
                .iter()
                .filter_map(|o| output_problem(o, &page.page)),
        );
    }
    errors
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
