//! `clean`: remove generated files that no page refers to any more
//! (renamed pages, removed frames, old fingerprints).
//!
//! Only files in the build cache (files assetgen wrote) are candidates, and only
//! while they still hold what assetgen wrote: a hand-made or hand-edited
//! file is never deleted. Renders are never candidates, even when assetgen
//! optimised them in place.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Instant;

use crate::error::Result;
use crate::pipeline::cache::{slash, Cache};
use crate::pipeline::plan::Plan;
use crate::pipeline::report::{Progress, Report};
use crate::site::Site;

/// Removes orphaned outputs (or, with `dry_run`, lists them), holding the
/// site's lock so that no build writes meanwhile (`progress` hears if it
/// must wait for it).
pub fn clean(site: &Site, dry_run: bool, progress: &dyn Progress) -> Result<Report> {
    let started = Instant::now();
    let _lock = site.lock(|| progress.waiting_for_lock(&site.root))?;
    let mut cache = Cache::load(site);
    let plan = Plan::new(site, &[], &cache)?;
    let mut report = Report {
        dry_run,
        ..Report::default()
    };
    for e in &plan.errors {
        report.add_error(e);
    }
    if !plan.errors.is_empty() {
        // A page we could not read may still refer to files: delete nothing.
        report.errors.push(crate::pipeline::report::Problem {
            path: String::new(),
            message:
                "nothing removed: fix the pages above first, so no file still in use is deleted"
                    .into(),
            files: Vec::new(),
        });
        return Ok(report);
    }
    // Still in use: every output a page names, and every render a page is
    // made from (in place, renders and outputs share one folder).
    let wanted: BTreeSet<PathBuf> = plan
        .pages
        .iter()
        .flat_map(|p| {
            p.outputs(site)
                .into_iter()
                .chain(p.frames.iter().map(|f| f.source.clone()))
        })
        .collect();
    // Renders optimised in place are the user's originals: never removed,
    // only forgotten once no page uses them.
    let unused_renders: Vec<PathBuf> = cache
        .paths()
        .filter(|p| !cache.is_generated(p) && !wanted.contains(p))
        .collect();
    for path in unused_renders {
        if !dry_run {
            cache.forget(&path);
        }
    }
    let orphans: Vec<PathBuf> = cache.generated().filter(|p| !wanted.contains(p)).collect();
    for path in orphans {
        match site.read_existing(&path) {
            None => cache.forget(&path), // already gone
            Some(bytes) if !cache.matches(&path, &bytes) => {
                // Changed since we wrote it: someone else's now.
                cache.forget(&path);
            }
            Some(_) => {
                if !dry_run {
                    if let Err(e) = site.remove(&path) {
                        report.add_error(&e);
                        continue;
                    }
                    cache.forget(&path);
                }
                report.removed.push(slash(&path));
            }
        }
    }
    if !dry_run {
        if let Err(e) = cache.save(site) {
            report.add_error(&e);
        }
    }
    report.sort();
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(report)
}
