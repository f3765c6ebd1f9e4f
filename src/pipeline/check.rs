//! `check`: everything `build` would trip over, found without writing.
//!
//! Reads every page and decodes every frame (in parallel, each dropped
//! once checked), so a broken render is found before a publish, not
//! during it; asks the build cache which outputs a build has not caught
//! up with yet.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::image::decode::decode_png;
use crate::pipeline::cache::Cache;
use crate::pipeline::fresh::{page_state, reread, Freshness, OutputState};
use crate::pipeline::plan::{PagePlan, Plan};
use crate::pipeline::renders::Renders;
use crate::pipeline::report::Problem;
use crate::pipeline::validate::{
    check_exists, check_frame_sizes, check_pixel_budget, group_missing,
};
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
    let changes = state.changes(page, |i| state.frames[i].identity.is_some(), true);
    let mut why = Vec::new();
    if !changes.edits.is_empty() {
        why.push(if site.settings.fingerprint {
            "output names change (fingerprints)"
        } else {
            "fingerprinted names go back to plain ones (fingerprint is off)"
        });
    }
    if !changes.appends.is_empty() {
        why.push("new frames continue the gallery");
    }
    if !why.is_empty() {
        errors.push(Error::Manifest {
            path: page.page.clone(),
            message: format!(
                "front matter out of date: {}; run assetgen build",
                why.join(", and ")
            ),
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
    let mut frame_errors = Vec::new();
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
            Err(e) => frame_errors.push(e),
        }
    }
    errors.extend(group_missing(site, page, frame_errors));
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

/// An error for an output that a build would (re)make, saying why.
fn output_problem(state: &OutputState, page: &Path) -> Option<Error> {
    let why = match (state.freshness, state.in_place) {
        (Freshness::Fresh | Freshness::Forced, _) => return None,
        (Freshness::NotBuilt, true) => "render not optimised in place yet".to_string(),
        (Freshness::NotBuilt, false) => format!("not built yet (for {})", page.display()),
        (Freshness::Deleted, _) => "deleted since it was built".to_string(),
        (Freshness::Changed, true) => "a new render, not optimised yet".to_string(),
        (Freshness::Changed, false) => {
            "stale: changed on disk since assetgen wrote it (or the build cache lost it)"
                .to_string()
        }
        (Freshness::FramesChanged, _) => "stale: its frames changed since it was built".to_string(),
        (Freshness::SettingsChanged, _) => {
            "stale: the settings that shape it changed since it was built".to_string()
        }
    };
    let message = format!("{why}; run assetgen build");
    Some(Error::Manifest {
        path: state.path.clone(),
        message,
    })
}
