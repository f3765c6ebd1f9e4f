//! Bench helper: generates a site with one gallery of large frames, for the
//! memory benchmark (`benches/memory.sh`), where the point is how much of
//! the frames' raw pixels a build holds at once, not how the pixels look.
//!
//! The frames are render-like (a shaded disc on a transparent background
//! that turns from frame to frame, with a little deterministic noise), so
//! that they compress about as well as real renders do and the source
//! bytes a build reads are of a realistic size.
//!
//! usage: cargo run --release --example gen_gallery -- OUT_DIR [FRAMES] [WIDTH] [HEIGHT]

use std::path::PathBuf;

use rayon::prelude::*;

fn frame(n: u32, frames: u32, width: u32, height: u32) -> Vec<u8> {
    let (cx, cy) = (width as f32 / 2.0, height as f32 / 2.0);
    let r = cx.min(cy) * 0.9;
    let angle = n as f32 / frames as f32 * std::f32::consts::TAU;
    let (lx, ly) = (angle.cos(), angle.sin());
    let mut seed = 0x9e37_79b9_u32.wrapping_mul(n + 1);
    let mut px = Vec::with_capacity(width as usize * height as usize * 4);
    for y in 0..height {
        for x in 0..width {
            let (dx, dy) = ((x as f32 - cx) / r, (y as f32 - cy) / r);
            let d2 = dx * dx + dy * dy;
            if d2 > 1.0 {
                px.extend_from_slice(&[0, 0, 0, 0]);
                continue;
            }
            // Lambert shading of a sphere lit from a turning direction.
            let dz = (1.0 - d2).sqrt();
            let light = (dx * lx + dy * ly + dz).max(0.0) / 2f32.sqrt();
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let noise = (seed & 3) as f32;
            let v = |base: f32| (base * light + noise).min(255.0) as u8;
            let edge = ((1.0 - d2) * 40.0).min(1.0);
            px.extend_from_slice(&[v(200.0), v(90.0), v(80.0), (edge * 255.0) as u8]);
        }
    }
    px
}

fn encode_png(width: u32, height: u32, pixels: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, width, height);
    enc.set_color(png::ColorType::Rgba);
    enc.set_compression(png::Compression::Fast);
    let mut w = enc.write_header().expect("in-memory PNG");
    w.write_image_data(pixels).expect("in-memory PNG");
    w.finish().expect("in-memory PNG");
    out
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let Some(out) = args.first().map(PathBuf::from) else {
        eprintln!("usage: gen_gallery OUT_DIR [FRAMES] [WIDTH] [HEIGHT]");
        std::process::exit(2);
    };
    let num = |i: usize, default: u32| args.get(i).and_then(|n| n.parse().ok()).unwrap_or(default);
    let (frames, width, height) = (num(1, 16), num(2, 2048), num(3, 2048));
    let dir = out.join("assets-src/big/png");
    std::fs::create_dir_all(&dir).expect("frames folder");
    std::fs::create_dir_all(out.join("pages")).expect("pages folder");
    std::fs::write(
        out.join("_config.yml"),
        "title: generated\nurlimg: '/assets/images/'\n",
    )
    .expect("config");
    (1..=frames).into_par_iter().for_each(|n| {
        let px = frame(n, frames, width, height);
        std::fs::write(
            dir.join(format!("Big-{n}.png")),
            encode_png(width, height, &px),
        )
        .expect("frame");
    });
    let mut page = String::from(
        "---\nlayout: page\ntitle: 'Big'\nimages:\n  - image_id: 'big'\n    image_name: 'big/gif/Big.gif'\ngallery:\n",
    );
    for n in 1..=frames {
        page.push_str(&format!(
            "  - image_url: big/png/Big-{n}.png\n    caption: 'Big - orientation {n}'\n"
        ));
    }
    page.push_str("---\n\nGenerated page.\n");
    std::fs::write(out.join("pages/big.md"), page).expect("page");
    eprintln!(
        "generated {frames} frames of {width}x{height} in {}",
        out.display()
    );
}
