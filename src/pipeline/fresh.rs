//! Which outputs of a page are up to date, decided before any pixel is
//! touched: read and hash the sources, derive each output's key (see
//! `cache`) and, with fingerprinting, its name; compare with what the cache
//! says the file on disk was made from. Shared by `build` (to skip work and
//! rewrite the page) and `check` (to report staleness), so both agree on
//! what is stale and on what the page must say.
//!
//! Sources are hashed here, not kept: a page's frames are read again, one
//! at a time, when they are made ([`reread`]), so that a build holds the
//! files of the frames in flight rather than a whole gallery's.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::frontmatter::edit::Edit;
use crate::image::decode::png_size;
use crate::kind::Kind;
use crate::naming::{with_fingerprint, FINGERPRINT_LEN};
use crate::outputs::{self, Output};
use crate::pipeline::cache::{hash, output_key, slash, sources_key, Cache};
use crate::pipeline::plan::PagePlan;
use crate::settings::Settings;
use crate::site::Site;

/// The state of one output file, and why it must be made when it must.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Made from these sources and settings, and untouched since.
    Fresh,
    /// Never built: not on disk, not in the build cache (in place: a render
    /// not optimised yet).
    NotBuilt,
    /// Built once, deleted since.
    Deleted,
    /// On disk, but not what assetgen wrote there (edited by hand; in
    /// place: a new render), or not in the build cache at all.
    Changed,
    /// Its frames changed since it was built.
    FramesChanged,
    /// The settings that shape it (or assetgen's version) changed since.
    SettingsChanged,
    /// `--force`.
    Forced,
}

/// One output: where it must be, the key it must be made from, and
/// whether the file there is that.
#[derive(Debug, Clone)]
pub struct OutputState {
    pub kind: Kind,
    /// Site-relative path the output must have (fingerprinted or not).
    pub path: PathBuf,
    pub key: String,
    /// Short hash of its sources alone (see `cache::Entry::sources`).
    pub sources: String,
    pub freshness: Freshness,
    /// The output is the frame's render itself, optimised in place.
    pub in_place: bool,
}

impl OutputState {
    pub fn is_fresh(&self) -> bool {
        self.freshness == Freshness::Fresh
    }
}

/// The state of a frame's outputs, and the value the page must hold for it.
#[derive(Debug)]
pub struct FrameState {
    /// The frame's identity (the hash its outputs' keys hold), `None` when
    /// its source could not be read (the error is in the page's [`Sources`]).
    pub identity: Option<String>,
    pub outputs: Vec<OutputState>,
    /// Front-matter value naming this frame's outputs.
    pub url: PathBuf,
}

/// What reading a frame's source found, without its bytes.
#[derive(Debug, Clone)]
pub struct SourceInfo {
    /// BLAKE3 of the bytes as read: [`reread`] checks the file still holds
    /// them (the frame's identity, which its outputs' keys hold, is made
    /// from it; see `Cache::identity`).
    pub hash: String,
    /// The size its PNG header claims (`None`: not a PNG, which decoding
    /// will say).
    pub size: Option<(u32, u32)>,
}

/// Each frame's source as read when hashing, in gallery order.
pub type Sources = Vec<Result<SourceInfo>>;

/// Reads a frame's source again to make its outputs, and checks it still
/// is what `page_state` hashed (their keys say they were made from that).
pub fn reread(site: &Site, source: &Path, page: &Path, info: &SourceInfo) -> Result<Vec<u8>> {
    let bytes = site.read(source, page)?;
    if hash(&bytes) != info.hash {
        return Err(Error::io(
            source,
            std::io::Error::other("changed during the build; run assetgen build again"),
        ));
    }
    Ok(bytes)
}

/// The animation's outputs and the value the page must hold for it.
#[derive(Debug)]
pub struct AnimationState {
    pub outputs: Vec<OutputState>,
    pub url: PathBuf,
}

/// Everything `build` and `check` need to know about a page's outputs.
#[derive(Debug)]
pub struct PageState {
    pub frames: Vec<FrameState>,
    /// `None` when the page has no animation or a frame could not be read.
    pub animation: Option<AnimationState>,
}

/// The front-matter changes a page needs so that its values name its
/// outputs: new names (fingerprints) and entries for new frames.
#[derive(Debug, Default)]
pub struct PageChanges {
    pub edits: Vec<Edit>,
    /// New frames' values, in gallery order (gallery sync).
    pub appends: Vec<String>,
}

impl PageChanges {
    pub fn is_empty(&self) -> bool {
        self.edits.is_empty() && self.appends.is_empty()
    }
}

impl PageState {
    /// True when any output of the animation must be made.
    pub fn animation_needed(&self) -> bool {
        self.animation
            .as_ref()
            .is_some_and(|a| a.outputs.iter().any(|o| !o.is_fresh()))
    }

    /// What the page must say for its values to name these outputs, for
    /// the frames `made` says were made (a frame whose outputs failed keeps
    /// its value, and new entries stop at the first new frame that failed,
    /// since a gap would break the numbering) and for the animation when
    /// `animation_made`.
    pub fn changes(
        &self,
        plan: &PagePlan,
        made: impl Fn(usize) -> bool,
        animation_made: bool,
    ) -> PageChanges {
        let mut changes = PageChanges::default();
        let mut appending = true;
        for (i, (frame, state)) in plan.frames.iter().zip(&self.frames).enumerate() {
            let ok = made(i);
            match &frame.scalar {
                Some(scalar) if ok && state.url != frame.url => changes.edits.push(Edit {
                    scalar: scalar.clone(),
                    new_value: slash(&state.url),
                }),
                Some(_) => {}
                None if ok && appending => changes.appends.push(slash(&state.url)),
                None => appending = false,
            }
        }
        if let (Some(plan), Some(state), true) = (&plan.animation, &self.animation, animation_made)
        {
            if state.url != plan.url {
                changes.edits.push(Edit {
                    scalar: plan.scalar.clone(),
                    new_value: slash(&state.url),
                });
            }
        }
        changes
    }
}

/// The key of one output (see `cache::output_key`): its kind, the settings
/// that shape it, its encoders and its sources' hashes.
fn key_of(output: &dyn Output, settings: &Settings, sources: &[&str]) -> String {
    let kind = output.kind();
    let shaping = format!("{}{}", settings.shaping(kind), output.encoders().join("\n"));
    output_key(kind.name(), &shaping, sources)
}

/// The front-matter value for a set of outputs of one value: fingerprinted
/// with a short hash of every key (so of everything they are made from),
/// or plain.
fn named(base: &Path, fingerprint: bool, keys: &[&str]) -> PathBuf {
    if !fingerprint {
        return base.to_path_buf();
    }
    let fp = if keys.len() == 1 {
        keys[0][..FINGERPRINT_LEN].to_string()
    } else {
        hash(keys.concat().as_bytes())[..FINGERPRINT_LEN].to_string()
    };
    with_fingerprint(base, &fp)
}

/// Where an output stands, from what is on disk (`bytes`, `None` when
/// there is no file) and what the cache says was written there.
fn freshness(
    cache: &Cache,
    path: &Path,
    key: &str,
    sources: &str,
    bytes: Option<&[u8]>,
    force: bool,
) -> Freshness {
    let entry = cache.entry(path);
    match (bytes, entry) {
        (None, None) => Freshness::NotBuilt,
        (None, Some(_)) => Freshness::Deleted,
        (Some(_), None) => Freshness::Changed,
        (Some(b), Some(e)) if e.hash != hash(b) => Freshness::Changed,
        _ if force => Freshness::Forced,
        (Some(_), Some(e)) if e.key == key => Freshness::Fresh,
        (Some(_), Some(e)) if e.sources != sources => Freshness::FramesChanged,
        _ => Freshness::SettingsChanged,
    }
}

/// Reads the page's sources and decides what is up to date. With `force`,
/// every existing output counts as stale.
pub fn page_state(
    site: &Site,
    page: &PagePlan,
    cache: &Cache,
    force: bool,
) -> (PageState, Sources) {
    let s = &site.settings;
    let frame_outputs = outputs::frame_outputs(s);
    let frames: Vec<(FrameState, Result<SourceInfo>)> = page
        .frames
        .par_iter()
        .map(|f| {
            let source = site.read(&f.source, &page.page);
            let source_hash = source.as_ref().ok().map(|b| hash(b));
            let identity = source_hash.as_deref().map(|h| cache.identity(&f.source, h));
            let id = identity.as_deref().unwrap_or("");
            let sources = sources_key(&[id]);
            let keys: Vec<String> = frame_outputs.iter().map(|o| key_of(*o, s, &[id])).collect();
            let key_refs: Vec<&str> = keys.iter().map(String::as_str).collect();
            // The outputs' names follow the page value (the template
            // derives the thumbnail's), so one fingerprint covers them all.
            let url = named(&f.base, s.fingerprint, &key_refs);
            let states = frame_outputs
                .iter()
                .zip(keys)
                .map(|(o, key)| {
                    let path = site.output_of(&o.name(&url));
                    // Optimised in place, the source *is* the output.
                    let in_place = path == f.source;
                    let existing;
                    let bytes = if in_place {
                        source.as_ref().ok().map(Vec::as_slice)
                    } else {
                        existing = site.read_existing(&path);
                        existing.as_deref()
                    };
                    let freshness = freshness(cache, &path, &key, &sources, bytes, force);
                    OutputState {
                        kind: o.kind(),
                        path,
                        key,
                        sources: sources.clone(),
                        freshness,
                        in_place,
                    }
                })
                .collect();
            let state = FrameState {
                identity,
                outputs: states,
                url,
            };
            // Only the hash and the header's size are kept, not the bytes.
            let info = source.map(|bytes| SourceInfo {
                hash: source_hash.unwrap_or_default(),
                size: png_size(&bytes),
            });
            (state, info)
        })
        .collect();
    let identities: Option<Vec<&str>> = frames.iter().map(|(f, _)| f.identity.as_deref()).collect();
    let animation = match (&page.animation, identities) {
        (Some(a), Some(ids)) => {
            let sources = sources_key(&ids);
            let gallery_outputs = outputs::gallery_outputs(s);
            let keys: Vec<String> = gallery_outputs
                .iter()
                .map(|o| key_of(*o, s, &ids))
                .collect();
            let key_refs: Vec<&str> = keys.iter().map(String::as_str).collect();
            let url = named(&a.base, s.fingerprint, &key_refs);
            let outputs = gallery_outputs
                .iter()
                .zip(keys)
                .map(|(o, key)| {
                    let path = site.output_of(&o.name(&url));
                    let bytes = site.read_existing(&path);
                    OutputState {
                        kind: o.kind(),
                        freshness: freshness(cache, &path, &key, &sources, bytes.as_deref(), force),
                        path,
                        key,
                        sources: sources.clone(),
                        in_place: false,
                    }
                })
                .collect();
            Some(AnimationState { outputs, url })
        }
        _ => None,
    };
    let (frames, sources) = frames.into_iter().unzip();
    (PageState { frames, animation }, sources)
}
