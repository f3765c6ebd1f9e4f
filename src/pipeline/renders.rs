//! The renders every page lists, so that no output is ever written over
//! one: a render is the user's only copy of a frame, and an output name
//! that happens to be a render's (an `image_name`, a thumbnail name, a
//! fingerprinted name, or a folder symlinked into the renders) would
//! replace it for good.
//!
//! Outputs and renders are compared by where they sit on disk (the
//! canonical folder and the file name), not by how they are spelled, and a
//! render is also known by the file its symlink points to. The one write
//! over a render that is meant is the frame's own published copy in place
//! (source and output roots one folder), which replaces the render by its
//! verified-lossless optimisation; that output has the render's own path.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::pipeline::cache::slash;
use crate::pipeline::plan::PagePlan;
use crate::site::paths::{place_of, places_of};
use crate::site::Site;

/// Every render listed by a page of the site.
#[derive(Debug, Default)]
pub struct Renders {
    /// Where each render sits, and the file its symlink points to, ->
    /// (its site-relative path, a page that lists it).
    places: BTreeMap<PathBuf, (PathBuf, PathBuf)>,
    /// The same by site-relative path, for renders whose folder is not
    /// there yet (missing renders keep their names).
    names: BTreeMap<PathBuf, PathBuf>,
}

impl Renders {
    /// Adds the renders `page` lists (its gallery's frames, and the frames
    /// that continue it).
    pub fn add(&mut self, site: &Site, page: &PagePlan) {
        for f in &page.frames {
            self.names
                .entry(f.source.clone())
                .or_insert_with(|| page.page.clone());
            // A render that resolves outside the site is refused anyway.
            if site.check_on_disk(&f.source, &page.page).is_err() {
                continue;
            }
            for place in places_of(&site.abs(&f.source)) {
                self.places
                    .entry(place)
                    .or_insert_with(|| (f.source.clone(), page.page.clone()));
            }
        }
    }

    /// Refuses to write `output` (site-relative) where a render sits,
    /// unless `output` is `own`: the render a frame's published copy
    /// replaces in place. `page` is the page the output is for.
    pub fn check(&self, site: &Site, output: &Path, own: Option<&Path>, page: &Path) -> Result<()> {
        if own == Some(output) {
            return Ok(());
        }
        let by_name = self.names.get_key_value(output);
        let by_place = place_of(&site.abs(output))
            .and_then(|place| self.places.get(&place))
            .map(|(render, page)| (render, page));
        match by_name.or(by_place) {
            None => Ok(()),
            Some((render, listed_in)) => Err(Error::UnsafePath {
                page: page.to_path_buf(),
                value: slash(output),
                reason: format!(
                    "it would overwrite {}, a render listed in {}",
                    slash(render),
                    slash(listed_in)
                ),
            }),
        }
    }
}
