//! Every PngSuite image through every stage: decoded to RGBA8, optimised
//! losslessly (pixel-identical at full precision), thumbnailed, and made
//! into a one-frame GIF.

use std::path::Path;

use assetgen::{decode_png, decode_png_exact, encode_frame, optimize_png, Settings};

fn suite() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pngsuite");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    assert_eq!(files.len(), 28);
    files
}

#[test]
fn every_pngsuite_image_survives_every_stage() {
    for (name, bytes) in suite() {
        let image = decode_png(&bytes, Path::new(&name)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            image.pixels.len(),
            image.width as usize * image.height as usize * 4,
            "{name}"
        );
        // Every colour type and depth reaches RGBA8 as the high byte of
        // the exact 16-bit decode (grey spread to RGB, alpha 255 if none).
        let (_, _, exact) = decode_png_exact(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let high: Vec<u8> = exact.iter().map(|&v| (v >> 8) as u8).collect();
        assert!(
            image.pixels == high,
            "{name}: 8-bit decode differs from the exact one"
        );

        let optimised =
            optimize_png(&bytes, &Settings::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(optimised.len() <= bytes.len(), "{name} grew");
        assert_eq!(
            decode_png_exact(&bytes).unwrap(),
            decode_png_exact(&optimised).unwrap(),
            "{name}"
        );

        // The build's path: the already-decoded RGBA8 is the reference.
        for effort in [0, 1] {
            let opts = Settings {
                png_effort: effort,
                ..Settings::default()
            };
            let via_build = encode_frame(&bytes, &image, &opts)
                .unwrap_or_else(|e| panic!("{name} effort {effort}: {e}"));
            assert_eq!(
                decode_png_exact(&bytes).unwrap(),
                decode_png_exact(&via_build).unwrap(),
                "{name} effort {effort}"
            );
        }

        // Lossy mode: any colour type comes out a valid palette PNG of the
        // same size, with transparency where the source had it.
        let lossy = Settings {
            png_lossy: true,
            ..Settings::default()
        };
        let q = encode_frame(&bytes, &image, &lossy).unwrap_or_else(|e| panic!("{name}: {e}"));
        let back = decode_png(&q, Path::new(&name)).unwrap();
        assert_eq!(back.dimensions(), image.dimensions(), "{name}");
        for (a, b) in image
            .pixels
            .chunks_exact(4)
            .zip(back.pixels.chunks_exact(4))
        {
            assert_eq!(a[3] == 0, b[3] == 0, "{name}: transparency moved");
        }

        let small = Settings {
            thumb_size: 16,
            ..Settings::default()
        };
        let thumb = assetgen::thumbnail(&image, &small).unwrap();
        let t = decode_png(&thumb, Path::new(&name)).unwrap();
        assert_eq!(
            t.width.max(t.height),
            16.min(image.width.max(image.height)),
            "{name}"
        );

        let gif = assetgen::encode_gif(std::slice::from_ref(&image), &Settings::default()).unwrap();
        assert!(gif.starts_with(b"GIF89a"), "{name}");
    }
}

#[test]
fn sixteen_bit_and_palette_details_are_read_correctly() {
    let files: std::collections::BTreeMap<_, _> = suite().into_iter().collect();
    // basn0g16: 16-bit grey; top-left pixel is 0, decode keeps the high byte.
    let g16 = decode_png(&files["basn0g16.png"], Path::new("basn0g16.png")).unwrap();
    let (_, _, exact) = decode_png_exact(&files["basn0g16.png"]).unwrap();
    assert_eq!(g16.pixels[0], (exact[0] >> 8) as u8);
    // tbrn2c08: RGB with a tRNS colour: some pixels must come out transparent.
    let t = decode_png(&files["tbrn2c08.png"], Path::new("tbrn2c08.png")).unwrap();
    assert!(t.pixels.chunks_exact(4).any(|p| p[3] == 0));
    assert!(t.pixels.chunks_exact(4).any(|p| p[3] == 255));
    // Interlaced and non-interlaced versions of one image decode the same.
    let a = decode_png(&files["basi2c08.png"], Path::new("i")).unwrap();
    let b = decode_png(&files["basn2c08.png"], Path::new("n")).unwrap();
    assert_eq!(a, b);
}
