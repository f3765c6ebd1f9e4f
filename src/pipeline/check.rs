//! `check`: everything `build` would trip over, found without writing.
//!
//! Reads every page and decodes every frame (in parallel, each dropped
//! once checked), so a broken render is found before a publish, not
//! during it; asks the build cache
//! which outputs a build has not caught up with yet.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::image::decode::decode_png;
use crate::pipeline::cache::Cache;
use crate::pipeline::fresh::{page_state, reread, Freshness, OutputState};
use crate::pipeline::plan::{PagePlan, Plan};
use crate::pipeline::renders::Renders;
use crate::pipeline::report::Problem;
use crate::pipeline::validate::{check_exists, check_frame_sizes, check_pixel_budget};
use crate::site::Site;

/// What `check` found.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct CheckReport {
    pub pages: usize,
    pub frames: usize,
    /// What a build would trip over: any of these fails the check.
    pub problems: Vec<Problem>,
    /// What Jekyll accepts but is probably not meant (a front-matter key
    /// given twice, of which only the last counts): reported, but never a
    /// failure.
    pub warnings: Vec<Problem>,
}

impl CheckReport {
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks the whole site (or only `pages`, site-relative).
pub fn check(site: &Site, pages: &[PathBuf]) -> Result<CheckReport> {
    let cache = Cache::load(site);
    let plan = Plan::new(site, pages, &cache)?;
    let mut problems: Vec<Problem> = plan.errors.iter().map(Problem::from).collect();
    let per_page: Vec<Vec<Error>> = plan
        .pages
        .par_iter()
        .map(|p| check_page(site, p, &plan.renders, &cache))
        .collect();
    problems.extend(per_page.iter().flatten().map(Problem::from));
    problems.sort_by(|a, b| (&a.path, &a.message).cmp(&(&b.path, &b.message)));
    problems.dedup();
    Ok(CheckReport {
        pages: plan.pages.len(),
        frames: plan.frame_count(),
        problems,
        warnings: plan.warnings.iter().map(Problem::from).collect(),
    })
}

fn check_page(site: &Site, page: &PagePlan, renders: &Renders, cache: &Cache) -> Vec<Error> {
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
    // A gallery a build would refuse to decode is not decoded here either.
    let claimed: Vec<(u32, u32)> = sources
        .iter()
        .filter_map(|s| s.as_ref().ok().and_then(|i| i.size))
        .collect();
    let budget = check_pixel_budget(&claimed, site.settings.gallery_megapixels, &page.page);
    let decode = budget.is_ok();
    errors.extend(budget.err());
    // Decode every frame (which validates it), one at a time per thread,
    // and check its outputs.
    let frames: Vec<Result<(u32, u32)>> = page
        .frames
        .par_iter()
        .zip(&state.frames)
        .zip(sources)
        .map(|((f, fs), source)| {
            for o in &fs.outputs {
                site.check_on_disk(&o.path, &page.page)?;
                renders.check(site, &o.path, Some(&f.source), &page.page)?;
            }
            let info = source?;
            if !decode {
                return Ok(info.size.unwrap_or_default());
            }
            let bytes = reread(site, &f.source, &page.page, &info)?;
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
        for o in &a.outputs {
            let writable = site
                .check_on_disk(&o.path, &page.page)
                .and_then(|()| renders.check(site, &o.path, None, &page.page));
            match writable {
                Err(e) => errors.push(e),
                Ok(()) => errors.extend(output_problem(o, &page.page)),
            }
        }
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
