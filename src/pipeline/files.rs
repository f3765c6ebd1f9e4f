//! Outputs made from files named on the command line, outside any site:
//! the `gif`, `png` and `thumb` commands, for regenerating one turntable or
//! a folder of frames by hand. The same output kinds as a build, through
//! the same registry; the user named these files, so they are read and
//! written where they are, each write atomic, and never over one of the
//! command's own inputs (compared by where they sit on disk, so `./a.png`,
//! `a.png` and a symlink to it are one file).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::image::decode::{decode_png, png_size, read_png, Rgba8};
use crate::image::frames::Frames;
use crate::kind::Kind;
use crate::outputs::{self, GalleryOutput};
use crate::pipeline::validate::{check_frame_sizes, check_pixel_budget};
use crate::settings::Settings;
use crate::site::fs::{read_regular, write_atomic, NEVER};
use crate::site::paths::{place_of, places_of};

/// Reads and decodes frames in parallel, checking they share one size and,
/// before decoding any, that together they fit `megapixels` (the
/// `gallery_megapixels` setting; `gallery` names them in that error).
pub fn read_frames(paths: &[PathBuf], megapixels: u32, gallery: &Path) -> Result<Vec<Rgba8>> {
    let files = paths
        .par_iter()
        .map(|p| read_regular(p, p, &NEVER))
        .collect::<Result<Vec<Vec<u8>>>>()?;
    let claimed: Vec<(u32, u32)> = files.iter().filter_map(|b| png_size(b)).collect();
    check_pixel_budget(&claimed, megapixels, gallery)?;
    let frames = files
        .into_par_iter()
        .zip(paths)
        .map(|(bytes, p)| decode_png(&bytes, p))
        .collect::<Result<Vec<_>>>()?;
    let sizes: Vec<(u32, u32)> = frames.iter().map(Rgba8::dimensions).collect();
    let files: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    check_frame_sizes(&sizes, &files)?;
    Ok(frames)
}

/// The `gif` command: makes every gallery output the settings ask for (the
/// GIF at `out`, and the videos beside it) from the frames in these files,
/// in order. No output may land on one of them (that is [`Error::Usage`],
/// before anything is read).
pub fn animation_from_files(
    frames: &[PathBuf],
    out: &Path,
    settings: &Settings,
) -> Result<Vec<(PathBuf, u64)>> {
    for output in outputs::gallery_outputs(settings) {
        let path = output.name(out);
        if let Some(input) = input_at(&path, frames) {
            return Err(Error::Usage {
                path,
                message: format!(
                    "is also an input frame ({}); writing it would destroy that frame, choose another output",
                    input.display()
                ),
            });
        }
    }
    let decoded = read_frames(frames, settings.gallery_megapixels, out)?;
    write_animations(decoded, out, settings)
}

/// One file named twice (`a.png`, `./a.png`, or a symlink to it).
fn same_file(a: &Path, b: &Path) -> bool {
    a == b || places_of(a).iter().any(|p| places_of(b).contains(p))
}

/// The input that sits where `out` would be written, if any.
fn input_at<'a>(out: &Path, inputs: &'a [PathBuf]) -> Option<&'a PathBuf> {
    let place = place_of(out)?;
    inputs.iter().find(|i| places_of(i).contains(&place))
}

/// Makes a gallery output of `kind` from decoded frames and writes it to `out`.
pub fn write_animation(
    frames: Vec<Rgba8>,
    kind: Kind,
    out: &Path,
    settings: &Settings,
) -> Result<u64> {
    let output: &dyn GalleryOutput =
        outputs::gallery_output(kind).ok_or_else(|| Error::Encode {
            path: out.to_path_buf(),
            message: format!("{kind} is not made from a whole gallery"),
        })?;
    write_one(output, &shared(frames, 1, out)?, out, settings)
}

/// Makes every gallery output the settings ask for (the GIF at `out`, and
/// the videos beside it, named by the same rules as in a build) from
/// decoded frames, letting go of each frame once all have read it (see
/// [`outputs::make_gallery`]). Returns each file written with its size.
pub fn write_animations(
    frames: Vec<Rgba8>,
    out: &Path,
    settings: &Settings,
) -> Result<Vec<(PathBuf, u64)>> {
    let wanted = outputs::gallery_outputs(settings);
    let frames = shared(frames, wanted.len(), out)?;
    outputs::make_gallery(
        &wanted,
        |o| *o,
        |o| {
            let path = o.name(out);
            let bytes = write_one(*o, &frames, &path, settings)?;
            Ok((path, bytes))
        },
    )
    .into_iter()
    .collect()
}

/// The frames, shared by `readers` outputs; an error naming `out` when
/// there are none or their sizes differ.
fn shared(frames: Vec<Rgba8>, readers: usize, out: &Path) -> Result<Frames> {
    Frames::new(frames, readers).ok_or_else(|| Error::Encode {
        path: out.to_path_buf(),
        message: "needs frames, all of one size".into(),
    })
}

/// Makes one gallery output from the shared frames and writes it to `out`.
fn write_one(
    output: &dyn GalleryOutput,
    frames: &Frames,
    out: &Path,
    settings: &Settings,
) -> Result<u64> {
    let bytes = output
        .make(frames, settings)
        .map_err(|message| Error::Encode {
            path: out.to_path_buf(),
            message,
        })?;
    write_atomic(out, &bytes, out)?;
    Ok(bytes.len() as u64)
}

/// One file converted by [`convert_files`]: where it went and its size.
pub type Converted = Result<(PathBuf, u64)>;

/// Makes the frame output of `kind` (a PNG copy or a thumbnail) of every
/// file, in parallel, into `out_dir`, named as a build would name it for a
/// frame called `<file stem>.png`. A bad file is an error of its own and
/// the others are still done; no input is ever overwritten. Two inputs
/// that would write one output (`a/f.png` and `b/f.png`) are refused
/// before anything is read: one would silently win, a different one per
/// run (unless that output is an input: then each is refused on its own).
pub fn convert_files(
    files: &[PathBuf],
    out_dir: &Path,
    kind: Kind,
    settings: &Settings,
) -> Result<Vec<Converted>> {
    let output = outputs::frame_output(kind).ok_or_else(|| Error::Encode {
        path: out_dir.to_path_buf(),
        message: format!("{kind} is not made from one frame"),
    })?;
    let target = |file: &Path| {
        let stem = file.file_stem().unwrap_or_default().to_string_lossy();
        out_dir.join(output.name(Path::new(&format!("{stem}.png"))))
    };
    let mut seen: HashMap<PathBuf, &PathBuf> = HashMap::new();
    for file in files {
        let out = target(file);
        // An output over an input is refused for each file that would
        // write it (below): nothing is written there, so none would win.
        if input_at(&out, files).is_some() {
            continue;
        }
        if let Some(first) = seen.insert(out, file) {
            if !same_file(first, file) {
                return Err(Error::Usage {
                    path: file.clone(),
                    message: format!(
                        "same output name as {}: both would be written to {}; convert them into different folders",
                        first.display(),
                        target(file).display()
                    ),
                });
            }
        }
    }
    std::fs::create_dir_all(out_dir).map_err(|e| Error::io(out_dir, e))?;
    let outs: Vec<PathBuf> = files.iter().map(|f| target(f)).collect();
    let one = |(file, out): (&PathBuf, &PathBuf)| -> Converted {
        if let Some(input) = input_at(out, files) {
            let whose = if same_file(input, file) {
                "the source".to_string()
            } else {
                format!("another input, {}", input.display())
            };
            return Err(Error::Encode {
                path: file.clone(),
                message: format!(
                    "output {} would overwrite {whose}; choose another output folder (-o)",
                    out.display()
                ),
            });
        }
        let out = out.clone();
        let (bytes, image) = read_png(file, file)?;
        let encoded = output
            .make(&bytes, &image, settings)
            .map_err(|message| Error::Encode {
                path: out.clone(),
                message,
            })?;
        write_atomic(&out, &encoded, &out)?;
        Ok((out, encoded.len() as u64))
    };
    Ok(files.par_iter().zip(&outs).map(one).collect())
}
