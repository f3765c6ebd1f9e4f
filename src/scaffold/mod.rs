//! `assetgen new`: a page for new renders, written in the style of an
//! existing page.
//!
//! The real site's pages all have one shape, and adding one by hand means
//! typing sixteen gallery entries. So the new page is the model page's
//! text with its names substituted (see `words`), never a template
//! rendered from scratch: every key, comment, quoting style, line ending
//! and the body's layout are the model's. Values change through the
//! byte-preserving editor (`frontmatter::edit`) and the gallery is set
//! through the list editor (`frontmatter::gallery::set_gallery`), both
//! verified by parsing again. In the body only Liquid tags are touched
//! (`{% include page-image im_id="..." %}` must name the new id): its prose
//! is the model's, for the author to rewrite, and `notes` says so.

mod words;

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::frontmatter::{self, edit, gallery, Manifest, Node, Style};
use crate::naming::{common_stem, natural_cmp, split_frame_number, strip_fingerprint};
use crate::pipeline::cache::slash;
use crate::site::{glob_match, paths::front_matter_path, Site};
use words::{Stem, Vocabulary};

/// What to write.
#[derive(Debug, Clone, Default)]
pub struct NewPage {
    /// The new page, site-relative.
    pub page: PathBuf,
    /// The renders: each a stem (`muscles/png/Leg-Soleus`, every
    /// `Leg-Soleus-N.png` there), a glob (`muscles/png/Leg-Soleus-*.png`)
    /// or a file, relative to the source root (or to the site, starting
    /// with the source root).
    pub frames: Vec<String>,
    /// The page to imitate (site-relative); by default the nearest page
    /// with a gallery, in the new page's folder first.
    pub like: Option<PathBuf>,
    pub title: Option<String>,
    pub permalink: Option<String>,
    /// The animation's `image_id` (what the body's includes name).
    pub id: Option<String>,
    /// Keep the frames in the order given instead of natural order.
    pub no_sort: bool,
}

/// Where a value of the new page came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Given on the command line.
    Given,
    /// Made from the renders' name the way the model's is made from its own.
    Derived,
    /// The model's own: its value does not follow its renders' name, and
    /// it need not (an id only has to match the page's own includes).
    Kept,
}

/// One substituted value of the new page.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Field {
    /// `title`, `permalink`, `id`, `animation`.
    pub name: &'static str,
    pub model: String,
    pub value: String,
    pub source: Source,
}

/// The new page, ready to write.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Scaffold {
    pub page: PathBuf,
    pub model: PathBuf,
    /// The model was chosen as the nearest gallery page (no `--like`).
    pub model_chosen: bool,
    pub stem: String,
    /// The gallery values, in order.
    pub frames: Vec<String>,
    pub fields: Vec<Field>,
    /// What the author should look at: values still naming the model.
    pub notes: Vec<String>,
    /// The page's text.
    pub text: String,
}

/// Works out the new page (writes nothing).
pub fn scaffold(site: &Site, req: &NewPage) -> Result<Scaffold> {
    let page = &req.page;
    let usage = |path: &Path, message: String| Error::Usage {
        path: path.to_path_buf(),
        message,
    };
    if site.is_file(page) || site.abs(page).exists() {
        return Err(usage(page, "already exists; not overwriting it".into()));
    }
    if !site.is_page_path(page) {
        return Err(usage(
            page,
            "a build would not find a page there (it must end in .md, .markdown or .html, \
             outside _site, the image folders and _config.yml's exclude)"
                .into(),
        ));
    }
    let frames = resolve_frames(site, &req.frames, req.no_sort)?;
    let stem = frames_stem(&frames).ok_or_else(|| {
        usage(
            page,
            format!(
                "the renders do not share one name Name-N.png: {}",
                list(&frames)
            ),
        )
    })?;
    let frames_dir = frames[0]
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    if frames
        .iter()
        .any(|f| f.parent() != Some(frames_dir.as_path()))
    {
        return Err(usage(
            page,
            format!("the renders are in more than one folder: {}", list(&frames)),
        ));
    }

    let (model_path, model_chosen) = match &req.like {
        Some(m) => (m.clone(), false),
        None => (nearest_gallery_page(site, page)?, true),
    };
    let model = Model::read(site, &model_path)?;

    let new_stem = Stem::new(&stem);
    let mut vocab = Vocabulary {
        old: Stem::new(&model.stem),
        new: new_stem.clone(),
        pairs: Vec::new(),
    };
    let mut fields = Vec::new();
    let derive = |name: &'static str, model_value: &str, given: &Option<String>| -> Result<Field> {
        let (value, source) = match given {
            Some(v) => (v.clone(), Source::Given),
            None => match vocab.derive(model_value) {
                Some(v) => (v, Source::Derived),
                None if name == "id" => (model_value.to_string(), Source::Kept),
                None => {
                    return Err(usage(
                        page,
                        format!(
                            "cannot derive the {name} from the model's '{model_value}' ({} does not follow the name of its renders, {}); give --{name}",
                            model_path.display(),
                            model.stem
                        ),
                    ))
                }
            },
        };
        Ok(Field {
            name,
            model: model_value.to_string(),
            value,
            source,
        })
    };
    if let Some(t) = &model.title {
        fields.push(derive("title", t, &req.title)?);
    }
    if let Some(p) = &model.permalink {
        fields.push(derive("permalink", p, &req.permalink)?);
    }
    if let Some(i) = &model.id {
        fields.push(derive("id", i, &req.id)?);
    }
    let animation = new_animation(&model, &frames_dir, &stem);
    if let Some((old, new)) = &animation {
        fields.push(Field {
            name: "animation",
            model: old.clone(),
            value: new.clone(),
            source: Source::Derived,
        });
    }
    // Whole values first, so a title is replaced as a title.
    vocab.pairs = fields
        .iter()
        .map(|f| (f.model.clone(), f.value.clone()))
        .collect();
    vocab.pairs.push((
        slash(&model.frames_dir.join(&model.stem)),
        slash(&frames_dir.join(&stem)),
    ));

    let urls: Vec<String> = frames.iter().map(|f| slash(f)).collect();
    let text = write_page(&model, &vocab, &urls)
        .map_err(|m| usage(&model_path, format!("cannot be imitated: {m}")))?;
    verify(
        &text,
        page,
        &urls,
        animation.as_ref().map(|(_, n)| n.as_str()),
    )?;
    let notes = notes(&text, &model, &new_stem);
    Ok(Scaffold {
        page: page.clone(),
        model: model_path,
        model_chosen,
        stem,
        frames: urls,
        fields,
        notes,
        text,
    })
}

/// Writes the page, refusing to replace one that exists.
pub fn write(site: &Site, s: &Scaffold) -> Result<()> {
    site.create(&s.page, s.text.as_bytes())
}

/// The renders the specs name, as front-matter values (relative to the
/// source root), in natural order unless `no_sort`; each spec must match.
fn resolve_frames(site: &Site, specs: &[String], no_sort: bool) -> Result<Vec<PathBuf>> {
    let source = &site.settings.source;
    let usage = |spec: &str, message: String| Error::Usage {
        path: PathBuf::from(spec),
        message,
    };
    let mut all: Vec<PathBuf> = Vec::new();
    for spec in specs {
        let trimmed = spec.trim_start_matches("./");
        let rel = Path::new(trimmed)
            .strip_prefix(source)
            .map(slash)
            .unwrap_or_else(|_| trimmed.to_string());
        let value = front_matter_path(&rel, Path::new(spec))?;
        let value_s = slash(&value);
        let mut found: Vec<PathBuf> = if rel.contains(['*', '?']) {
            site.files_under(source)
                .into_iter()
                .filter_map(|f| f.strip_prefix(source).ok().map(Path::to_path_buf))
                .filter(|f| glob_match(&value_s, &slash(f)))
                .collect()
        } else if site.is_file(&site.source_of(&value)) {
            vec![value.clone()]
        } else {
            // A stem: every `<stem>-<number>.png` beside it.
            let dir = value.parent().map(Path::to_path_buf).unwrap_or_default();
            let name = value
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            site.files_under(&site.source_of(&dir))
                .into_iter()
                .filter_map(|f| f.strip_prefix(source).ok().map(Path::to_path_buf))
                .filter(|f| f.parent() == Some(dir.as_path()))
                .filter(|f| split_frame_number(f).is_some_and(|(base, _)| base == name))
                .collect()
        };
        found.retain(|f| {
            f.extension().is_some_and(|e| e.eq_ignore_ascii_case("png"))
                && !f.to_string_lossy().ends_with("-thumb.png")
        });
        if found.is_empty() {
            return Err(usage(
                spec,
                format!(
                    "no renders match under {} (give a stem like muscles/png/Leg-Soleus, a glob or PNG files)",
                    source.display()
                ),
            ));
        }
        if !no_sort {
            found.sort_by(|a, b| natural_cmp(&slash(a), &slash(b)));
        }
        for f in found {
            if !all.contains(&f) {
                all.push(f);
            }
        }
    }
    if !no_sort {
        all.sort_by(|a, b| natural_cmp(&slash(a), &slash(b)));
    }
    Ok(all)
}

fn frames_stem(frames: &[PathBuf]) -> Option<String> {
    common_stem(frames.iter().map(PathBuf::as_path))
}

fn list(frames: &[PathBuf]) -> String {
    let mut names: Vec<String> = frames.iter().take(4).map(|f| slash(f)).collect();
    if frames.len() > 4 {
        names.push("...".into());
    }
    names.join(", ")
}

/// The gallery page nearest to `page`: in its folder first, then the
/// folder sharing most of its path; among those, the one whose file name
/// shares the longest beginning with the new one (`muscle_leg-` pages for
/// `muscle_leg-soleus.md`), then the first by name.
fn nearest_gallery_page(site: &Site, page: &Path) -> Result<PathBuf> {
    let dir = page.parent().unwrap_or(Path::new(""));
    let name = page
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut best: Option<((usize, usize), PathBuf)> = None;
    for candidate in site.discover_pages()? {
        if Model::read(site, &candidate).is_err() {
            continue;
        }
        let cdir = candidate.parent().unwrap_or(Path::new(""));
        let shared_dirs = dir
            .components()
            .zip(cdir.components())
            .take_while(|(a, b)| a == b)
            .count();
        let same = usize::from(cdir == dir);
        let cname = candidate
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let shared_name = name
            .chars()
            .zip(cname.chars())
            .take_while(|(a, b)| a == b)
            .count();
        let score = (same * 10_000 + shared_dirs * 100, shared_name);
        if best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, p)| p).ok_or_else(|| Error::Usage {
        path: page.to_path_buf(),
        message: "no page with a gallery to imitate in this site; give --like PAGE".into(),
    })
}

/// What is read from the model page.
struct Model {
    text: String,
    stem: String,
    frames_dir: PathBuf,
    /// The animation's `image_name` value.
    animation: Option<String>,
    title: Option<String>,
    permalink: Option<String>,
    /// The animation entry's `image_id`.
    id: Option<String>,
}

impl Model {
    fn read(site: &Site, path: &Path) -> Result<Model> {
        let bad = |message: String| Error::Usage {
            path: path.to_path_buf(),
            message,
        };
        let bytes = site.read(path, path)?;
        let text = String::from_utf8(bytes).map_err(|_| bad("not UTF-8 text".into()))?;
        let root = frontmatter::parse(&text, path)?
            .ok_or_else(|| bad("has no front matter to imitate".into()))?;
        let manifest = Manifest::from_front_matter(&root, &text, path)?;
        if manifest.gallery.is_empty() {
            return Err(bad("has no gallery to imitate".into()));
        }
        let frames: Vec<PathBuf> = manifest
            .gallery
            .iter()
            .map(|g| {
                let p = PathBuf::from(&g.image_url.value);
                strip_fingerprint(&p).unwrap_or(p)
            })
            .collect();
        let stem = frames_stem(&frames).ok_or_else(|| {
            bad("its gallery's frames do not share one name Name-N.png, so there is no name to substitute".into())
        })?;
        let frames_dir = frames[0]
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        // The animation: the only .gif, or the one named after the frames.
        let gifs: Vec<&Node> = match root.get("images") {
            Some(Node::Seq(items)) => items
                .iter()
                .filter(|i| {
                    i.get("image_name")
                        .and_then(Node::as_scalar)
                        .is_some_and(|s| s.value.to_ascii_lowercase().ends_with(".gif"))
                })
                .collect(),
            _ => Vec::new(),
        };
        let named = |i: &Node| {
            i.get("image_name")
                .and_then(Node::as_scalar)
                .is_some_and(|s| {
                    let p = PathBuf::from(&s.value);
                    let p = strip_fingerprint(&p).unwrap_or(p);
                    p.file_stem().is_some_and(|f| f.to_string_lossy() == stem)
                })
        };
        let entry = match gifs.as_slice() {
            [one] => Some(*one),
            many => many.iter().find(|i| named(i)).copied(),
        };
        let scalar = |n: Option<&Node>, key: &str| {
            n.and_then(|n| n.get(key))
                .and_then(Node::as_scalar)
                .map(|s| s.value.clone())
        };
        Ok(Model {
            animation: scalar(entry, "image_name"),
            id: scalar(entry, "image_id"),
            title: scalar(Some(&root), "title"),
            permalink: scalar(Some(&root), "permalink"),
            stem,
            frames_dir,
            text,
        })
    }
}

/// The new animation's value: the model's with the new stem, in the folder
/// that stands to the new frames as the model's stands to its frames
/// (`muscles/gif/` for frames in `muscles/png/`).
fn new_animation(model: &Model, frames_dir: &Path, stem: &str) -> Option<(String, String)> {
    let old = model.animation.as_ref()?;
    let old_path = PathBuf::from(old);
    let base = strip_fingerprint(&old_path).unwrap_or(old_path);
    let gif_dir = base.parent().map(Path::to_path_buf).unwrap_or_default();
    let ext = base
        .extension()
        .map(|e| e.to_string_lossy().into_owned())
        .unwrap_or_else(|| "gif".into());
    let shared = model
        .frames_dir
        .components()
        .zip(gif_dir.components())
        .take_while(|(a, b)| a == b)
        .count();
    let frames_tail: PathBuf = model.frames_dir.components().skip(shared).collect();
    let gif_tail: PathBuf = gif_dir.components().skip(shared).collect();
    let new_dir = if frames_dir == model.frames_dir {
        gif_dir.clone()
    } else {
        match strip_suffix_path(frames_dir, &frames_tail) {
            Some(prefix) => prefix.join(&gif_tail),
            None => gif_dir.clone(),
        }
    };
    Some((old.clone(), slash(&new_dir.join(format!("{stem}.{ext}")))))
}

/// `a/b/c` without the trailing `b/c`.
fn strip_suffix_path(path: &Path, tail: &Path) -> Option<PathBuf> {
    let p: Vec<_> = path.components().collect();
    let t: Vec<_> = tail.components().collect();
    if t.len() > p.len() || p[p.len() - t.len()..] != t[..] {
        return None;
    }
    Some(p[..p.len() - t.len()].iter().collect())
}

/// The model's text with its values substituted, the gallery set to
/// `urls`, and the body's Liquid tags substituted.
fn write_page(
    model: &Model,
    vocab: &Vocabulary,
    urls: &[String],
) -> std::result::Result<String, String> {
    let text = &model.text;
    let root = edit::parse_root(text)?;
    let mut edits = Vec::new();
    for s in edit::values(&root) {
        let new_value = vocab.substitute(&s.value);
        if new_value == s.value {
            continue;
        }
        if s.aliased || matches!(s.style, Style::Literal | Style::Folded) {
            // Not edited in place; `notes` points at what still names the model.
            continue;
        }
        edits.push(edit::Edit {
            scalar: s.clone(),
            new_value,
        });
    }
    let text = edit::apply(text, &edits)?;
    let text = gallery::set_gallery(&text, urls)?;
    let split = frontmatter::split(&text).ok_or("no front matter")?;
    let body_start = text[split.yaml.end..]
        .find('\n')
        .map_or(text.len(), |i| split.yaml.end + i + 1);
    let (head, body) = text.split_at(body_start);
    Ok(format!("{head}{}", liquid_substituted(body, vocab)))
}

/// The body with names substituted inside Liquid tags (`{% %}`, `{{ }}`)
/// only: the includes must name the new ids; the prose is the author's.
fn liquid_substituted(body: &str, vocab: &Vocabulary) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(open) = rest.find("{%").into_iter().chain(rest.find("{{")).min() {
        let close_tag = if rest[open..].starts_with("{%") {
            "%}"
        } else {
            "}}"
        };
        let Some(close) = rest[open + 2..].find(close_tag).map(|i| open + 2 + i + 2) else {
            break;
        };
        out.push_str(&rest[..open]);
        out.push_str(&vocab.substitute(&rest[open..close]));
        rest = &rest[close..];
    }
    out.push_str(rest);
    out
}

/// The new page must read back as a page with these frames and animation.
fn verify(text: &str, page: &Path, urls: &[String], animation: Option<&str>) -> Result<()> {
    let root = frontmatter::parse(text, page)?.ok_or_else(|| Error::Usage {
        path: page.to_path_buf(),
        message: "the new page has no front matter".into(),
    })?;
    let m = Manifest::from_front_matter(&root, text, page)?;
    let got: Vec<&str> = m
        .gallery
        .iter()
        .map(|g| g.image_url.value.as_str())
        .collect();
    let named = animation.is_none_or(|a| m.images.iter().any(|i| i.image_name.value == a));
    if got != urls || !named {
        return Err(Error::Usage {
            path: page.to_path_buf(),
            message: "the new page would not read back with its renders; nothing written".into(),
        });
    }
    Ok(())
}

/// Values of the new page that still name the model's renders (a word of
/// its stem that is not one of the new stem's), and a reminder that the
/// body's text is the model's.
fn notes(text: &str, model: &Model, new: &Stem) -> Vec<String> {
    let old_words: Vec<String> = Stem::new(&model.stem)
        .words_lower()
        .into_iter()
        .filter(|w| !new.words_lower().contains(w) && w.chars().any(char::is_alphabetic))
        .collect();
    let names_old = |s: &str| {
        let lower = s.to_lowercase();
        old_words.iter().any(|w| {
            lower
                .split(|c: char| !c.is_alphanumeric())
                .any(|token| token == w)
        })
    };
    let mut notes = Vec::new();
    if let Ok(root) = edit::parse_root(text) {
        let mut seen: Vec<String> = Vec::new();
        for (key, s) in edit::keyed_values(&root) {
            if names_old(&s.value) && !seen.contains(&key) {
                notes.push(format!(
                    "{key}: '{}' still names the model's renders",
                    s.value
                ));
                seen.push(key);
            }
        }
    }
    if let Some(split) = frontmatter::split(text) {
        if names_old(&text[split.yaml.end..]) {
            notes.push(format!(
                "the body's text is the model's ({}); rewrite it for {}",
                model.stem,
                new.as_str()
            ));
        }
    }
    notes
}
