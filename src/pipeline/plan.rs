//! Planning: from the pages' manifests to the list of every output, before
//! any pixel is touched.
//!
//! The plan is pure data (which sources feed which outputs), so it can be
//! printed by `--dry-run`, checked by `check`, compared against what is on
//! disk by `clean`, and executed in parallel by the build.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::frontmatter::{self, column_of, line_of, Manifest, Scalar};
use crate::naming::{common_stem, split_frame_number, strip_fingerprint};
use crate::outputs;
use crate::pipeline::cache::Cache;
use crate::pipeline::renders::Renders;
use crate::pipeline::shard::Shard;
use crate::site::paths::front_matter_path;
use crate::site::Site;

/// One frame of a gallery, which its frame outputs are made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FramePlan {
    /// The front-matter value (relative to the output root), as written.
    pub url: PathBuf,
    /// The same without a fingerprint: the name of the render.
    pub base: PathBuf,
    /// Site-relative source render.
    pub source: PathBuf,
    /// Where the value sits in the page, to rewrite it; `None` for a frame
    /// found in the source root continuing the gallery's numbering, whose
    /// entry the build appends (gallery sync).
    pub scalar: Option<Scalar>,
}

/// The page's animation: the `images` entry its gallery outputs are named
/// after (the GIF, and the videos beside it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnimationPlan {
    /// The `image_name` value, as written.
    pub url: PathBuf,
    /// The same without a fingerprint.
    pub base: PathBuf,
    pub scalar: Scalar,
}

/// Everything one page asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagePlan {
    /// Site-relative page path.
    pub page: PathBuf,
    pub frames: Vec<FramePlan>,
    /// The animation made from the frames, if the page names one.
    pub animation: Option<AnimationPlan>,
    /// Hand-made assets the page refers to (site-relative): only checked.
    pub checked: Vec<PathBuf>,
    /// The page's text when it was planned (a rewrite refuses to touch a
    /// page that changed since).
    pub text: String,
}

impl PagePlan {
    /// Every output the page's values name now (site-relative), of the
    /// kinds the settings ask for.
    pub fn outputs(&self, site: &Site) -> Vec<PathBuf> {
        let s = &site.settings;
        let frame_outputs = outputs::frame_outputs(s);
        let mut out: Vec<PathBuf> = self
            .frames
            .iter()
            .flat_map(|f| {
                frame_outputs
                    .iter()
                    .map(|o| site.output_of(&o.name(&f.url)))
            })
            .collect();
        if let Some(a) = &self.animation {
            out.extend(
                outputs::gallery_outputs(s)
                    .iter()
                    .map(|o| site.output_of(&o.name(&a.url))),
            );
        }
        out
    }
}

/// The whole site's plan, and the pages that could not be planned.
#[derive(Debug, Default)]
pub struct Plan {
    pub pages: Vec<PagePlan>,
    pub errors: Vec<Error>,
    /// What is not wrong for Jekyll but probably not meant (a key given
    /// twice), in the planned pages, with or without a manifest.
    pub warnings: Vec<Error>,
    /// Renders listed by every page of the site, planned or not: no output
    /// may be written over one.
    pub renders: Renders,
    /// Folders holding pages (site-relative), planned or not.
    page_folders: BTreeSet<PathBuf>,
}

impl Plan {
    /// Plans every page of the site (or only `only`, site-relative, if not
    /// empty). The cache tells files assetgen made from renders. The renders
    /// of the pages not planned are read all the same, so that building one
    /// page cannot overwrite another page's render.
    pub fn new(site: &Site, only: &[PathBuf], cache: &Cache) -> Result<Plan> {
        let all = if only.is_empty() {
            site.discover_pages()?
        } else {
            // Only for the renders of the other pages: a folder that cannot
            // be walked must not stop a build of the pages asked for.
            site.discover_pages().unwrap_or_default()
        };
        let pages = if only.is_empty() {
            all.clone()
        } else {
            only.to_vec()
        };
        Plan::of(site, &all, &pages, !only.is_empty(), cache)
    }

    /// Plans the pages of one share of the site (`build --shard K/N`): of
    /// `only` if not empty, else of every page; possibly none, which must
    /// not fall back to the whole site.
    pub fn shard(site: &Site, only: &[PathBuf], shard: Shard, cache: &Cache) -> Result<Plan> {
        let all = if only.is_empty() {
            site.discover_pages()?
        } else {
            site.discover_pages().unwrap_or_default()
        };
        let pages: Vec<PathBuf> = if only.is_empty() { &all[..] } else { only }
            .iter()
            .filter(|p| shard.contains(p))
            .cloned()
            .collect();
        Plan::of(site, &all, &pages, !only.is_empty(), cache)
    }

    /// Plans `pages` out of `all` (the site's); the renders of the others
    /// are read all the same. With `named`, a page with nothing to build
    /// is an error (it was named on the command line).
    fn of(
        site: &Site,
        all: &[PathBuf],
        pages: &[PathBuf],
        named: bool,
        cache: &Cache,
    ) -> Result<Plan> {
        let mut plan = Plan::default();
        for page in pages {
            match plan_page(site, page, cache, &mut plan.warnings) {
                Ok(Some(p)) => {
                    plan.renders.add(site, &p);
                    plan.pages.push(p);
                }
                // A page named on the command line that has nothing to
                // build is a mistake worth stopping for.
                Ok(None) if named => {
                    return Err(Error::Site {
                        path: page.clone(),
                        message: "has no gallery: or images: in its front matter; nothing to build"
                            .into(),
                    })
                }
                Ok(None) => {}
                Err(e) => plan.errors.push(e),
            }
        }
        for page in all.iter().filter(|p| !pages.contains(p)) {
            if let Ok(Some(p)) = plan_page(site, page, cache, &mut Vec::new()) {
                plan.renders.add(site, &p);
            }
        }
        plan.page_folders = all
            .iter()
            .chain(pages)
            .filter_map(|p| p.parent().map(Path::to_path_buf))
            .collect();
        Ok(plan)
    }

    /// Every folder a build writes to, site-relative, each with whether
    /// the folders under it are written to as well: the site root (the
    /// cache), each page's folder, and the source and output roots.
    pub fn written_folders(&self, site: &Site) -> Vec<(PathBuf, bool)> {
        let mut folders: Vec<(PathBuf, bool)> = vec![
            (PathBuf::new(), false),
            (site.settings.source.clone(), true),
            (site.settings.output.clone(), true),
        ];
        folders.extend(self.page_folders.iter().map(|f| (f.clone(), false)));
        folders.sort();
        folders.dedup();
        folders
    }

    /// Number of frames across all pages.
    pub fn frame_count(&self) -> usize {
        self.pages.iter().map(|p| p.frames.len()).sum()
    }
}

/// Reads one page and plans its outputs; `None` for a page with no
/// manifest. What the page says that is probably not meant goes to
/// `warnings`.
pub fn plan_page(
    site: &Site,
    page: &Path,
    cache: &Cache,
    warnings: &mut Vec<Error>,
) -> Result<Option<PagePlan>> {
    let bytes = site.read(page, page)?;
    let text = String::from_utf8(bytes).map_err(|_| Error::Manifest {
        path: page.to_path_buf(),
        message: "not UTF-8 text".into(),
    })?;
    let Some(root) = frontmatter::parse(&text, page)? else {
        return Ok(None);
    };
    warnings.extend(
        frontmatter::duplicate_keys(&root)
            .into_iter()
            .map(|d| Error::FrontMatter {
                path: page.to_path_buf(),
                line: line_of(&text, d.again),
                column: column_of(&text, d.again),
                message: format!(
                    "duplicate key '{}' (first on line {}); the last one is used, as Jekyll does",
                    d.key,
                    line_of(&text, d.first)
                ),
            }),
    );
    let manifest = Manifest::from_front_matter(&root, &text, page)?;
    if manifest.is_empty() {
        return Ok(None);
    }

    let mut frames = Vec::with_capacity(manifest.gallery.len());
    for entry in &manifest.gallery {
        let url = front_matter_path(&entry.image_url.value, page)?;
        let base = render_name(site, &url, cache);
        frames.push(FramePlan {
            source: site.source_of(&base),
            scalar: Some(entry.image_url.clone()),
            base,
            url,
        });
    }
    frames.extend(new_frames(site, &frames));

    let mut image_paths = Vec::with_capacity(manifest.images.len());
    for entry in &manifest.images {
        let url = front_matter_path(&entry.image_name.value, page)?;
        image_paths.push((url, &entry.image_name));
    }
    let animation = if frames.is_empty() {
        None
    } else {
        let urls: Vec<PathBuf> = image_paths.iter().map(|(u, _)| u.clone()).collect();
        gallery_animation(&urls, &frames, page)?
    };
    let checked = image_paths
        .iter()
        .filter(|(p, _)| Some(p) != animation.as_ref())
        .map(|(p, _)| site.output_of(p))
        .collect();
    let animation = animation.and_then(|url| {
        let scalar = image_paths.iter().find(|(u, _)| *u == url)?.1.clone();
        Some(AnimationPlan {
            base: strip_fingerprint(&url).unwrap_or_else(|| url.clone()),
            scalar,
            url,
        })
    });

    Ok(Some(PagePlan {
        page: page.to_path_buf(),
        frames,
        animation,
        checked,
        text,
    }))
}

/// The render a gallery value is made from. A fingerprinted name (from an
/// earlier build) is made from the render without the fingerprint. Only
/// when that render is missing, and a file of the fingerprinted name exists
/// that assetgen did not make, is that file the render (a render whose name
/// happens to end in eight hex digits). In place, source and output roots
/// are one folder and the fingerprinted outputs sit beside the renders: they
/// must never be taken for renders, or turning fingerprinting off could
/// not find the way back to the original names.
fn render_name(site: &Site, url: &Path, cache: &Cache) -> PathBuf {
    let Some(base) = strip_fingerprint(url) else {
        return url.to_path_buf();
    };
    let named_so = site.source_of(url);
    let is_render = site.is_file(&named_so) && !cache.is_generated(&named_so);
    if is_render && !site.is_file(&site.source_of(&base)) {
        url.to_path_buf()
    } else {
        base
    }
}

/// Renders in the source root that continue the gallery's numbering
/// (`Leg-Gastrocnemius-17.png` after `...-16.png`), in order, as frames to
/// append. Only when every frame shares one name with a number.
fn new_frames(site: &Site, frames: &[FramePlan]) -> Vec<FramePlan> {
    let (Some(stem), Some(last)) = (frames_stem(frames), frames.last()) else {
        return Vec::new();
    };
    let Some((_, mut n)) = split_frame_number(&last.base) else {
        return Vec::new();
    };
    let ext = last
        .base
        .extension()
        .map(|e| e.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut found = Vec::new();
    loop {
        n += 1;
        let url = last.base.with_file_name(format!("{stem}-{n}.{ext}"));
        let source = site.source_of(&url);
        if !site.is_file(&source) {
            return found;
        }
        found.push(FramePlan {
            source,
            scalar: None,
            base: url.clone(),
            url,
        });
    }
}

/// Which `images` entry is the gallery's animation: the only `.gif`, or,
/// with several, the one named after the frames' common stem
/// (`Leg-Gastrocnemius` for `Leg-Gastrocnemius-N.png`).
fn gallery_animation(
    images: &[PathBuf],
    frames: &[FramePlan],
    page: &Path,
) -> Result<Option<PathBuf>> {
    let gifs: Vec<&PathBuf> = images
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("gif")))
        .collect();
    match gifs.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some((*one).clone())),
        several => {
            let stem = frames_stem(frames);
            let chosen = stem.as_deref().and_then(|stem| {
                several.iter().find(|p| {
                    let p = strip_fingerprint(p).unwrap_or_else(|| p.to_path_buf());
                    p.file_stem().is_some_and(|s| s.to_string_lossy() == stem)
                })
            });
            match chosen {
                Some(p) => Ok(Some((*p).clone())),
                None => Err(Error::Manifest {
                    path: page.to_path_buf(),
                    message: format!(
                        "{} .gif images and none is named after the frames ({}.gif); cannot tell which is the gallery's animation",
                        several.len(),
                        stem.unwrap_or_else(|| "no common name".into())
                    ),
                }),
            }
        }
    }
}

/// `Name` when every frame's render is `Name-<number>.<ext>`.
fn frames_stem(frames: &[FramePlan]) -> Option<String> {
    common_stem(frames.iter().map(|f| f.base.as_path()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(urls: &[&str]) -> Vec<FramePlan> {
        urls.iter()
            .map(|u| FramePlan {
                url: PathBuf::from(u),
                base: PathBuf::from(u),
                source: PathBuf::new(),
                scalar: None,
            })
            .collect()
    }

    #[test]
    fn the_animation_is_the_gif_named_after_the_frames() {
        let f = frames(&[
            "m/png/Leg-Gastrocnemius-1.png",
            "m/png/Leg-Gastrocnemius-2.png",
        ]);
        let imgs = vec![
            PathBuf::from("m/gif/Other.gif"),
            PathBuf::from("m/gif/Leg-Gastrocnemius.gif"),
        ];
        let got = gallery_animation(&imgs, &f, Path::new("p.md")).unwrap();
        assert_eq!(got, Some(PathBuf::from("m/gif/Leg-Gastrocnemius.gif")));
        let one = vec![
            PathBuf::from("m/gif/Whatever.gif"),
            PathBuf::from("m/a.png"),
        ];
        assert_eq!(
            gallery_animation(&one, &f, Path::new("p.md")).unwrap(),
            Some(PathBuf::from("m/gif/Whatever.gif"))
        );
    }

    #[test]
    fn several_gifs_and_no_match_is_an_error() {
        let f = frames(&["a/X-1.png"]);
        let imgs = vec![PathBuf::from("A.gif"), PathBuf::from("B.gif")];
        let e = gallery_animation(&imgs, &f, Path::new("p.md")).unwrap_err();
        assert!(e.to_string().contains("X.gif"), "{e}");
    }

    #[test]
    fn fingerprinted_values_map_to_renders_never_to_generated_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("_config.yml"),
            "urlimg: '/assets/images/'\n",
        )
        .unwrap();
        let png = dir.path().join("assets-src/m");
        std::fs::create_dir_all(&png).unwrap();
        let site = Site::open(dir.path(), &Default::default()).unwrap();
        let mut cache = Cache::default();
        let name = |u: &str, c: &Cache| render_name(&site, Path::new(u), c);

        // Not fingerprinted: the value is the render's name.
        assert_eq!(name("m/A-1.png", &cache), PathBuf::from("m/A-1.png"));
        // Fingerprinted, render missing: the render to report is A-1.png.
        assert_eq!(
            name("m/A-1-0123abcd.png", &cache),
            PathBuf::from("m/A-1.png")
        );
        // A render really named with eight hex digits, and no A-1.png.
        std::fs::write(png.join("A-1-0123abcd.png"), b"x").unwrap();
        assert_eq!(
            name("m/A-1-0123abcd.png", &cache),
            PathBuf::from("m/A-1-0123abcd.png")
        );
        // ...unless assetgen made that file (in place, outputs sit beside renders).
        let made = crate::pipeline::cache::Made {
            key: "k",
            sources: "s",
            origin: None,
        };
        cache.record(Path::new("assets-src/m/A-1-0123abcd.png"), b"x", made);
        assert_eq!(
            name("m/A-1-0123abcd.png", &cache),
            PathBuf::from("m/A-1.png")
        );
        // Both exist: the name without the fingerprint wins.
        std::fs::write(png.join("A-1.png"), b"y").unwrap();
        assert_eq!(
            name("m/A-1-0123abcd.png", &Cache::default()),
            PathBuf::from("m/A-1.png")
        );
    }
}
