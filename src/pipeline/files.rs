//! Outputs made from files named on the command line, outside any site:
//! the `gif`, `png` and `thumb` commands, for regenerating one turntable or
//! a folder of frames by hand. The same output kinds as a build, through
//! the same registry; the user named these files, so they are read and
//! written where they are, each write atomic.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::image::decode::{read_png, Rgba8};
use crate::kind::Kind;
use crate::outputs::{self, GalleryOutput};
use crate::pipeline::validate::check_frame_sizes;
use crate::settings::Settings;
use crate::site::fs::write_atomic;

/// Reads and decodes frames in parallel, checking they share one size.
pub fn read_frames(paths: &[PathBuf]) -> Result<Vec<Rgba8>> {
    let frames = paths
        .par_iter()
        .map(|p| read_png(p, p).map(|(_, image)| image))
        .collect::<Result<Vec<_>>>()?;
    let sizes: Vec<(u32, u32)> = frames.iter().map(Rgba8::dimensions).collect();
    let files: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    check_frame_sizes(&sizes, &files)?;
    Ok(frames)
}

/// Makes a gallery output of `kind` from decoded frames and writes it to `out`.
pub fn write_animation(
    frames: &[Rgba8],
    kind: Kind,
    out: &Path,
    settings: &Settings,
) -> Result<u64> {
    let output: &dyn GalleryOutput =
        outputs::gallery_output(kind).ok_or_else(|| Error::Encode {
            path: out.to_path_buf(),
            message: format!("{kind} is not made from a whole gallery"),
        })?;
    let bytes = output
        .make(frames, settings)
        .map_err(|message| Error::Encode {
            path: out.to_path_buf(),
            message,
        })?;
    write_atomic(out, &bytes, out)?;
    Ok(bytes.len() as u64)
}

/// Makes every gallery output the settings ask for (the GIF at `out`, and
/// the videos beside it, named by the same rules as in a build) from
/// decoded frames, side by side. Returns each file written with its size.
pub fn write_animations(
    frames: &[Rgba8],
    out: &Path,
    settings: &Settings,
) -> Result<Vec<(PathBuf, u64)>> {
    outputs::gallery_outputs(settings)
        .par_iter()
        .map(|o| {
            let path = o.name(out);
            let bytes = write_animation(frames, o.kind(), &path, settings)?;
            Ok((path, bytes))
        })
        .collect()
}

/// One file converted by [`convert_files`]: where it went and its size.
pub type Converted = Result<(PathBuf, u64)>;

/// Makes the frame output of `kind` (a PNG copy or a thumbnail) of every
/// file, in parallel, into `out_dir`, named as a build would name it for a
/// frame called `<file stem>.png`. A bad file is an error of its own and
/// the others are still done; a source is never overwritten. Two inputs
/// that would write one output (`a/f.png` and `b/f.png`) are refused
/// before anything is read: one would silently win, a different one per run.
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
        if let Some(first) = seen.insert(target(file), file) {
            if !same_file(first, file) && first != file {
                return Err(Error::Site {
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
    let one = |file: &PathBuf| -> Converted {
        let out = target(file);
        if same_file(file, &out) {
            return Err(Error::Encode {
                path: file.clone(),
                message: "output would overwrite the source; choose another --out-dir".into(),
            });
        }
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
    Ok(files.par_iter().map(one).collect())
}

/// True when both paths name one existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}
