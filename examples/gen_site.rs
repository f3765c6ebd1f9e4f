//! Bench helper: generates a site of N gallery pages from the example
//! renders, for the incremental-build benchmark (`make bench-incremental`).
//!
//! Each page gets 16 frames: the example renders reduced to a quarter size
//! (so a cold build of 200 pages takes minutes, not an hour, on 2 cores),
//! with one pixel changed per page so no two pages share a frame.
//!
//! usage: cargo run --release --example gen_site -- OUT_DIR [PAGES]

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use assetgen::{decode_png, resize, Rgba8};

fn encode_png(img: &Rgba8) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, img.width, img.height);
    enc.set_color(png::ColorType::Rgba);
    enc.set_compression(png::Compression::Fast);
    let mut w = enc.write_header().expect("in-memory PNG");
    w.write_image_data(&img.pixels).expect("in-memory PNG");
    w.finish().expect("in-memory PNG");
    out
}

fn main() {
    // `cargo bench` passes `--bench`; ignore flags.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let Some(out) = args.first().map(PathBuf::from) else {
        eprintln!("usage: gen_site OUT_DIR [PAGES]");
        std::process::exit(2);
    };
    let pages: usize = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(200);
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets-src/muscles/png");
    let stems = ["Leg-Gastrocnemius", "Back-Scapularis"];
    // The 2 x 16 reduced renders, decoded once.
    let base: Vec<Vec<Rgba8>> = stems
        .iter()
        .map(|stem| {
            (1..=16)
                .into_par_iter()
                .map(|n| {
                    let p = src.join(format!("{stem}-{n}.png"));
                    let img = decode_png(&std::fs::read(&p).expect("example renders"), &p)
                        .expect("decodes");
                    resize(&img, img.width / 4, img.height / 4).expect("resizes")
                })
                .collect()
        })
        .collect();
    std::fs::create_dir_all(out.join("pages")).expect("output folder");
    std::fs::write(
        out.join("_config.yml"),
        "title: generated\nurlimg: '/assets/images/'\n",
    )
    .expect("config");
    (0..pages).into_par_iter().for_each(|i| {
        let stem = format!("Muscle{i:04}");
        let frames = &base[i % 2];
        let dir = out.join("assets-src/muscles/png");
        std::fs::create_dir_all(&dir).expect("frames folder");
        let mut page = format!(
            "---\nlayout: page\ntitle: 'Muscle {i}'\nimages:\n  - image_id: '{stem}'\n    image_name: 'muscles/gif/{stem}.gif'\ngallery:\n"
        );
        for (n, frame) in frames.iter().enumerate() {
            let mut f = frame.clone();
            // One pixel per page differs, in the middle of the object.
            let at = (f.pixels.len() / 8) * 4;
            f.pixels[at] = (i % 251) as u8;
            f.pixels[at + 3] = 255;
            std::fs::write(dir.join(format!("{stem}-{}.png", n + 1)), encode_png(&f)).expect("frame");
            page.push_str(&format!(
                "  - image_url: muscles/png/{stem}-{n1}.png\n    caption: 'Muscle {i} - orientation {n1}'\n",
                n1 = n + 1
            ));
        }
        page.push_str("---\n\nGenerated page.\n");
        std::fs::write(out.join(format!("pages/{stem}.md")), page).expect("page");
    });
    eprintln!("generated {pages} pages in {}", out.display());
}
