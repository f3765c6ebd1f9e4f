//! Rewriting pages: the front-matter values that must change for a page
//! to name its outputs (fingerprints), entries for new frames continuing a
//! gallery (gallery sync) and, on request, entries whose renders are gone
//! (`--prune`). The edits themselves are byte-preserving and verified
//! (see `frontmatter::edit`); a page that changed during the build is
//! left alone.

use crate::error::{Error, Result};
use crate::frontmatter::{edit, gallery};
use crate::pipeline::cache::slash;
use crate::pipeline::fresh::PageChanges;
use crate::pipeline::plan::{FramePlan, PagePlan};
use crate::pipeline::sink::Sink;
use crate::site::Site;

/// The page without the gallery entries whose renders are gone, and
/// those entries' values (for `--prune`). Refused when no frame would be
/// left: that is a wrong `source` setting far more often than a deleted
/// gallery, and the page must not be emptied by a typo.
pub fn prune(site: &Site, page: &PagePlan) -> Result<(PagePlan, Vec<String>)> {
    let gone = |f: &FramePlan| {
        f.scalar.is_some()
            && site.check_on_disk(&f.source, &page.page).is_ok()
            && !site.is_file(&f.source)
    };
    let (missing, kept): (Vec<&FramePlan>, Vec<&FramePlan>) =
        page.frames.iter().partition(|f| gone(f));
    if missing.is_empty() {
        return Ok((page.clone(), Vec::new()));
    }
    if kept.is_empty() {
        return Err(Error::Manifest {
            path: page.page.clone(),
            message: format!(
                "every render of the gallery is missing from {}; nothing pruned (is `source` right?)",
                site.settings.source.display()
            ),
        });
    }
    let removed = missing
        .iter()
        .filter_map(|f| f.scalar.as_ref().map(|s| s.value.clone()))
        .collect();
    let mut plan = page.clone();
    plan.frames = kept.into_iter().cloned().collect();
    Ok((plan, removed))
}

/// Rewrites the page's changed values (byte-preserving, verified), unless
/// the page changed since it was planned.
pub fn rewrite_page(
    site: &Site,
    page: &PagePlan,
    changes: &PageChanges,
    removed: &[String],
    sink: &Sink<'_>,
) -> Result<()> {
    let refuse = |message: String| Error::Manifest {
        path: page.page.clone(),
        message,
    };
    let now = site.read(&page.page, &page.page)?;
    if now != page.text.as_bytes() {
        return Err(refuse(
            "changed during the build; front matter not rewritten (run assetgen build again)"
                .into(),
        ));
    }
    let new = edit::apply(&page.text, &changes.edits)
        .and_then(|t| gallery::remove_gallery_entries(&t, removed))
        .and_then(|t| gallery::append_gallery(&t, &changes.appends))
        .map_err(|m| refuse(format!("front matter not rewritten: {m}")))?;
    sink.write_page(&page.page, new.as_bytes(), || {
        edit::unified_diff(&slash(&page.page), &page.text, &new)
    })
}
