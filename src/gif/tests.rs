//! The encoder's behaviour seen from outside: decode the GIF, composite
//! it as a browser does, and compare with the frames.

use super::*;
use crate::settings::Quality;
use gif::DisposalMethod;

/// Settings for an exact GIF: no quality target, lossy level 0.
fn exact() -> Settings {
    Settings {
        gif_quality: Quality::OFF,
        gif_lossy: 0,
        ..Settings::default()
    }
}

/// Composited frames equal the sources exactly (transparency included).
fn assert_exact(frames: &[Rgba8], decoded: &[Vec<u8>], what: &str) {
    for (n, (src, got)) in frames.iter().cycle().zip(decoded).enumerate() {
        for (s, g) in src.pixels.chunks_exact(4).zip(got.chunks_exact(4)) {
            assert_eq!(
                s[3] == 0,
                g[3] == 0,
                "{what}: frame {n}: transparency differs"
            );
            if s[3] != 0 {
                assert_eq!(&s[..3], &g[..3], "{what}: frame {n}");
            }
        }
    }
}

/// Flat-colour shapes moving over a flat background: lossy settings
/// must leave them exact (flat areas and edges take no error).
#[test]
fn flat_colour_frames_stay_pixel_exact_under_lossy_settings() {
    let colours = [[200, 30, 30], [30, 180, 60], [40, 40, 220], [235, 235, 235]];
    let frames: Vec<Rgba8> = (0..5u32)
        .map(|i| {
            solid(96, 64, move |x, y| {
                let c = if (x + 3 * i) % 40 < 12 && y > 10 {
                    colours[0]
                } else if (y + 2 * i) % 30 < 9 {
                    colours[1]
                } else if x > 60 && y < 20 + i {
                    colours[2]
                } else {
                    colours[3]
                };
                let a = if x < 4 { 0 } else { 255 };
                [c[0], c[1], c[2], a]
            })
        })
        .collect();
    let settings = [
        (
            "gif_lossy 200",
            Settings {
                gif_quality: Quality::OFF,
                gif_lossy: 200,
                ..Settings::default()
            },
        ),
        (
            "gif_quality 0.5",
            Settings {
                gif_quality: Quality::target(0.5).unwrap(),
                ..Settings::default()
            },
        ),
        ("defaults", Settings::default()),
    ];
    for (what, opts) in settings {
        let (decoded, _, _) = decode_composited(&encode(&frames, &opts).unwrap(), 2);
        assert_exact(&frames, &decoded, what);
    }
}

/// Decodes a GIF and composites every frame, honouring disposal, for
/// `passes` loops without clearing the canvas between them (the strict
/// reading of the spec; browsers clear at the loop, which is easier).
/// Returns RGBA frames, delays and the loop count (`None` = forever).
pub(crate) fn decode_composited(
    bytes: &[u8],
    passes: usize,
) -> (Vec<Vec<u8>>, Vec<u16>, Option<u16>) {
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::Indexed);
    let mut d = options.read_info(bytes).unwrap();
    let (w, _h) = (d.width() as usize, d.height() as usize);
    let global = d.global_palette().unwrap().to_vec();
    let mut raw = Vec::new();
    while let Some(f) = d.read_next_frame().unwrap() {
        raw.push(f.clone());
    }
    let mut canvas = vec![0u8; w * d.height() as usize * 4];
    let mut out = Vec::new();
    for _ in 0..passes {
        for f in &raw {
            let pal = f.palette.clone().unwrap_or_else(|| global.clone());
            for y in 0..f.height as usize {
                for x in 0..f.width as usize {
                    let i = f.buffer[y * f.width as usize + x];
                    if Some(i) == f.transparent {
                        continue;
                    }
                    let p = ((f.top as usize + y) * w + f.left as usize + x) * 4;
                    canvas[p..p + 3].copy_from_slice(&pal[i as usize * 3..i as usize * 3 + 3]);
                    canvas[p + 3] = 255;
                }
            }
            out.push(canvas.clone());
            if f.dispose == DisposalMethod::Background {
                for y in 0..f.height as usize {
                    let row = ((f.top as usize + y) * w + f.left as usize) * 4;
                    canvas[row..row + f.width as usize * 4].fill(0);
                }
            }
        }
    }
    let delays = raw.iter().map(|f| f.delay).collect();
    let repeat = match d.repeat() {
        Repeat::Infinite => None,
        Repeat::Finite(n) => Some(n),
    };
    (out, delays, repeat)
}

fn solid(w: u32, h: u32, f: impl Fn(u32, u32) -> [u8; 4]) -> Rgba8 {
    let mut px = Vec::new();
    for y in 0..h {
        for x in 0..w {
            px.extend_from_slice(&f(x, y));
        }
    }
    Rgba8::new(w, h, px)
}

/// A square that moves right on a transparent background.
fn moving_square(n: u32) -> Vec<Rgba8> {
    (0..n)
        .map(|i| {
            solid(24, 16, move |x, y| {
                if x >= i * 4 && x < i * 4 + 6 && (4..10).contains(&y) {
                    [200, 30, 30, 255]
                } else {
                    [0, 0, 0, 0]
                }
            })
        })
        .collect()
}

#[test]
fn moving_object_leaves_no_trail_including_at_the_loop() {
    let frames = moving_square(4);
    let opts = Settings {
        gif_dither: Dither::None,
        ..Settings::default()
    };
    let bytes = encode(&frames, &opts).unwrap();
    // Two passes without clearing: the loop back to frame 0 is exact too.
    let (decoded, _, _) = decode_composited(&bytes, 2);
    assert_eq!(decoded.len(), 8);
    for (src, got) in frames.iter().chain(&frames).zip(&decoded) {
        for (s, g) in src.pixels.chunks_exact(4).zip(got.chunks_exact(4)) {
            assert_eq!(s[3] == 0, g[3] == 0, "transparency differs");
            if s[3] != 0 {
                assert_eq!(&s[..3], &g[..3]);
            }
        }
    }
}

#[test]
fn lossy_output_stays_close_and_keeps_transparency_exact() {
    // A shaded disc turning (its shading moves) on a transparent canvas.
    let frames: Vec<Rgba8> = (0..6)
        .map(|i| {
            solid(64, 48, move |x, y| {
                let (dx, dy) = (x as i32 - 32, y as i32 - 24);
                if dx * dx + dy * dy > 400 {
                    return [0, 0, 0, 0];
                }
                let shade = ((x * 3 + y * 2 + i * 9) % 200) as u8;
                [120 + shade / 4, 40 + shade / 3, 30 + shade / 5, 255]
            })
        })
        .collect();
    let lossy = Settings {
        gif_quality: Quality::OFF,
        gif_lossy: 60,
        ..Settings::default()
    };
    let bytes = encode(&frames, &lossy).unwrap();
    let exact = encode(&frames, &exact()).unwrap();
    assert!(bytes.len() <= exact.len());
    let (decoded, _, _) = decode_composited(&bytes, 2);
    for (src, got) in frames.iter().chain(&frames).zip(&decoded) {
        let mut err = 0u64;
        for (s, g) in src.pixels.chunks_exact(4).zip(got.chunks_exact(4)) {
            assert_eq!(s[3] == 0, g[3] == 0, "transparency differs");
            if s[3] != 0 {
                let e = (0..3)
                    .map(|c| (i32::from(s[c]) - i32::from(g[c])).unsigned_abs())
                    .max()
                    .unwrap();
                assert!(e <= 24, "pixel off by {e}");
                err += u64::from(e);
            }
        }
        assert!(err / (64 * 48) <= 3, "mean error {}", err / (64 * 48));
    }
}

#[test]
fn loop_and_delay_fields() {
    let frames = moving_square(3);
    let opts = Settings {
        gif_delay: 80,
        gif_loop: 0,
        ..Settings::default()
    };
    let (_, delays, repeat) = decode_composited(&encode(&frames, &opts).unwrap(), 1);
    assert_eq!(delays, vec![8, 8, 8]);
    assert_eq!(repeat, None);
    let opts = Settings {
        gif_loop: 3,
        ..opts
    };
    let (_, _, repeat) = decode_composited(&encode(&frames, &opts).unwrap(), 1);
    assert_eq!(repeat, Some(3));
}

#[test]
fn partial_alpha_is_blended_onto_the_matte() {
    let frames = vec![solid(4, 4, |_, _| [0, 0, 0, 128])];
    let bytes = encode(
        &frames,
        &Settings {
            gif_dither: Dither::None,
            ..Settings::default()
        },
    )
    .unwrap();
    let (decoded, _, _) = decode_composited(&bytes, 1);
    let p = &decoded[0][..4];
    assert_eq!(p[3], 255);
    assert!((125..=129).contains(&p[0]), "{p:?}");
}

#[test]
fn mismatched_frames_are_an_error() {
    let frames = vec![solid(4, 4, |_, _| [0; 4]), solid(5, 4, |_, _| [0; 4])];
    let e = encode(&frames, &Settings::default()).unwrap_err();
    assert_eq!(
        e,
        GifError::FrameSize {
            index: 1,
            expected: (4, 4),
            found: (5, 4)
        }
    );
}

#[test]
fn output_does_not_depend_on_thread_count() {
    let frames: Vec<Rgba8> = (0..6)
        .map(|i| {
            solid(40, 30, move |x, y| {
                [
                    (x * 6 + i * 7) as u8,
                    (y * 8) as u8,
                    ((x + y) * 3) as u8,
                    if (x + i) % 9 == 0 { 0 } else { 255 },
                ]
            })
        })
        .collect();
    // Defaults (a quality target), another target with each dither, and
    // a raw level: the search and the lossy LZW are deterministic too.
    let target = Quality::target(0.99).unwrap();
    for (dither, gif_quality) in [
        (Dither::None, Settings::default().gif_quality),
        (Dither::None, target),
        (Dither::Ordered, target),
        (Dither::Diffusion, Quality::OFF),
    ] {
        let opts = Settings {
            gif_dither: dither,
            gif_quality,
            gif_lossy: 80,
            ..Settings::default()
        };
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| encode(&frames, &opts).unwrap())
        };
        let one = run(1);
        assert!(one == run(2), "{dither}: -j 1 and -j 2 differ");
        assert!(one == run(3), "{dither}: -j 1 and -j 3 differ");
    }
}

#[test]
fn width_resizes() {
    let frames = moving_square(2);
    let bytes = encode(
        &frames,
        &Settings {
            gif_width: Some(12),
            ..Settings::default()
        },
    )
    .unwrap();
    let d = gif::DecodeOptions::new().read_info(&bytes[..]).unwrap();
    assert_eq!((d.width(), d.height()), (12, 8));
}
