//! `assetgen new PAGE FRAMES...`: shows the values it substitutes (and
//! where each came from), then writes the page, or with `--dry-run`
//! prints it on stdout.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use assetgen::{NewPage, Source};

use super::{flags, open_site, Exit, SiteArgs};

#[derive(Debug, Args)]
pub struct NewArgs {
    #[command(flatten)]
    site: SiteArgs,
    /// The new page, relative to the site root (e.g. pages/muscles/muscle_leg-soleus.md)
    #[arg(value_name = "PAGE")]
    page: PathBuf,
    /// The renders, under the source root: a stem (muscles/png/Leg-Soleus
    /// takes every Leg-Soleus-N.png there), a glob in quotes, or files
    #[arg(value_name = "FRAMES", required = true)]
    frames: Vec<String>,
    /// The page to imitate [default: the nearest page with a gallery, in the new page's folder first]
    #[arg(long, value_name = "PAGE")]
    like: Option<PathBuf>,
    /// The page's title [default: derived from the renders' name, as the model's is from its own]
    #[arg(long)]
    title: Option<String>,
    /// The page's permalink [default: derived like the title]
    #[arg(long)]
    permalink: Option<String>,
    /// The animation's image_id, which the body's includes name [default: derived like the title]
    #[arg(long)]
    id: Option<String>,
    /// Keep the frames in the order given (default: natural order, -2 before -10)
    #[arg(long)]
    no_sort: bool,
    /// Print the page on stdout instead of writing it
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    settings: flags::SettingFlags<flags::Site>,
}

pub fn run(a: NewArgs) -> Result<ExitCode, Exit> {
    let site = open_site(&a.site, &a.settings)?;
    let like = a.like.as_ref().map(|l| site.page_arg(l)).transpose()?;
    let req = NewPage {
        // The page does not exist yet: it is site-relative as given.
        page: PathBuf::from(a.page.to_string_lossy().trim_start_matches("./")),
        frames: a.frames.clone(),
        like,
        title: a.title.clone(),
        permalink: a.permalink.clone(),
        id: a.id.clone(),
        no_sort: a.no_sort,
    };
    let s = assetgen::scaffold(&site, &req)?;
    let how = if s.model_chosen {
        " (nearest page with a gallery; --like to choose)"
    } else {
        ""
    };
    eprintln!("new page {}", s.page.display());
    eprintln!("  like       {}{how}", s.model.display());
    let (first, last) = (
        s.frames.first().cloned().unwrap_or_default(),
        s.frames.last().cloned().unwrap_or_default(),
    );
    eprintln!("  frames     {} ({first} .. {last})", s.frames.len());
    for f in &s.fields {
        let source = match (f.source, f.name) {
            (Source::Given, _) => "given".to_string(),
            (_, "animation") => "from the renders' name".to_string(),
            (Source::Derived, n) => {
                format!("derived from the model's '{}'; --{n} to change", f.model)
            }
            (Source::Kept, n) => {
                format!("kept: the model's does not follow its renders' name; --{n} to change")
            }
        };
        eprintln!("  {:<10} {} ({source})", f.name, f.value);
    }
    for n in &s.notes {
        eprintln!("note: {n}");
    }
    if a.dry_run {
        print!("{}", s.text);
        eprintln!("dry run: {} not written", s.page.display());
        return Ok(ExitCode::SUCCESS);
    }
    assetgen::write_new_page(&site, &s)?;
    eprintln!(
        "wrote {}; assetgen build makes its animation, PNGs and thumbnails",
        s.page.display()
    );
    Ok(ExitCode::SUCCESS)
}
