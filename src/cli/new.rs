//! `assetgen new PAGE FRAMES...`: shows the values it substitutes (and
//! where each came from), then writes the page, or with `--dry-run`
//! prints it on stdout.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use assetgen::NewPage;

use super::commands::{open_site, Outcome};
use super::output::Printer;
use super::{flags, OutputArgs, SiteArgs};

#[derive(Debug, Args)]
pub struct NewArgs {
    #[command(flatten)]
    site: SiteArgs,
    /// The new page (e.g. pages/muscles/muscle_leg-soleus.md), relative to the current folder when its folder is there, else to the site root
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
    out: OutputArgs,
    #[command(flatten)]
    settings: flags::SettingFlags<flags::Site>,
}

pub fn run(a: NewArgs) -> Outcome {
    let printer = Printer::new(&a.out);
    let site = open_site(&a.site, &a.settings)?;
    let like = a.like.as_ref().map(|l| site.page_arg(l)).transpose()?;
    let req = NewPage {
        page: site.new_page_arg(&a.page)?,
        frames: a.frames.clone(),
        like,
        title: a.title.clone(),
        permalink: a.permalink.clone(),
        id: a.id.clone(),
        no_sort: a.no_sort,
    };
    let s = assetgen::scaffold(&site, &req)?;
    if !a.dry_run {
        assetgen::write_new_page(&site, &s)?;
    }
    printer.new_page(&s, a.dry_run)?;
    Ok(ExitCode::SUCCESS)
}
