//! Checks shared by `build` and `check`: hand-made assets exist, a
//! gallery's frames share one size, and a gallery fits the pixel budget.

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

/// A gallery's frames are decoded and held all at once (its GIF is made
/// from all of them), so the frames its animation would hold (those of the
/// most common size their headers claim: an odd one out fails on its own,
/// with its frame named) must fit `megapixels` (the `gallery_megapixels`
/// setting). Checked before any frame is decoded, so a small file claiming
/// a huge image costs nothing. `gallery` names the gallery (its page, or
/// the output it is for).
pub fn check_pixel_budget(sizes: &[(u32, u32)], megapixels: u32, gallery: &Path) -> Result<()> {
    let Some((size, frames)) = most_common(sizes) else {
        return Ok(());
    };
    let pixels = u64::from(size.0) * u64::from(size.1) * frames as u64;
    if pixels <= u64::from(megapixels) * 1_000_000 {
        return Ok(());
    }
    Err(Error::Decode {
        path: gallery.to_path_buf(),
        message: format!(
            "gallery of {frames} frames is {:.0} megapixels ({:.1} GB decoded), over gallery_megapixels ({megapixels}); raise it or use smaller renders",
            pixels as f64 / 1e6,
            pixels as f64 * 4.0 / 1e9,
        ),
    })
}

/// The most common size and how many have it; ties go to the earliest.
fn most_common(sizes: &[(u32, u32)]) -> Option<((u32, u32), usize)> {
    let mut counts: Vec<((u32, u32), usize)> = Vec::new();
    for s in sizes {
        match counts.iter_mut().find(|(k, _)| k == s) {
            Some((_, n)) => *n += 1,
            None => counts.push((*s, 1)),
        }
    }
    counts.into_iter().rev().max_by_key(|(_, n)| *n)
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
    let Some((expected, _)) = most_common(sizes) else {
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
    fn the_budget_counts_every_frame() {
        let page = Path::new("p.md");
        assert!(check_pixel_budget(&[(1000, 1000); 16], 16, page).is_ok());
        let e = check_pixel_budget(&[(1000, 1000); 17], 16, page).unwrap_err();
        assert_eq!(
            e.to_string(),
            "p.md: gallery of 17 frames is 17 megapixels (0.1 GB decoded), over gallery_megapixels (16); raise it or use smaller renders"
        );
        // The default holds 16 frames of 4096x4096 with room to spare,
        // and refuses 16 of 16384x16384 (17 GB decoded).
        let budget = crate::settings::Settings::default().gallery_megapixels;
        assert!(check_pixel_budget(&[(4096, 4096); 16], budget, page).is_ok());
        assert!(check_pixel_budget(&[(16384, 16384); 16], budget, page).is_err());
        // A frame of another size fails on its own; the budget counts what
        // the animation would hold.
        let mut sizes = vec![(1000, 1000); 16];
        sizes.push((60000, 60000));
        assert!(check_pixel_budget(&sizes, 16, page).is_ok());
    }

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
