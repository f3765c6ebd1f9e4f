//! End-to-end tests: run the built `assetgen` on a temporary copy of a
//! fixture site and check files, decoded pixels, the JSON report and exit
//! codes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::SystemTime;

use assetgen::{decode_png, decode_png_exact};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// A temporary copy of a fixture site.
struct Sandbox {
    dir: tempfile::TempDir,
}

/// What a run printed and returned.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", self.stdout))
    }
}

impl Sandbox {
    /// The whole fixture site, including the pages whose renders are missing.
    fn fixture_site() -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&Path::new(FIXTURES).join("site"), dir.path());
        Sandbox { dir }
    }

    /// The fixture site with only the two pages that have renders.
    fn gallery_site() -> Sandbox {
        let s = Sandbox::fixture_site();
        for p in [
            "pages/muscle_leg.md",
            "pages/muscles/muscle_leg_medialheadofgastrocnemius.md",
            "pages/methods_5_segmentation.md",
        ] {
            std::fs::remove_file(s.path(p)).unwrap();
        }
        s
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn run(&self, args: &[&str]) -> Run {
        let out: Output = Command::new(env!("CARGO_BIN_EXE_assetgen"))
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Every file under `rel` with its bytes (none when `rel` does not
    /// exist, as after a build killed before its first write).
    fn files(&self, rel: &str) -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        if !self.path(rel).exists() {
            return out;
        }
        for e in walkdir::WalkDir::new(self.path(rel)).sort_by_file_name() {
            let e = e.unwrap();
            if e.file_type().is_file() {
                let rel = e.path().strip_prefix(self.dir.path()).unwrap();
                out.insert(
                    rel.to_string_lossy().into_owned(),
                    std::fs::read(e.path()).unwrap(),
                );
            }
        }
        out
    }

    fn mtime(&self, rel: &str) -> SystemTime {
        std::fs::metadata(self.path(rel))
            .unwrap()
            .modified()
            .unwrap()
    }
}

fn copy_dir(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from) {
        let e = e.unwrap();
        let dest = to.join(e.path().strip_prefix(from).unwrap());
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

const GALLERIES: [(&str, &str); 2] = [
    (
        "pages/muscles/muscle_leg-gastrocnemius.md",
        "Leg-Gastrocnemius",
    ),
    ("pages/muscles/muscle_back-scapularis.md", "Back-Scapularis"),
];

/// Decodes a GIF: frame count, delays, loop count (`None` = forever), size.
fn gif_info(bytes: &[u8]) -> (usize, Vec<u16>, Option<u16>, (u16, u16)) {
    let mut d = gif::DecodeOptions::new().read_info(bytes).unwrap();
    let mut delays = Vec::new();
    while let Some(f) = d.read_next_frame().unwrap() {
        delays.push(f.delay);
    }
    let repeat = match d.repeat() {
        gif::Repeat::Infinite => None,
        gif::Repeat::Finite(n) => Some(n),
    };
    (delays.len(), delays, repeat, (d.width(), d.height()))
}

#[test]
fn build_makes_every_gallery_output() {
    let s = Sandbox::gallery_site();
    let r = s.run(&["build", "--json", "--thumb-size", "40"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for (_, stem) in GALLERIES {
        let gif = std::fs::read(s.path(&format!("assets/images/muscles/gif/{stem}.gif"))).unwrap();
        let (frames, delays, repeat, _) = gif_info(&gif);
        assert_eq!(frames, 16, "{stem}");
        assert!(delays.iter().all(|&d| d == 10), "{delays:?}");
        assert_eq!(repeat, None, "loops forever");
        for n in 1..=16 {
            let src =
                std::fs::read(s.path(&format!("assets-src/muscles/png/{stem}-{n}.png"))).unwrap();
            let png = std::fs::read(s.path(&format!("assets/images/muscles/png/{stem}-{n}.png")))
                .unwrap();
            assert_eq!(
                decode_png_exact(&src).unwrap(),
                decode_png_exact(&png).unwrap(),
                "{stem}-{n}"
            );
            let thumb = s.path(&format!("assets/images/muscles/png/{stem}-{n}-thumb.png"));
            let t = decode_png(&std::fs::read(&thumb).unwrap(), &thumb).unwrap();
            assert_eq!(t.width.max(t.height), 40, "{}", thumb.display());
        }
    }
    let json = r.json();
    let written = json["written"].as_array().unwrap();
    let count = |kind: &str| written.iter().filter(|w| w["kind"] == kind).count();
    assert_eq!((count("gif"), count("png"), count("thumb")), (2, 32, 32));
    for w in written {
        let path = w["path"].as_str().unwrap();
        assert!(path.starts_with("assets/images/muscles/"), "{path}");
        assert_eq!(
            w["bytes"].as_u64().unwrap(),
            std::fs::metadata(s.path(path)).unwrap().len()
        );
    }
    assert_eq!(json["errors"].as_array().unwrap().len(), 0);
    assert!(json["elapsed_ms"].is_u64());
    // No temporary files are left behind.
    assert!(s.files("assets").keys().all(|k| !k.contains(".assetgen-")));
}

#[test]
fn second_build_writes_nothing_and_pages_are_untouched() {
    let s = Sandbox::gallery_site();
    let pages_before = s.files("pages");
    assert_eq!(s.run(&["build", "-q"]).code, 0);
    let gif = "assets/images/muscles/gif/Leg-Gastrocnemius.gif";
    let (first, page_time) = (s.mtime(gif), s.mtime(GALLERIES[0].0));
    std::thread::sleep(std::time::Duration::from_millis(20));
    let r = s.run(&["build", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json = r.json();
    assert_eq!(json["written"].as_array().unwrap().len(), 0, "{}", r.stdout);
    assert_eq!(json["up_to_date"].as_array().unwrap().len(), 66);
    assert_eq!(s.mtime(gif), first);
    assert_eq!(s.mtime(GALLERIES[0].0), page_time);
    assert_eq!(
        s.files("pages"),
        pages_before,
        "pages are never rewritten without need"
    );
}

#[test]
fn dry_run_writes_nothing() {
    let s = Sandbox::gallery_site();
    let r = s.run(&["build", "--dry-run", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["written"].as_array().unwrap().len(), 66);
    assert!(!s.path("assets").exists());
    assert!(!s.path(".assetgen-cache.json").exists());
}

#[test]
fn check_reports_unbuilt_outputs_then_passes() {
    let s = Sandbox::gallery_site();
    let r = s.run(&["check"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout
            .contains("assets/images/muscles/gif/Leg-Gastrocnemius.gif: not built yet"),
        "{}",
        r.stdout
    );
    assert_eq!(s.run(&["build", "-q"]).code, 0);
    let r = s.run(&["check"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("all good"));
}

#[test]
fn missing_renders_are_named_and_the_rest_is_built() {
    let s = Sandbox::fixture_site();
    let r = s.run(&["check"]);
    assert_eq!(r.code, 1);
    for missing in [
        "assets-src/muscles/png/Leg-1.png: missing (listed in pages/muscle_leg.md)",
        "assets-src/muscles/png/Leg-16.png: missing",
        "assets-src/muscles/png/Leg-MedialHeadOfGastrocnemius-7.png: missing (listed in pages/muscles/muscle_leg_medialheadofgastrocnemius.md)",
        "assets/images/flowchart_seg.gif: missing (listed in pages/methods_5_segmentation.md)",
        "assets/images/neural-small.gif: missing",
    ] {
        assert!(r.stdout.contains(missing), "{missing} not in:\n{}", r.stdout);
    }
    assert!(r.stdout.lines().all(|l| !l.is_empty()));

    let r = s.run(&["build", "--json"]);
    assert_eq!(r.code, 1);
    let errors = r.json()["errors"].as_array().unwrap().clone();
    assert!(
        errors
            .iter()
            .any(|e| e["path"] == "assets-src/muscles/png/Leg-3.png"),
        "{errors:?}"
    );
    // The pages with renders are built all the same.
    for (_, stem) in GALLERIES {
        assert!(s
            .path(&format!("assets/images/muscles/gif/{stem}.gif"))
            .is_file());
    }
    assert!(!s.path("assets/images/muscles/gif/Leg.gif").exists());
}

#[test]
fn corrupt_frames_fail_their_page_alone_with_one_line_errors() {
    let s = Sandbox::gallery_site();
    let png = |n: u32| s.path(&format!("assets-src/muscles/png/Leg-Gastrocnemius-{n}.png"));
    let full = std::fs::read(png(5)).unwrap();
    // A flipped bit in the image data: the chunk CRC no longer matches.
    let mut flipped = full.clone();
    let idat = flipped.windows(4).position(|w| w == b"IDAT").unwrap();
    flipped[idat + 10] ^= 0x40;
    std::fs::write(png(2), &flipped).unwrap();
    std::fs::write(png(3), b"").unwrap();
    std::fs::write(png(4), "this is a text file named .png\n").unwrap();
    std::fs::write(png(5), &full[..full.len() / 2]).unwrap();
    // A PNG that claims 60000x60000 (IHDR rewritten, CRC fixed).
    let mut huge = full.clone();
    huge[16..20].copy_from_slice(&60000u32.to_be_bytes());
    huge[20..24].copy_from_slice(&60000u32.to_be_bytes());
    let crc = crc32(&huge[12..29]);
    huge[29..33].copy_from_slice(&crc.to_be_bytes());
    std::fs::write(png(6), &huge).unwrap();

    let r = s.run(&["build"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    for n in 2..=6 {
        let name = format!("assets-src/muscles/png/Leg-Gastrocnemius-{n}.png: ");
        let line = r.stderr.lines().find(|l| l.contains(&name));
        assert!(line.is_some(), "no error for frame {n}:\n{}", r.stderr);
    }
    // The other page is complete; this page's good frames are still written.
    assert!(s
        .path("assets/images/muscles/gif/Back-Scapularis.gif")
        .is_file());
    assert!(s
        .path("assets/images/muscles/png/Leg-Gastrocnemius-1.png")
        .is_file());
    assert!(!s
        .path("assets/images/muscles/gif/Leg-Gastrocnemius.gif")
        .exists());
    assert!(!s
        .path("assets/images/muscles/png/Leg-Gastrocnemius-4.png")
        .exists());
}

#[test]
fn a_frame_of_another_size_is_named() {
    let s = Sandbox::gallery_site();
    std::fs::copy(
        s.path("assets-src/muscles/png/Back-Scapularis-1.png"),
        s.path("assets-src/muscles/png/Leg-Gastrocnemius-5.png"),
    )
    .unwrap();
    for cmd in ["check", "build"] {
        let r = s.run(&[cmd]);
        assert_eq!(r.code, 1, "{cmd}");
        let all = format!("{}{}", r.stdout, r.stderr);
        assert!(
            all.contains("assets-src/muscles/png/Leg-Gastrocnemius-5.png: frame is 75x75, but the gallery's other frames are 60x90"),
            "{cmd}: {all}"
        );
    }
}

#[test]
fn settings_errors_exit_2_naming_the_key() {
    let s = Sandbox::gallery_site();
    let r = s.run(&["build", "--thumb-size", "huge"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--thumb-size"), "{}", r.stderr);

    let config = std::fs::read_to_string(s.path("_config.yml")).unwrap();
    std::fs::write(
        s.path("_config.yml"),
        format!("{config}\nassetgen:\n  gif_colors: 999\n"),
    )
    .unwrap();
    let r = s.run(&["build"]);
    assert_eq!(r.code, 2);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "_config.yml: assetgen.gif_colors: expected a number of colours from 2 to 256, got 999"
        ),
        "{}",
        r.stderr
    );
    assert!(!s.path("assets").exists());

    std::fs::remove_file(s.path("_config.yml")).unwrap();
    let r = s.run(&["check"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no _config.yml"), "{}", r.stderr);

    assert_eq!(s.run(&["build", "--no-such-flag"]).code, 2);
}

#[test]
fn paths_that_leave_the_site_are_refused() {
    let s = Sandbox::gallery_site();
    let page =
        "---\ngallery:\n  - image_url: ../../outside.png\n  - image_url: /etc/hostname\n---\n";
    std::fs::write(s.path("pages/evil.md"), page).unwrap();
    #[cfg(unix)]
    {
        let page = "---\ngallery:\n  - image_url: muscles/png/Escape-1.png\n---\n";
        std::fs::write(s.path("pages/evil-link.md"), page).unwrap();
        std::os::unix::fs::symlink(
            "/etc/hostname",
            s.path("assets-src/muscles/png/Escape-1.png"),
        )
        .unwrap();
    }
    let r = s.run(&["build"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("pages/evil.md: refusing path '../../outside.png'"),
        "{}",
        r.stderr
    );
    #[cfg(unix)]
    assert!(r.stderr.contains("pages/evil-link.md: refusing path 'assets-src/muscles/png/Escape-1.png': a symlink points outside the site root"), "{}", r.stderr);
    assert!(s
        .path("assets/images/muscles/gif/Leg-Gastrocnemius.gif")
        .is_file());
    assert!(!s.path("assets/images/muscles/png/Escape-1.png").exists());
}

#[test]
fn outputs_are_identical_whatever_the_thread_count() {
    let one = Sandbox::gallery_site();
    let two = Sandbox::gallery_site();
    assert_eq!(one.run(&["build", "-q", "-j", "1"]).code, 0);
    assert_eq!(two.run(&["build", "-q", "-j", "2"]).code, 0);
    let (a, b) = (one.files("assets"), two.files("assets"));
    assert_eq!(a.len(), 66);
    assert!(a == b, "outputs differ between -j 1 and -j 2");
    let cache = |s: &Sandbox| std::fs::read(s.path(".assetgen-cache.json")).unwrap();
    assert!(
        cache(&one) == cache(&two),
        "caches differ between -j 1 and -j 2"
    );
}

#[test]
fn gif_command_encodes_frames_and_names_the_odd_one() {
    let s = Sandbox::gallery_site();
    let frames: Vec<String> = (1..=16)
        .map(|n| format!("assets-src/muscles/png/Leg-Gastrocnemius-{n}.png"))
        .collect();
    let mut args = vec![
        "gif",
        "-o",
        "out/turntable.gif",
        "--gif-delay",
        "50",
        "--gif-loop",
        "2",
    ];
    args.extend(frames.iter().map(String::as_str));
    let r = s.run(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (n, delays, repeat, size) = gif_info(&std::fs::read(s.path("out/turntable.gif")).unwrap());
    assert_eq!((n, delays[0], repeat, size), (16, 5, Some(2), (60, 90)));

    let r = s.run(&[
        "gif",
        "-o",
        "x.gif",
        &frames[0],
        "assets-src/muscles/png/Back-Scapularis-1.png",
    ]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("Back-Scapularis-1.png: frame is 75x75"),
        "{}",
        r.stderr
    );
    assert!(!s.path("x.gif").exists());
}

#[test]
fn clean_removes_only_generated_files_no_page_uses() {
    let s = Sandbox::gallery_site();
    assert_eq!(s.run(&["build", "-q"]).code, 0);
    std::fs::write(s.path("assets/images/hand-made.gif"), b"GIF89a by hand").unwrap();
    // Drop the last frame: its render and its gallery entry (three lines).
    std::fs::remove_file(s.path("assets-src/muscles/png/Back-Scapularis-16.png")).unwrap();
    let page = s.path(GALLERIES[1].0);
    let text = std::fs::read_to_string(&page).unwrap();
    let cut = text
        .find("  - image_url: muscles/png/Back-Scapularis-16.png")
        .unwrap();
    let end = text[cut..].find("\n\n").unwrap() + cut;
    std::fs::write(&page, format!("{}{}", &text[..cut], &text[end + 1..])).unwrap();
    // Edited by hand after the build: no longer ours to delete.
    std::fs::write(
        s.path("assets/images/muscles/png/Back-Scapularis-16-thumb.png"),
        b"mine now",
    )
    .unwrap();

    let r = s.run(&["clean", "--dry-run"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("would remove assets/images/muscles/png/Back-Scapularis-16.png"),
        "{}",
        r.stdout
    );
    assert!(s
        .path("assets/images/muscles/png/Back-Scapularis-16.png")
        .exists());

    let r = s.run(&["clean", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.json()["removed"],
        serde_json::json!(["assets/images/muscles/png/Back-Scapularis-16.png"])
    );
    assert!(!s
        .path("assets/images/muscles/png/Back-Scapularis-16.png")
        .exists());
    assert!(s
        .path("assets/images/muscles/png/Back-Scapularis-16-thumb.png")
        .exists());
    assert!(s.path("assets/images/hand-made.gif").exists());
    assert!(s
        .path("assets/images/muscles/png/Back-Scapularis-15.png")
        .exists());
}

/// Rewrites a PNG with one pixel changed (a new render of that frame).
fn touch_one_pixel(path: &Path) {
    let img = decode_png(&std::fs::read(path).unwrap(), path).unwrap();
    let mut px = img.pixels;
    let mid = (px.len() / 8) * 4;
    px[mid] ^= 0x10;
    px[mid + 3] = 255;
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, img.width, img.height);
    enc.set_color(png::ColorType::Rgba);
    let mut w = enc.write_header().unwrap();
    w.write_image_data(&px).unwrap();
    w.finish().unwrap();
    std::fs::write(path, out).unwrap();
}

fn written_paths(r: &Run) -> Vec<String> {
    let mut v: Vec<String> = r.json()["written"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["path"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

#[test]
fn a_new_render_rebuilds_exactly_its_outputs() {
    let s = Sandbox::gallery_site();
    assert_eq!(s.run(&["build", "-q"]).code, 0);
    touch_one_pixel(&s.path("assets-src/muscles/png/Leg-Gastrocnemius-3.png"));
    let r = s.run(&["build", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        written_paths(&r),
        vec![
            "assets/images/muscles/gif/Leg-Gastrocnemius.gif",
            "assets/images/muscles/png/Leg-Gastrocnemius-3-thumb.png",
            "assets/images/muscles/png/Leg-Gastrocnemius-3.png",
        ]
    );
    assert_eq!(r.json()["up_to_date"].as_array().unwrap().len(), 63);
    // check agrees that everything is up to date now.
    assert_eq!(s.run(&["check"]).code, 0);
}

#[test]
fn deleted_or_edited_outputs_are_rebuilt_and_check_says_so() {
    let s = Sandbox::gallery_site();
    assert_eq!(s.run(&["build", "-q"]).code, 0);
    let png = "assets/images/muscles/png/Back-Scapularis-7.png";
    let thumb = "assets/images/muscles/png/Back-Scapularis-8-thumb.png";
    let original = std::fs::read(s.path(png)).unwrap();
    std::fs::remove_file(s.path(png)).unwrap();
    std::fs::write(s.path(thumb), b"edited by hand").unwrap();
    let r = s.run(&["check"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains(&format!("{png}: not built yet")),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(&format!("{thumb}: stale")),
        "{}",
        r.stdout
    );
    let r = s.run(&["build", "--json"]);
    assert_eq!(written_paths(&r), vec![png.to_string(), thumb.to_string()]);
    assert_eq!(std::fs::read(s.path(png)).unwrap(), original);
}

#[test]
fn a_changed_setting_rebuilds_only_what_it_shapes() {
    let s = Sandbox::gallery_site();
    assert_eq!(s.run(&["build", "-q"]).code, 0);
    let r = s.run(&["build", "--json", "--thumb-size", "30"]);
    let written = written_paths(&r);
    assert_eq!(written.len(), 32, "{written:?}");
    assert!(
        written.iter().all(|p| p.ends_with("-thumb.png")),
        "{written:?}"
    );
    let r = s.run(&["build", "--json", "--thumb-size", "30", "--gif-delay", "50"]);
    assert_eq!(
        written_paths(&r),
        vec![
            "assets/images/muscles/gif/Back-Scapularis.gif",
            "assets/images/muscles/gif/Leg-Gastrocnemius.gif",
        ]
    );
    // --force redoes everything (the bytes are the same, so nothing is rewritten).
    let r = s.run(&[
        "build",
        "--json",
        "--thumb-size",
        "30",
        "--gif-delay",
        "50",
        "--force",
    ]);
    assert_eq!(r.json()["up_to_date"].as_array().unwrap().len(), 66);
}

#[test]
fn issue_12_a_changed_quality_target_rebuilds_only_the_gifs() {
    let s = Sandbox::gallery_site();
    assert_eq!(s.run(&["build", "-q"]).code, 0);
    // Everything but the two GIFs is up to date (the GIFs are remade;
    // whether their bytes change depends on the level the search picks).
    let r = s.run(&["build", "--json", "--gif-quality", "0.9"]);
    let fresh = r.json()["up_to_date"].as_array().unwrap().clone();
    assert_eq!(fresh.len(), 64, "{fresh:?}");
    assert!(
        fresh.iter().all(|p| !p.to_string().contains(".gif")),
        "{fresh:?}"
    );
    let written = written_paths(&r);
    assert!(written.iter().all(|p| p.ends_with(".gif")), "{written:?}");
    // The same target again: nothing to do.
    let r = s.run(&["build", "--json", "--gif-quality", "0.9"]);
    assert_eq!(r.json()["up_to_date"].as_array().unwrap().len(), 66);
}

#[test]
fn png_and_thumb_efforts_rebuild_only_their_outputs() {
    let s = Sandbox::gallery_site();
    assert_eq!(s.run(&["build", "-q"]).code, 0);
    let pngs = |r: &Run| {
        let w = written_paths(r);
        assert!(!w.is_empty(), "{}", r.stderr);
        w.iter()
            .all(|p| p.ends_with(".png") && !p.ends_with("-thumb.png"))
    };
    // The bytes may or may not change with the effort; what must not
    // happen is any thumbnail or GIF being redone. up_to_date lists them.
    let r = s.run(&["build", "--json", "--png-effort", "0"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(pngs(&r));
    let up: Vec<String> = r.json()["up_to_date"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(up.iter().filter(|p| p.ends_with("-thumb.png")).count(), 32);
    let r = s.run(&[
        "build",
        "--json",
        "--png-effort",
        "0",
        "--thumb-effort",
        "2",
    ]);
    let up = r.json()["up_to_date"].as_array().unwrap().len();
    assert_eq!(up, 34, "{}", r.stdout);
}

#[test]
fn lossy_mode_writes_palette_pngs_and_thumbnails() {
    let s = Sandbox::gallery_site();
    let r = s.run(&["build", "--json", "--png-lossy", "--png-colors", "64"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = s.files("assets/images/muscles/png");
    assert_eq!(out.len(), 64);
    for (name, bytes) in &out {
        // IHDR colour type 3 = palette.
        assert_eq!(bytes[25], 3, "{name} is not a palette PNG");
        let img = decode_png(bytes, Path::new(name)).unwrap();
        let mut colours: Vec<&[u8]> = img.pixels.chunks_exact(4).collect();
        colours.sort();
        colours.dedup();
        assert!(colours.len() <= 64, "{name}: {} colours", colours.len());
    }
    // Close to the source: mean channel error of the full-size frames.
    let src = std::fs::read(s.path("assets-src/muscles/png/Back-Scapularis-3.png")).unwrap();
    let a = decode_png(&src, Path::new("s")).unwrap();
    let b = decode_png(
        &out["assets/images/muscles/png/Back-Scapularis-3.png"],
        Path::new("o"),
    )
    .unwrap();
    let err: u64 = a
        .pixels
        .iter()
        .zip(&b.pixels)
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    let mean = err as f64 / a.pixels.len() as f64;
    assert!(mean < 6.0, "mean error {mean}");
    // Lossy over the renders themselves is refused: they would be lost.
    let before = s.files("assets-src");
    let r = s.run(&["build", "--png-lossy", "--output", "assets-src"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("png_lossy"), "{}", r.stderr);
    assert_eq!(s.files("assets-src"), before);
}

#[test]
fn png_and_thumb_commands_convert_files_outside_a_site() {
    let s = Sandbox::gallery_site();
    let src = "assets-src/muscles/png";
    std::fs::write(s.path("broken.png"), b"\x89PNG\r\n\x1a\n truncated").unwrap();
    let a = format!("{src}/Leg-Gastrocnemius-1.png");
    let b = format!("{src}/Back-Scapularis-2.png");
    let r = s.run(&["png", "-o", "opt", &a, "broken.png", &b]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let errors: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{}", r.stderr);
    assert!(errors[0].contains("broken.png"), "{}", r.stderr);
    for (from, to) in [
        (&a, "opt/Leg-Gastrocnemius-1.png"),
        (&b, "opt/Back-Scapularis-2.png"),
    ] {
        let (x, y) = (
            std::fs::read(s.path(from)).unwrap(),
            std::fs::read(s.path(to)).unwrap(),
        );
        assert!(y.len() < x.len());
        assert_eq!(decode_png_exact(&x).unwrap(), decode_png_exact(&y).unwrap());
    }
    assert!(!s.path("opt/broken.png").exists());

    let r = s.run(&["thumb", "-o", "thumbs", "--thumb-size", "40", &a, &b]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let t = decode_png(
        &std::fs::read(s.path("thumbs/Leg-Gastrocnemius-1-thumb.png")).unwrap(),
        Path::new("t"),
    )
    .unwrap();
    assert_eq!(t.dimensions(), (27, 40));
    let t = decode_png(
        &std::fs::read(s.path("thumbs/Back-Scapularis-2-thumb.png")).unwrap(),
        Path::new("t"),
    )
    .unwrap();
    assert_eq!(t.dimensions(), (40, 40));

    // Never over the source itself.
    let before = std::fs::read(s.path(&a)).unwrap();
    let r = s.run(&["png", "--png-lossy", "-o", src, &a]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("overwrite the source"), "{}", r.stderr);
    assert_eq!(std::fs::read(s.path(&a)).unwrap(), before);
}

#[test]
fn a_corrupt_cache_only_costs_a_rebuild() {
    let s = Sandbox::gallery_site();
    assert_eq!(s.run(&["build", "-q"]).code, 0);
    let before = s.files("assets");
    std::fs::write(s.path(".assetgen-cache.json"), b"\x00{{ not json").unwrap();
    let r = s.run(&["build", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(s.files("assets"), before);
    assert_eq!(s.run(&["check"]).code, 0, "the cache is whole again");
}

#[test]
fn a_killed_build_is_finished_by_the_next_one() {
    let reference = Sandbox::gallery_site();
    assert_eq!(reference.run(&["build", "-q"]).code, 0);
    for delay_ms in [30, 120] {
        let s = Sandbox::gallery_site();
        let mut child = Command::new(env!("CARGO_BIN_EXE_assetgen"))
            .args(["build", "-q", "-j", "1"])
            .current_dir(s.dir.path())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        // Whatever is on disk now is complete: every PNG present decodes.
        for (path, bytes) in s.files("assets") {
            if path.ends_with(".png") {
                assert!(
                    decode_png(&bytes, Path::new(&path)).is_ok(),
                    "{path} is half written"
                );
            }
        }
        assert_eq!(s.run(&["build", "-q"]).code, 0);
        assert!(
            s.files("assets") == reference.files("assets"),
            "differs from a clean build"
        );
    }
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_saves_the_cache_and_the_next_build_finishes() {
    let reference = Sandbox::gallery_site();
    assert_eq!(reference.run(&["build", "-q"]).code, 0);
    let s = Sandbox::gallery_site();
    let child = Command::new(env!("CARGO_BIN_EXE_assetgen"))
        .args(["build", "-q", "-j", "1"])
        .current_dir(s.dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(150));
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().unwrap();
    let code = out.status.code();
    // Either it finished before the signal (0) or it stopped cleanly (130).
    assert!(
        matches!(code, Some(0) | Some(130)),
        "{code:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (path, bytes) in s.files("assets") {
        assert!(!path.contains(".assetgen-"), "temporary file left: {path}");
        if path.ends_with(".png") {
            assert!(
                decode_png(&bytes, Path::new(&path)).is_ok(),
                "{path} is half written"
            );
        }
    }
    if code == Some(130) {
        // The cache was saved: what was done is not done again.
        let done = s.files("assets").len();
        let r = s.run(&["build", "--json"]);
        assert_eq!(r.json()["up_to_date"].as_array().unwrap().len(), done);
    } else {
        assert_eq!(s.run(&["build", "-q"]).code, 0);
    }
    assert!(
        s.files("assets") == reference.files("assets"),
        "differs from a clean build"
    );
}

#[test]
fn fingerprinting_renames_outputs_and_rewrites_only_those_values() {
    let s = Sandbox::gallery_site();
    let original = s.files("pages");
    let r = s.run(&["build", "--json", "--fingerprint"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let pages: Vec<_> = r.json()["written"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["kind"] == "page")
        .cloned()
        .collect();
    assert_eq!(pages.len(), 2, "{pages:?}");
    let (page, stem) = GALLERIES[0];
    let text = std::fs::read_to_string(s.path(page)).unwrap();
    let old = String::from_utf8(original[page].clone()).unwrap();
    // Only the image_url and image_name values changed, line for line.
    let (a, b): (Vec<&str>, Vec<&str>) = (old.lines().collect(), text.lines().collect());
    assert_eq!(a.len(), b.len());
    let mut changed = 0;
    for (x, y) in a.iter().zip(&b) {
        if x != y {
            changed += 1;
            assert!(
                x.contains("image_url: muscles/png/") || x.contains("image_name: 'muscles/gif/"),
                "{x}"
            );
            let name = y.rsplit('/').next().unwrap().trim_end_matches('\'');
            let (base, fp) = name.rsplit_once('.').unwrap().0.rsplit_once('-').unwrap();
            assert_eq!(fp.len(), 8, "{y}");
            assert!(base.starts_with(stem), "{y}");
            // The output exists, with its thumbnail named the template's way.
            let rel = y.split(": ").nth(1).unwrap().trim_matches('\'');
            assert!(s.path(&format!("assets/images/{rel}")).is_file(), "{rel}");
            if rel.ends_with(".png") {
                let thumb = rel.replace(".png", "-thumb.png");
                assert!(
                    s.path(&format!("assets/images/{thumb}")).is_file(),
                    "{thumb}"
                );
            }
        }
    }
    assert_eq!(changed, 17);
    // Nothing to do the second time: the pages are not written again.
    let mtime = s.mtime(page);
    let r = s.run(&["build", "--json", "--fingerprint"]);
    assert_eq!(
        r.json()["written"].as_array().unwrap().len(),
        0,
        "{}",
        r.stdout
    );
    assert_eq!(s.mtime(page), mtime);
    assert_eq!(s.run(&["check", "--fingerprint"]).code, 0);
    // check without the setting sees the pages are out of date.
    let r = s.run(&["check"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains("front matter out of date"),
        "{}",
        r.stdout
    );
    // Turning fingerprinting off writes every page back byte for byte.
    assert_eq!(s.run(&["build", "-q"]).code, 0);
    assert_eq!(s.files("pages"), original);
    // The fingerprinted files are orphans now, which clean removes.
    let r = s.run(&["clean", "--json"]);
    assert_eq!(r.json()["removed"].as_array().unwrap().len(), 66);
    assert_eq!(s.files("assets").len(), 66);
}

/// The real site keeps its renders beside the published files: source
/// and output roots are one folder, so the renders are optimised in place
/// and fingerprinted outputs sit next to them.
#[test]
fn in_place_renders_survive_fingerprinting_and_clean() {
    let s = Sandbox::gallery_site();
    // One gallery is enough.
    std::fs::remove_file(s.path(GALLERIES[1].0)).unwrap();
    for n in 1..=16 {
        let other = format!("assets-src/muscles/png/{}-{n}.png", GALLERIES[1].1);
        std::fs::remove_file(s.path(&other)).unwrap();
    }
    std::fs::create_dir_all(s.path("assets/images")).unwrap();
    std::fs::rename(
        s.path("assets-src/muscles"),
        s.path("assets/images/muscles"),
    )
    .unwrap();
    let mut config = std::fs::read_to_string(s.path("_config.yml")).unwrap();
    config.push_str("\nassetgen:\n  source: assets/images\n  png_effort: 0\n");
    std::fs::write(s.path("_config.yml"), config).unwrap();
    let render = |n: u32| format!("assets/images/muscles/png/Leg-Gastrocnemius-{n}.png");
    let pixels =
        |rel: &str| decode_png(&std::fs::read(s.path(rel)).unwrap(), Path::new(rel)).unwrap();
    let before: Vec<_> = (1..=16).map(|n| pixels(&render(n))).collect();
    let pages = s.files("pages");

    assert_eq!(s.run(&["build", "-q"]).code, 0);
    // Optimised in place: smaller or equal, the same pixels.
    for (n, px) in (1..=16).zip(&before) {
        assert_eq!(pixels(&render(n)).pixels, px.pixels, "{}", render(n));
    }
    let built = s.files("assets");
    assert_eq!(built.len(), 16 + 16 + 1); // renders, thumbnails, GIF

    // Fingerprinted outputs land beside the renders; clean removes the
    // unfingerprinted thumbnails and GIF, and never a render.
    assert_eq!(s.run(&["build", "-q", "--fingerprint"]).code, 0);
    assert_eq!(s.files("assets").len(), 33 + 33);
    let r = s.run(&["clean", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let removed = r.json()["removed"].as_array().unwrap().len();
    assert_eq!(removed, 17, "{}", r.stdout);
    for n in 1..=16 {
        assert_eq!(
            s.files("assets")[&render(n)],
            built[&render(n)],
            "{}",
            render(n)
        );
    }

    // Back to plain names: the fingerprinted files are not taken for
    // renders, the pages return byte for byte, and clean returns the
    // folder to what the first build made.
    assert_eq!(s.run(&["build", "-q"]).code, 0);
    assert_eq!(s.files("pages"), pages);
    assert_eq!(s.run(&["clean"]).code, 0);
    assert_eq!(s.files("assets"), built);
    assert_eq!(s.run(&["check"]).code, 0);
    let r = s.run(&["build", "--json"]);
    assert_eq!(
        r.json()["written"].as_array().unwrap().len(),
        0,
        "{}",
        r.stdout
    );
}

#[test]
fn new_renders_continuing_a_gallery_are_appended_to_its_page() {
    let s = Sandbox::gallery_site();
    let src = |n: u32| s.path(&format!("assets-src/muscles/png/Leg-Gastrocnemius-{n}.png"));
    std::fs::copy(src(1), src(17)).unwrap();
    std::fs::copy(src(2), src(18)).unwrap();
    std::fs::copy(src(3), src(20)).unwrap(); // not continuous: ignored
    let (page, _) = GALLERIES[0];
    let before = std::fs::read_to_string(s.path(page)).unwrap();
    let r = s.run(&["check"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains("new frames continue the gallery"),
        "{}",
        r.stdout
    );

    let r = s.run(&["build", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let after = std::fs::read_to_string(s.path(page)).unwrap();
    let last = "    title: 'The gastrocnemius muscle of the leg - orientation 16'\n";
    let added = "  - image_url: muscles/png/Leg-Gastrocnemius-17.png\n    caption: 'The gastrocnemius muscle of the leg - orientation 17'\n    title: 'The gastrocnemius muscle of the leg - orientation 17'\n  - image_url: muscles/png/Leg-Gastrocnemius-18.png\n    caption: 'The gastrocnemius muscle of the leg - orientation 18'\n    title: 'The gastrocnemius muscle of the leg - orientation 18'\n";
    assert_eq!(after, before.replacen(last, &format!("{last}{added}"), 1));
    let gif = std::fs::read(s.path("assets/images/muscles/gif/Leg-Gastrocnemius.gif")).unwrap();
    assert_eq!(gif_info(&gif).0, 18);
    assert!(s
        .path("assets/images/muscles/png/Leg-Gastrocnemius-18-thumb.png")
        .is_file());
    assert!(!s
        .path("assets/images/muscles/png/Leg-Gastrocnemius-20.png")
        .exists());
    // Done: nothing more to write, and check agrees.
    let r = s.run(&["build", "--json"]);
    assert_eq!(
        r.json()["written"].as_array().unwrap().len(),
        0,
        "{}",
        r.stdout
    );
    assert_eq!(s.run(&["check"]).code, 0);
}

#[test]
fn prune_removes_entries_whose_renders_are_gone_and_only_on_request() {
    let s = Sandbox::gallery_site();
    let leg = "pages/muscles/muscle_leg-gastrocnemius.md";
    let back = "pages/muscles/muscle_back-scapularis.md";
    let text = std::fs::read_to_string(s.path(leg)).unwrap();
    let back_text = std::fs::read_to_string(s.path(back)).unwrap();
    for n in [3, 16] {
        std::fs::remove_file(s.path(&format!("assets-src/muscles/png/Leg-Gastrocnemius-{n}.png")))
            .unwrap();
    }
    // Without --prune a missing render is an error and the page stays.
    let r = s.run(&["build", "-q"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("Leg-Gastrocnemius-3.png"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(s.path(leg)).unwrap(), text);

    // --dry-run shows the removal as a diff and writes nothing.
    let r = s.run(&["build", "--prune", "--dry-run"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("-  - image_url: muscles/png/Leg-Gastrocnemius-16.png"),
        "{}",
        r.stdout
    );
    assert_eq!(std::fs::read_to_string(s.path(leg)).unwrap(), text);

    let back_mtime = s.mtime(back);
    let r = s.run(&["build", "--prune", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut expect = text.clone();
    for n in [3, 16] {
        let entry = format!("  - image_url: muscles/png/Leg-Gastrocnemius-{n}.png\n    caption: 'The gastrocnemius muscle of the leg - orientation {n}'\n    title: 'The gastrocnemius muscle of the leg - orientation {n}'\n");
        expect = expect.replacen(&entry, "", 1);
    }
    assert_ne!(expect, text);
    assert_eq!(std::fs::read_to_string(s.path(leg)).unwrap(), expect);
    assert_eq!(std::fs::read_to_string(s.path(back)).unwrap(), back_text);
    assert_eq!(s.mtime(back), back_mtime);
    let gif = std::fs::read(s.path("assets/images/muscles/gif/Leg-Gastrocnemius.gif")).unwrap();
    assert_eq!(gif_info(&gif).0, 14);
    // Pruned: the next build is clean and writes nothing.
    let r = s.run(&["build", "--prune", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(written_paths(&r).is_empty(), "{}", r.stdout);

    // A gallery with no render left is not emptied.
    for n in 1..=16 {
        std::fs::remove_file(s.path(&format!("assets-src/muscles/png/Back-Scapularis-{n}.png")))
            .unwrap();
    }
    let r = s.run(&["build", "--prune", "-q"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("nothing pruned"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(s.path(back)).unwrap(), back_text);
}

#[test]
fn dry_run_shows_page_changes_as_a_diff() {
    let s = Sandbox::gallery_site();
    let before = s.files("pages");
    let r = s.run(&["build", "--dry-run", "--fingerprint"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("--- a/pages/muscles/muscle_leg-gastrocnemius.md"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("\n-  - image_url: muscles/png/Leg-Gastrocnemius-1.png\n"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("\n+  - image_url: muscles/png/Leg-Gastrocnemius-1-"),
        "{}",
        r.stdout
    );
    assert_eq!(s.files("pages"), before);
    assert!(!s.path("assets").exists());
}

#[test]
fn help_and_version() {
    let s = Sandbox::gallery_site();
    let r = s.run(&["--help"]);
    assert_eq!(r.code, 0);
    for cmd in ["build", "check", "gif", "clean"] {
        assert!(r.stdout.contains(cmd), "{}", r.stdout);
    }
    let r = s.run(&["--version"]);
    assert!(r.stdout.starts_with("assetgen "), "{}", r.stdout);
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
