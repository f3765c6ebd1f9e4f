//! Bench helper: renders a synthetic turntable (16 frames of a lit,
//! textured object turning about its vertical axis), so the GIF encoder can
//! be measured on frames larger than the example renders without
//! committing big images (`benches/gif-large.sh`, `make bench-large`, makes
//! them on the fly).
//!
//! The object is a bumpy, striped sphere-like blob with Lambert and
//! specular shading, a little per-pixel render noise and anti-aliased
//! edges: the mix of flat background, smooth shading, fine texture and
//! noise that real turntable renders have. `rgb` puts it on flat grey,
//! `rgba` on a transparent canvas with a soft, semi-transparent shadow.
//!
//! usage: cargo run --release --example turntable -- OUT_DIR SIZE rgb|rgba [FRAMES]
//! writes OUT_DIR/turntable-1.png .. OUT_DIR/turntable-N.png

use std::path::PathBuf;

use rayon::prelude::*;

/// Deterministic hash noise in [0, 1) of an integer lattice point.
fn hash3(x: i32, y: i32, z: i32) -> f32 {
    let mut h = (x as u32).wrapping_mul(0x8da6_b343)
        ^ (y as u32).wrapping_mul(0xd816_3841)
        ^ (z as u32).wrapping_mul(0xcb1a_b31f);
    h ^= h >> 13;
    h = h.wrapping_mul(0x5bd1_e995);
    h ^= h >> 15;
    (h & 0xff_ffff) as f32 / 16_777_216.0
}

/// Trilinear value noise; smooth, so its gradient can perturb normals.
fn noise(p: [f32; 3]) -> f32 {
    let f = p.map(f32::floor);
    let t = [p[0] - f[0], p[1] - f[1], p[2] - f[2]].map(|t| t * t * (3.0 - 2.0 * t));
    let (x, y, z) = (f[0] as i32, f[1] as i32, f[2] as i32);
    let mut acc = 0.0;
    for dz in 0..2 {
        for dy in 0..2 {
            for dx in 0..2 {
                let w = (if dx == 1 { t[0] } else { 1.0 - t[0] })
                    * (if dy == 1 { t[1] } else { 1.0 - t[1] })
                    * (if dz == 1 { t[2] } else { 1.0 - t[2] });
                acc += w * hash3(x + dx, y + dy, z + dz);
            }
        }
    }
    acc
}

fn fbm(p: [f32; 3]) -> f32 {
    let mut sum = 0.0;
    let mut amp = 0.5;
    let mut q = p;
    for _ in 0..4 {
        sum += amp * noise(q);
        q = q.map(|v| v * 2.03);
        amp *= 0.5;
    }
    sum
}

fn normalize(v: [f32; 3]) -> [f32; 3] {
    let n = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt().max(1e-9);
    v.map(|c| c / n)
}

fn dot(a: [f32; 3], b: [f32; 3]) -> f32 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// Linear-light colour of the object at view-space (x, y) in [-1, 1], or
/// `None` off the object. Orthographic view along -z.
fn shade(x: f32, y: f32, angle: f32) -> Option<[f32; 3]> {
    // A slightly squashed sphere.
    let (sx, sy) = (x / 0.6, y / 0.7);
    let r2 = sx * sx + sy * sy;
    if r2 >= 1.0 {
        return None;
    }
    let z = (1.0 - r2).sqrt();
    let world = [sx, sy, z];
    // Object space: undo the turn about the vertical axis.
    let (s, c) = angle.sin_cos();
    let obj = [
        c * world[0] - s * world[2],
        world[1],
        s * world[0] + c * world[2],
    ];
    let scaled = obj.map(|v| v * 9.0);
    // Bump: the gradient of fine noise tilts the normal (in world space,
    // approximated by finite differences in object space).
    let e = 0.05;
    let n0 = fbm(scaled);
    let grad = [
        fbm([scaled[0] + e, scaled[1], scaled[2]]) - n0,
        fbm([scaled[0], scaled[1] + e, scaled[2]]) - n0,
        fbm([scaled[0], scaled[1], scaled[2] + e]) - n0,
    ]
    .map(|g| g / e);
    let gw = [
        c * grad[0] + s * grad[2],
        grad[1],
        -s * grad[0] + c * grad[2],
    ];
    let normal = normalize([
        world[0] - 0.25 * gw[0],
        world[1] - 0.25 * gw[1],
        world[2] - 0.25 * gw[2],
    ]);
    let light = normalize([-0.5, 0.6, 0.7]);
    let diffuse = dot(normal, light).max(0.0);
    let half = normalize([light[0], light[1], light[2] + 1.0]);
    let spec = dot(normal, half).max(0.0).powf(40.0) * 0.35;
    // Stripes warped by noise, like the scapularis' wavy banding.
    let stripe = ((obj[1] * 22.0 + 3.0 * fbm(obj.map(|v| v * 3.0))).sin() * 0.5 + 0.5).powf(2.0);
    let base = [0.75, 0.42, 0.32];
    let dark = [0.45, 0.16, 0.12];
    let albedo: [f32; 3] = std::array::from_fn(|i| base[i] + (dark[i] - base[i]) * stripe);
    Some(albedo.map(|a| a * (0.12 + 0.88 * diffuse) + spec))
}

fn to_srgb(v: f32) -> f32 {
    let v = v.clamp(0.0, 1.0);
    if v <= 0.003_130_8 {
        v * 12.92
    } else {
        1.055 * v.powf(1.0 / 2.4) - 0.055
    }
}

fn render(size: u32, rgba: bool, frame: u32, frames: u32) -> Vec<u8> {
    let angle = frame as f32 / frames as f32 * std::f32::consts::TAU;
    let n = size as usize;
    let mut out = vec![0u8; n * n * if rgba { 4 } else { 3 }];
    let grey = 0.6f32; // sRGB 0.6 = 153
    out.par_chunks_mut(n * if rgba { 4 } else { 3 })
        .enumerate()
        .for_each(|(py, row)| {
            for px in 0..n {
                // 2x2 supersampling for anti-aliased edges.
                let (mut acc, mut cover) = ([0f32; 3], 0f32);
                for (ox, oy) in [(0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)] {
                    let x = (px as f32 + ox) / n as f32 * 2.0 - 1.0;
                    let y = 1.0 - (py as f32 + oy) / n as f32 * 2.0;
                    if let Some(c) = shade(x, y, angle) {
                        for i in 0..3 {
                            acc[i] += to_srgb(c[i]);
                        }
                        cover += 1.0;
                    }
                }
                // Render noise, about +-1 level and the same in every frame
                // (a fixed-seed sampler), as in the example renders, whose
                // grey background varies by a level but never between frames.
                let grain = (hash3(px as i32, py as i32, 7) - 0.5) * 2.0 / 255.0;
                let (x, y) = (
                    (px as f32 + 0.5) / n as f32 * 2.0 - 1.0,
                    1.0 - (py as f32 + 0.5) / n as f32 * 2.0,
                );
                if rgba {
                    let o = px * 4;
                    // A soft shadow under the object: partial alpha.
                    let (dx, dy) = (x / 0.55, (y + 0.76) / 0.05);
                    let shadow = (1.0 - (dx * dx + dy * dy)).clamp(0.0, 1.0) * 0.5;
                    let a = cover / 4.0;
                    if a > 0.0 {
                        for i in 0..3 {
                            let v = acc[i] / cover + grain;
                            row[o + i] = (v.clamp(0.0, 1.0) * 255.0 + 0.5) as u8;
                        }
                        // Edge pixels over the shadow keep the object's colour.
                        row[o + 3] = ((a + (1.0 - a) * shadow) * 255.0 + 0.5) as u8;
                    } else if shadow > 0.0 {
                        row[o..o + 3].copy_from_slice(&[20, 20, 24]);
                        row[o + 3] = (shadow * 255.0 + 0.5) as u8;
                    }
                } else {
                    let o = px * 3;
                    for i in 0..3 {
                        let obj = if cover > 0.0 {
                            acc[i] / cover + grain
                        } else {
                            grey
                        };
                        let a = cover / 4.0;
                        let v = obj * a + grey * (1.0 - a);
                        row[o + i] = (v.clamp(0.0, 1.0) * 255.0 + 0.5) as u8;
                    }
                }
            }
        });
    out
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let usage = "usage: turntable OUT_DIR SIZE rgb|rgba [FRAMES]";
    let dir = PathBuf::from(args.first().expect(usage));
    let size: u32 = args.get(1).and_then(|s| s.parse().ok()).expect(usage);
    let rgba = match args.get(2).map(String::as_str) {
        Some("rgba") => true,
        Some("rgb") => false,
        _ => panic!("{usage}"),
    };
    let frames: u32 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(16);
    std::fs::create_dir_all(&dir).expect("output folder");
    for i in 0..frames {
        let pixels = render(size, rgba, i, frames);
        let mut bytes = Vec::new();
        let mut enc = png::Encoder::new(&mut bytes, size, size);
        enc.set_color(if rgba {
            png::ColorType::Rgba
        } else {
            png::ColorType::Rgb
        });
        enc.set_compression(png::Compression::Fast);
        let mut w = enc.write_header().expect("in-memory PNG");
        w.write_image_data(&pixels).expect("in-memory PNG");
        w.finish().expect("in-memory PNG");
        let path = dir.join(format!("turntable-{}.png", i + 1));
        std::fs::write(&path, bytes).expect("writable output folder");
    }
}
