//! Criterion benchmarks of each pipeline stage on the example site's real
//! renders (`assets-src/muscles/png/Leg-Gastrocnemius-*.png`, 16 frames
//! 480x720 RGBA): decoding, the GIF encoder, PNG optimisation at each
//! effort the defaults use or offer cheaply (lossless 0-2, lossy) and
//! thumbnails. Run with `make bench`; whole-job timings against the peer
//! tools are `make bench-peers`.

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion};
use rayon::prelude::*;

use assetgen::{decode_png, Rgba8, Settings};

fn frame_paths() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets-src/muscles/png");
    (1..=16)
        .map(|n| dir.join(format!("Leg-Gastrocnemius-{n}.png")))
        .collect()
}

fn load() -> (Vec<Vec<u8>>, Vec<Rgba8>) {
    let bytes: Vec<Vec<u8>> = frame_paths()
        .iter()
        .map(|p| std::fs::read(p).expect("example renders are in assets-src/"))
        .collect();
    let frames = bytes
        .iter()
        .map(|b| decode_png(b, Path::new("frame")).expect("renders decode"))
        .collect();
    (bytes, frames)
}

fn stages(c: &mut Criterion) {
    let (bytes, frames) = load();
    let mut g = c.benchmark_group("gastrocnemius-16-frames");
    g.sample_size(10);
    g.bench_function("decode", |b| {
        b.iter(|| {
            bytes
                .par_iter()
                .map(|b| decode_png(b, Path::new("f")).map(|f| f.width))
                .collect::<Result<Vec<_>, _>>()
        })
    });
    g.bench_function("gif-encode", |b| {
        b.iter(|| assetgen::encode_gif(&frames, &Settings::default()))
    });
    g.bench_function("thumbnails", |b| {
        b.iter(|| {
            frames
                .par_iter()
                .map(|f| assetgen::thumbnail(f, &Settings::default()))
                .collect::<Result<Vec<_>, _>>()
        })
    });
    for effort in [0, 1, 2] {
        let opts = Settings {
            png_effort: effort,
            ..Settings::default()
        };
        g.bench_function(format!("png-lossless-effort-{effort}"), |b| {
            b.iter(|| {
                bytes
                    .par_iter()
                    .zip(&frames)
                    .map(|(b, f)| assetgen::encode_frame(b, f, &opts))
                    .collect::<Result<Vec<_>, _>>()
            })
        });
    }
    let lossy = Settings {
        png_lossy: true,
        ..Settings::default()
    };
    g.bench_function("png-lossy", |b| {
        b.iter(|| {
            bytes
                .par_iter()
                .zip(&frames)
                .map(|(b, f)| assetgen::encode_frame(b, f, &lossy))
                .collect::<Result<Vec<_>, _>>()
        })
    });
    g.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
