//! Which outputs of a page are up to date, decided before any pixel is
//! touched: read and hash the sources, derive each output's key (see
//! `cache`) and, with fingerprinting, its name; compare with what the cache
//! says the file on disk was made from. Shared by `build` (to skip work and
//! rewrite the page) and `check` (to report staleness).

use std::path::Path;

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::pipeline::cache::{hash, output_key, Cache};
use crate::pipeline::plan::PagePlan;
use crate::site::{thumb_name, with_fingerprint, Site, FINGERPRINT_LEN};

/// The state of one output file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Made from these sources and settings, and untouched since.
    Fresh,
    /// Not on disk.
    Missing,
    /// On disk, but made from other sources or settings, or edited since
    /// (or `--force`).
    Stale,
}

/// One output: where it must be, the key it must be made from, and
/// whether the file there is that.
#[derive(Debug, Clone)]
pub struct OutputState {
    /// Site-relative path the output must have (fingerprinted or not).
    pub path: std::path::PathBuf,
    pub key: String,
    pub freshness: Freshness,
}

impl OutputState {
    pub fn is_fresh(&self) -> bool {
        self.freshness == Freshness::Fresh
    }
}

/// A frame's source bytes (read once, for hashing and decoding), the state
/// of its two outputs, and the value the page must hold for it.
#[derive(Debug)]
pub struct FrameState {
    pub source: Result<Vec<u8>>,
    pub png: OutputState,
    pub thumb: OutputState,
    /// Front-matter value naming this frame's outputs.
    pub url: std::path::PathBuf,
}

/// The GIF's state and the value the page must hold for it.
#[derive(Debug)]
pub struct GifState {
    pub output: OutputState,
    pub url: std::path::PathBuf,
}

/// Everything `build` and `check` need to know about a page's outputs.
#[derive(Debug)]
pub struct PageState {
    pub frames: Vec<FrameState>,
    /// `None` when the page has no GIF or a frame could not be read.
    pub gif: Option<GifState>,
}

/// The front-matter value for an output: fingerprinted with a short hash
/// of everything it is made from, or plain.
fn named(base: &Path, fingerprint: bool, keys: &[&str]) -> std::path::PathBuf {
    if !fingerprint {
        return base.to_path_buf();
    }
    let fp = if keys.len() == 1 {
        keys[0][..FINGERPRINT_LEN].to_string()
    } else {
        hash(keys.join("").as_bytes())[..FINGERPRINT_LEN].to_string()
    };
    with_fingerprint(base, &fp)
}

/// Reads the page's sources and decides what is up to date. With `force`,
/// every existing output counts as stale.
pub fn page_state(site: &Site, page: &PagePlan, cache: &Cache, force: bool) -> PageState {
    let s = &site.settings;
    let png_settings = format!("{:?}", s.png);
    // Thumbnails have their own effort; of the PNG settings only these
    // shape them, so changing png_effort leaves them alone.
    let thumb_settings = format!(
        "{:?} strip={:?} lossy={} colors={}",
        s.thumb, s.png.strip, s.png.lossy, s.png.colors
    );
    let frames: Vec<(FrameState, Option<String>)> = page
        .frames
        .par_iter()
        .map(|f| {
            let source = read_source(site, &f.source, &page.page);
            let source_hash = source.as_ref().ok().map(|b| hash(b));
            let h = source_hash.as_deref().unwrap_or("");
            let png_key = output_key("png", &png_settings, &[h]);
            let thumb_key = output_key("thumb", &thumb_settings, &[h]);
            // The thumbnail's name follows the page value (the template
            // appends -thumb), so the fingerprint covers both outputs.
            let url = named(&f.base, s.fingerprint, &[&png_key, &thumb_key]);
            let png_path = site.output_of(&url);
            let png = if site.in_place() && png_path == f.source {
                // Optimised in place: the source *is* the output. It is up
                // to date while it still holds what we wrote.
                let ours = source.as_ref().is_ok_and(|b| cache.matches(&png_path, b));
                OutputState {
                    freshness: if ours && !force {
                        Freshness::Fresh
                    } else {
                        Freshness::Stale
                    },
                    path: png_path,
                    key: png_key,
                }
            } else {
                output_state(site, png_path, png_key, cache, force)
            };
            let thumb = output_state(
                site,
                site.output_of(&thumb_name(&url)),
                thumb_key,
                cache,
                force,
            );
            (
                FrameState {
                    source,
                    png,
                    thumb,
                    url,
                },
                source_hash,
            )
        })
        .collect();
    let hashes: Option<Vec<String>> = frames.iter().map(|(_, h)| h.clone()).collect();
    let gif = match (&page.gif, hashes) {
        (Some(g), Some(hashes)) => {
            let refs: Vec<&str> = hashes.iter().map(String::as_str).collect();
            let key = output_key("gif", &format!("{:?}", s.gif), &refs);
            let url = named(&g.base, s.fingerprint, &[&key]);
            Some(GifState {
                output: output_state(site, site.output_of(&url), key, cache, force),
                url,
            })
        }
        _ => None,
    };
    PageState {
        frames: frames.into_iter().map(|(f, _)| f).collect(),
        gif,
    }
}

fn output_state(
    site: &Site,
    path: std::path::PathBuf,
    key: String,
    cache: &Cache,
    force: bool,
) -> OutputState {
    let freshness = match std::fs::read(site.abs(&path)) {
        Err(_) => Freshness::Missing,
        Ok(_) if force => Freshness::Stale,
        Ok(bytes) if cache.is_fresh(&path, &key, &bytes) => Freshness::Fresh,
        Ok(_) => Freshness::Stale,
    };
    OutputState {
        path,
        key,
        freshness,
    }
}

/// Reads a frame, refusing paths that resolve outside the site.
pub fn read_source(site: &Site, source: &Path, page: &Path) -> Result<Vec<u8>> {
    site.check_on_disk(source, page)?;
    std::fs::read(site.abs(source)).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::MissingSource {
            path: source.to_path_buf(),
            page: page.to_path_buf(),
        },
        _ => Error::io(source, e),
    })
}
