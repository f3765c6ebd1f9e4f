//! Bench helper: the GIF encoder with any GIF setting on the command line
//! (`--gif-quality 0.99`, `--gif-lossy 30`...), printing what the encoder
//! did (the level chosen, the search's estimate, where the time went) and,
//! with `--ssim`, the library's own SSIM of the result against the frames
//! on the matte; with `--curve`, the quality search's estimate at each
//! level. It is how the quality search was checked against skimage
//! (`benches/gifq.py`) and how the README's curves were made.
//!
//! usage: gif_encode [-j N] [--SETTING VALUE]... [--ssim] [--curve L,L,...]
//!                   -o OUT.gif FRAME...

use std::path::PathBuf;
use std::time::Instant;

use rayon::prelude::*;

use assetgen::{Rgba8, Settings};

fn main() {
    let mut args = std::env::args().skip(1);
    let mut opts = Settings::default();
    let (mut out, mut jobs, mut check, mut curve) = (None, 0usize, false, None);
    let mut frames = Vec::new();
    let usage = "see the module doc for usage";
    while let Some(a) = args.next() {
        let mut value = || args.next().expect(usage);
        match a.as_str() {
            "-o" => out = Some(PathBuf::from(value())),
            "-j" => jobs = value().parse().expect(usage),
            "--ssim" => check = true,
            "--curve" => {
                curve = Some(
                    value()
                        .split(',')
                        .map(|l| l.parse::<u16>().expect(usage))
                        .collect::<Vec<_>>(),
                )
            }
            "--bench" => {}
            flag if flag.starts_with("--") => {
                let key = flag[2..].replace('-', "_");
                let setting = assetgen::setting(&key).expect("a known setting");
                (setting.apply)(&mut opts, &value()).expect("a valid value");
            }
            _ => frames.push(PathBuf::from(a)),
        }
    }
    let out = out.expect(usage);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .expect("thread pool");
    pool.install(|| {
        let start = Instant::now();
        let frames: Vec<Rgba8> = frames
            .par_iter()
            .map(|p| {
                assetgen::read_png(p, p)
                    .map(|(_, f)| f)
                    .expect("readable PNG")
            })
            .collect();
        let decoded = start.elapsed();
        if let Some(levels) = curve {
            for (level, est, bytes) in assetgen::estimate_gif_quality_curve(&frames, &opts, &levels)
            {
                println!("curve level={level} estimate={est:.5} trial_bytes={bytes}");
            }
            return;
        }
        let start = Instant::now();
        let (bytes, stats) = assetgen::encode_gif_with_stats(&frames, &opts).expect("encodes");
        let took = start.elapsed();
        std::fs::write(&out, &bytes).expect("writable output");
        println!(
            "bytes={} level={} estimate={} trials={} colors={} decode={:.3}s encode={:.3}s palette={:.3}s search={:.3}s frames={:.3}s prepare_cpu={:.3}s diff_cpu={:.3}s lzw_cpu={:.3}s",
            bytes.len(),
            stats.level,
            stats.estimate.map_or("-".into(), |e| format!("{e:.5}")),
            stats.trials,
            stats.colors,
            decoded.as_secs_f64(),
            took.as_secs_f64(),
            stats.palette_time.as_secs_f64(),
            stats.search_time.as_secs_f64(),
            stats.frames_time.as_secs_f64(),
            stats.prepare_cpu.as_secs_f64(),
            stats.difference_cpu.as_secs_f64(),
            stats.lzw_cpu.as_secs_f64(),
        );
        if check {
            let (mean, min) = ssim_of(&bytes, &frames, &opts);
            println!("library_ssim_mean={mean:.5} library_ssim_min={min:.5}");
        }
    });
}

/// Mean and worst-frame SSIM of the GIF against the frames, both on the matte.
fn ssim_of(gif_bytes: &[u8], frames: &[Rgba8], opts: &Settings) -> (f64, f64) {
    let shown = composite(gif_bytes, opts.matte.0);
    let scores: Vec<f64> = frames
        .par_iter()
        .zip(&shown)
        .map(|(f, got)| {
            let want: Vec<u8> = f
                .pixels
                .chunks_exact(4)
                .flat_map(|p| {
                    let a = u32::from(p[3]);
                    let m = opts.matte.0;
                    [0, 1, 2].map(|c| {
                        ((u32::from(p[c]) * a + u32::from(m[c]) * (255 - a) + 127) / 255) as u8
                    })
                })
                .collect();
            assetgen::mean_ssim(&want, got, f.width as usize)
        })
        .collect();
    let mean = scores.iter().sum::<f64>() / scores.len().max(1) as f64;
    let min = scores.iter().copied().fold(f64::INFINITY, f64::min);
    (mean, min)
}

/// Every frame as a browser shows it (disposal honoured, canvas cleared
/// at the loop), on the matte, interleaved RGB.
fn composite(bytes: &[u8], matte: [u8; 3]) -> Vec<Vec<u8>> {
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::Indexed);
    let mut d = options.read_info(bytes).expect("our own GIF decodes");
    let w = d.width() as usize;
    let h = d.height() as usize;
    let global = d.global_palette().map(<[u8]>::to_vec).unwrap_or_default();
    let mut canvas: Vec<Option<[u8; 3]>> = vec![None; w * h];
    let mut out = Vec::new();
    while let Some(f) = d.read_next_frame().expect("frame decodes") {
        let pal = f.palette.clone().unwrap_or_else(|| global.clone());
        for y in 0..f.height as usize {
            for x in 0..f.width as usize {
                let i = f.buffer[y * f.width as usize + x];
                if Some(i) == f.transparent {
                    continue;
                }
                let p = (f.top as usize + y) * w + f.left as usize + x;
                let c = &pal[i as usize * 3..i as usize * 3 + 3];
                canvas[p] = Some([c[0], c[1], c[2]]);
            }
        }
        out.push(canvas.iter().flat_map(|c| c.unwrap_or(matte)).collect());
        if f.dispose == gif::DisposalMethod::Background {
            for y in 0..f.height as usize {
                let row = (f.top as usize + y) * w + f.left as usize;
                canvas[row..row + f.width as usize].fill(None);
            }
        }
    }
    out
}
