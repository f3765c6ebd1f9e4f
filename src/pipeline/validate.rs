//! Checks shared by `build` and `check`: hand-made assets exist, and a
//! gallery's frames share one size.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::image::decode::Rgba8;
use crate::pipeline::plan::{FramePlan, PagePlan};
use crate::site::Site;

/// A hand-made asset a page names (an `images` entry that is not the
/// gallery's animation) must exist.
pub fn check_exists(site: &Site, asset: &Path, page: &Path) -> Result<()> {
    site.check_on_disk(asset, page)?;
    if site.is_file(asset) {
        Ok(())
    } else {
        Err(Error::MissingSource {
            path: asset.to_path_buf(),
            page: page.to_path_buf(),
        })
    }
}

/// Several missing frames of one page become one error (the files it
/// names are in the report's `files`), with a hint when the renders are
/// under the output root instead (a site that keeps its renders beside
/// the published files, built without `source:` saying so). Other errors
/// pass through.
pub fn group_missing(site: &Site, page: &PagePlan, errors: Vec<Error>) -> Vec<Error> {
    let (missing, mut out): (Vec<Error>, Vec<Error>) = errors
        .into_iter()
        .partition(|e| matches!(e, Error::MissingSource { .. }));
    if missing.len() < 2 {
        out.extend(missing);
        return out;
    }
    let files: Vec<PathBuf> = missing.iter().map(|e| e.path().to_path_buf()).collect();
    let folder = common_folder(&files).unwrap_or_else(|| site.settings.source.clone());
    let s = &site.settings;
    let elsewhere = files
        .iter()
        .filter_map(|f| f.strip_prefix(&s.source).ok())
        .filter(|rel| site.is_file(&site.output_of(rel)))
        .count();
    let hint = if !site.in_place() && elsewhere * 2 >= files.len() {
        format!(
            "; they are under {}/: to build in place, set `source: {}` under `assetgen:` in _config.yml",
            s.output.display(),
            s.output.display()
        )
    } else {
        String::new()
    };
    out.push(Error::MissingFrames {
        page: page.page.clone(),
        folder,
        total: page.frames.len(),
        files,
        hint,
    });
    out
}

/// The folder every path is in, if they share one.
fn common_folder(files: &[PathBuf]) -> Option<PathBuf> {
    let first = files.first()?.parent()?;
    files
        .iter()
        .all(|f| f.parent() == Some(first))
        .then(|| first.to_path_buf())
}

/// All frames of a gallery must share one size; the odd ones out (against
/// the most common size, so one bad first frame is named, not the other 15)
/// are errors.
pub fn check_sizes(frames: &[Rgba8], plans: &[FramePlan]) -> Result<()> {
    let sizes: Vec<(u32, u32)> = frames.iter().map(Rgba8::dimensions).collect();
    let sources: Vec<&Path> = plans.iter().map(|p| p.source.as_path()).collect();
    check_frame_sizes(&sizes, &sources)
}

/// [`check_sizes`] for sizes already known, with each frame's file.
pub fn check_frame_sizes(sizes: &[(u32, u32)], files: &[&Path]) -> Result<()> {
    let mut counts: Vec<((u32, u32), usize)> = Vec::new();
    for s in sizes {
        match counts.iter_mut().find(|(k, _)| k == s) {
            Some((_, n)) => *n += 1,
            None => counts.push((*s, 1)),
        }
    }
    // Most common size; ties go to the earliest frame's size.
    let Some(&(expected, _)) = counts.iter().rev().max_by_key(|(_, n)| *n) else {
        return Ok(());
    };
    match sizes.iter().zip(files).find(|(s, _)| **s != expected) {
        Some((&found, file)) => Err(Error::FrameSize {
            path: file.to_path_buf(),
            expected,
            found,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_odd_frame_is_named_even_when_it_is_the_first() {
        let sizes = [(5, 5), (4, 4), (4, 4)];
        let files: Vec<PathBuf> = (0..3).map(|i| format!("src/A-{i}.png").into()).collect();
        let files: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
        let e = check_frame_sizes(&sizes, &files).unwrap_err();
        assert_eq!(
            e.to_string(),
            "src/A-0.png: frame is 5x5, but the gallery's other frames are 4x4"
        );
    }
}
