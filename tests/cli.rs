//! End-to-end tests: run the built `assetgen` on a temporary copy of a
//! fixture site and check files, decoded pixels, the JSON report and exit
//! codes.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use assetgen::{decode_png, decode_png_exact};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// A temporary copy of a fixture site.
struct Sandbox {
    dir: tempfile::TempDir,
}

/// What a run printed and returned.
struct Run {
    /// Exit status; -1 when killed by a signal.
    code: i32,
    stdout: String,
    stderr: String,
}

/// A run still going after this long is taken to hang: it is killed and
/// the test fails saying so, instead of the whole suite waiting forever.
/// (Far above any run's real time; not a timing assertion.)
const HANG: Duration = Duration::from_secs(300);

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

    /// One gallery with its renders in the output root, as the real site
    /// keeps them (`source: assets/images`); `setting` is added to the config.
    fn in_place_site_with(setting: &str) -> Sandbox {
        let s = one_gallery_site();
        std::fs::create_dir_all(s.path("assets/images")).unwrap();
        std::fs::rename(
            s.path("assets-src/muscles"),
            s.path("assets/images/muscles"),
        )
        .unwrap();
        let mut config = std::fs::read_to_string(s.path("_config.yml")).unwrap();
        config.push_str(&format!("\nassetgen:\n{setting}  png_effort: 0\n"));
        std::fs::write(s.path("_config.yml"), config).unwrap();
        s
    }

    fn in_place_site() -> Sandbox {
        Sandbox::in_place_site_with("  source: assets/images\n")
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_in_with("", args, &[])
    }

    /// Runs from the folder `rel` inside the site.
    fn run_in(&self, rel: &str, args: &[&str]) -> Run {
        self.run_in_with(rel, args, &[])
    }

    /// Runs assetgen with extra environment variables, failing the test
    /// if it hangs. (Only the debug-only fault-point test uses it.)
    #[cfg_attr(not(debug_assertions), allow(dead_code))]
    fn run_with(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        self.run_in_with("", args, env)
    }

    /// Runs assetgen from the folder `rel` inside the site, with extra
    /// environment variables, failing the test if it hangs.
    fn run_in_with(&self, rel: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut child = Command::new(env!("CARGO_BIN_EXE_assetgen"))
            .args(args)
            .envs(env.iter().copied())
            .current_dir(self.path(rel))
            .env_remove("NO_COLOR")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let drain = |mut pipe: Box<dyn Read + Send>| {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                let _ = pipe.read_to_end(&mut bytes);
                String::from_utf8_lossy(&bytes).into_owned()
            })
        };
        let stdout = drain(Box::new(child.stdout.take().unwrap()));
        let stderr = drain(Box::new(child.stderr.take().unwrap()));
        let deadline = Instant::now() + HANG;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("assetgen {args:?} hung; killed after {HANG:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        Run {
            code: status.code().unwrap_or(-1),
            stdout: stdout.join().unwrap(),
            stderr: stderr.join().unwrap(),
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
    assert_eq!(json["up_to_date"].as_array().unwrap().len(), 70);
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
    assert_eq!(r.json()["written"].as_array().unwrap().len(), 70);
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
    // A page whose renders are all missing is one line, not sixteen.
    for missing in [
        "pages/muscle_leg.md: 16 of 16 frames missing under assets-src/muscles/png/\n",
        "pages/muscles/muscle_leg_medialheadofgastrocnemius.md: 16 of 16 frames missing under assets-src/muscles/png/\n",
        "assets/images/flowchart_seg.gif: missing (listed in pages/methods_5_segmentation.md)",
        "assets/images/neural-small.gif: missing",
    ] {
        assert!(r.stdout.contains(missing), "{missing} not in:\n{}", r.stdout);
    }
    assert!(!r.stdout.contains("Leg-1.png"), "{}", r.stdout);
    assert!(r.stdout.lines().all(|l| !l.is_empty()));
    // --verbose lists every file under its page.
    let r = s.run(&["check", "-v"]);
    for file in [
        "Leg-1.png",
        "Leg-16.png",
        "Leg-MedialHeadOfGastrocnemius-7.png",
    ] {
        let line = format!("    assets-src/muscles/png/{file}\n");
        assert!(r.stdout.contains(&line), "{file} not in:\n{}", r.stdout);
    }

    let r = s.run(&["build", "--json"]);
    assert_eq!(r.code, 1);
    let errors = r.json()["errors"].as_array().unwrap().clone();
    assert!(
        errors.iter().any(|e| e["path"] == "pages/muscle_leg.md"
            && e["files"]
                .as_array()
                .is_some_and(|f| f.len() == 16 && f[2] == "assets-src/muscles/png/Leg-3.png")),
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
    // file:line:column of the value, as compilers write it.
    let line = config.lines().count() + 3;
    assert!(
        r.stderr.contains(&format!(
            "_config.yml:{line}:15: assetgen.gif_colors: expected a number of colours from 2 to 256, got 999"
        )),
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
    assert_eq!(a.len(), 70);
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
        "--no-sort",
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
            "assets/images/muscles/gif/Leg-Gastrocnemius.mp4",
            "assets/images/muscles/gif/Leg-Gastrocnemius.webm",
            "assets/images/muscles/png/Leg-Gastrocnemius-3-thumb.png",
            "assets/images/muscles/png/Leg-Gastrocnemius-3.png",
        ]
    );
    assert_eq!(r.json()["up_to_date"].as_array().unwrap().len(), 65);
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
        r.stdout
            .contains(&format!("{png}: deleted since it was built")),
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
    let r = s.run(&[
        "build",
        "--json",
        "--thumb-size",
        "30",
        "--gif-colors",
        "16",
    ]);
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
        "--gif-colors",
        "16",
        "--force",
    ]);
    // --force makes everything again; the bytes come out the same, so
    // nothing is rewritten, and the report says "unchanged", not "up to date".
    let json = r.json();
    assert_eq!(json["unchanged"].as_array().unwrap().len(), 70, "{json}");
    assert_eq!(json["up_to_date"].as_array().unwrap().len(), 0, "{json}");
}

#[test]
fn issue_12_a_changed_quality_target_rebuilds_only_the_gifs() {
    let s = Sandbox::gallery_site();
    assert_eq!(s.run(&["build", "-q"]).code, 0);
    // Everything but the two GIFs is up to date (the GIFs are remade;
    // whether their bytes change depends on the level the search picks).
    let r = s.run(&["build", "--json", "--gif-quality", "0.9"]);
    let fresh = r.json()["up_to_date"].as_array().unwrap().clone();
    // 70 outputs: the webm and mp4 are not shaped by the GIF's quality.
    assert_eq!(fresh.len(), 68, "{fresh:?}");
    assert!(
        fresh.iter().all(|p| !p.to_string().contains(".gif")),
        "{fresh:?}"
    );
    let written = written_paths(&r);
    assert!(written.iter().all(|p| p.ends_with(".gif")), "{written:?}");
    // The same target again: nothing to do.
    let r = s.run(&["build", "--json", "--gif-quality", "0.9"]);
    assert_eq!(r.json()["up_to_date"].as_array().unwrap().len(), 70);
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
    assert_eq!(up, 38, "{}", r.stdout); // PNGs, GIFs, videos
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
    assert_eq!(r.json()["removed"].as_array().unwrap().len(), 70);
    assert_eq!(s.files("assets").len(), 70);
}

/// The real site keeps its renders beside the published files: source
/// and output roots are one folder, so the renders are optimised in place
/// and fingerprinted outputs sit next to them.
#[test]
fn in_place_renders_survive_fingerprinting_and_clean() {
    let s = Sandbox::in_place_site();
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
    assert_eq!(built.len(), 16 + 16 + 3); // renders, thumbnails, GIF and videos

    // Fingerprinted outputs land beside the renders; clean removes the
    // unfingerprinted thumbnails and GIF, and never a render.
    assert_eq!(s.run(&["build", "-q", "--fingerprint"]).code, 0);
    assert_eq!(s.files("assets").len(), 35 + 35);
    let r = s.run(&["clean", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let removed = r.json()["removed"].as_array().unwrap().len();
    assert_eq!(removed, 19, "{}", r.stdout);
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
    assert!(
        r.stderr.contains(
            "muscle_leg-gastrocnemius.md: 2 of 16 frames missing under assets-src/muscles/png/"
        ),
        "{}",
        r.stderr
    );
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

// Robustness (issue #15): nothing lost, nothing hangs, nothing read outside.

/// The gallery site with one gallery only (the gastrocnemius), for tests
/// that run many builds.
fn one_gallery_site() -> Sandbox {
    let s = Sandbox::gallery_site();
    std::fs::remove_file(s.path(GALLERIES[1].0)).unwrap();
    for n in 1..=16 {
        let other = format!("assets-src/muscles/png/{}-{n}.png", GALLERIES[1].1);
        std::fs::remove_file(s.path(&other)).unwrap();
    }
    s
}

/// Temporary files of assetgen anywhere in the sandbox.
#[cfg_attr(not(debug_assertions), allow(dead_code))]
fn temp_files(s: &Sandbox) -> Vec<String> {
    s.files("")
        .into_keys()
        .filter(|p| {
            let name = p.rsplit('/').next().unwrap_or(p);
            name.starts_with(".assetgen-") && name.ends_with(".tmp")
        })
        .collect()
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(made.success(), "mkfifo {}", path.display());
}

#[cfg(unix)]
fn is_fifo(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_fifo())
}

#[test]
fn commands_never_write_over_their_own_inputs() {
    let s = Sandbox::gallery_site();
    for dir in ["in", "other"] {
        std::fs::create_dir_all(s.path(dir)).unwrap();
    }
    let frame = |n: u32| s.path(&format!("assets-src/muscles/png/Leg-Gastrocnemius-{n}.png"));
    std::fs::copy(frame(2), s.path("in/f2.png")).unwrap();
    std::fs::copy(frame(3), s.path("in/f3.png")).unwrap();
    std::fs::copy(frame(4), s.path("other/f2.png")).unwrap();
    let before = (s.files("in"), s.files("other"));

    let r = s.run(&["gif", "-o", "in/f3.png", "in/f3.png", "in/f2.png"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("in/f3.png: is also an input frame (in/f3.png)"),
        "{}",
        r.stderr
    );
    // Spelled another way, it is the same file.
    let r = s.run(&["gif", "-o", "./in/../in/f2.png", "in/f3.png", "in/f2.png"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    #[cfg(unix)]
    {
        // An input that is a symlink is the file it points to.
        std::os::unix::fs::symlink("in/f3.png", s.path("link.png")).unwrap();
        let r = s.run(&["gif", "-o", "in/f3.png", "link.png", "in/f2.png"]);
        assert_eq!(r.code, 2, "{}", r.stderr);
    }
    // png: each file's output would be an input (its own, and another's).
    let r = s.run(&["png", "-o", "in", "other/f2.png", "in/f2.png"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("other/f2.png: output in/f2.png would overwrite another input, in/f2.png"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("in/f2.png: output in/f2.png would overwrite the source"),
        "{}",
        r.stderr
    );
    assert!(
        before == (s.files("in"), s.files("other")),
        "an input changed"
    );
    // A GIF elsewhere is still made.
    let r = s.run(&["gif", "-o", "out.gif", "in/f3.png", "in/f2.png"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn no_output_is_written_over_a_render_a_page_lists() {
    let s = Sandbox::in_place_site();
    let png = "assets/images/muscles/png";
    // Page B's render is named as page A's thumbnail of frame 1 would be,
    // page C's as page A's GIF (a PNG named .gif is a render all the same).
    std::fs::copy(
        s.path(&format!("{png}/Leg-Gastrocnemius-5.png")),
        s.path(&format!("{png}/Leg-Gastrocnemius-1-thumb.png")),
    )
    .unwrap();
    std::fs::create_dir_all(s.path("assets/images/muscles/gif")).unwrap();
    std::fs::copy(
        s.path(&format!("{png}/Leg-Gastrocnemius-6.png")),
        s.path("assets/images/muscles/gif/Leg-Gastrocnemius.gif"),
    )
    .unwrap();
    std::fs::write(
        s.path("pages/b.md"),
        "---\ngallery:\n  - image_url: muscles/png/Leg-Gastrocnemius-1-thumb.png\n---\n",
    )
    .unwrap();
    std::fs::write(
        s.path("pages/c.md"),
        "---\ngallery:\n  - image_url: muscles/gif/Leg-Gastrocnemius.gif\n---\n",
    )
    .unwrap();
    let pixels = |rel: &str| {
        decode_png(&std::fs::read(s.path(rel)).unwrap(), Path::new(rel))
            .unwrap()
            .pixels
    };
    let renders = [
        format!("{png}/Leg-Gastrocnemius-1-thumb.png"),
        "assets/images/muscles/gif/Leg-Gastrocnemius.gif".to_string(),
    ];
    let before: Vec<Vec<u8>> = renders.iter().map(|r| pixels(r)).collect();
    let page = GALLERIES[0].0;
    let thumb = format!("{page}: refusing path 'assets/images/muscles/png/Leg-Gastrocnemius-1-thumb.png': it would overwrite assets/images/muscles/png/Leg-Gastrocnemius-1-thumb.png, a render listed in pages/b.md");
    let gif = format!("{page}: refusing path 'assets/images/muscles/gif/Leg-Gastrocnemius.gif': it would overwrite assets/images/muscles/gif/Leg-Gastrocnemius.gif, a render listed in pages/c.md");
    for args in [&["check"][..], &["build", "--dry-run"], &["build"]] {
        let r = s.run(args);
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        let all = format!("{}{}", r.stdout, r.stderr);
        assert!(all.contains(&thumb), "{args:?}: {all}");
        assert!(all.contains(&gif), "{args:?}: {all}");
    }
    // Both renders hold their own pixels (optimised in place by their own
    // pages), and the rest of page A is built.
    let after: Vec<Vec<u8>> = renders.iter().map(|r| pixels(r)).collect();
    assert!(before == after, "a render was overwritten");
    assert!(s
        .path(&format!("{png}/Leg-Gastrocnemius-2-thumb.png"))
        .is_file());
}

#[cfg(unix)]
#[test]
fn an_output_folder_linked_onto_the_renders_is_refused() {
    let s = Sandbox::gallery_site();
    std::fs::create_dir_all(s.path("assets/images/muscles")).unwrap();
    std::os::unix::fs::symlink(
        "../../../assets-src/muscles/png",
        s.path("assets/images/muscles/png"),
    )
    .unwrap();
    let before = s.files("assets-src");
    let r = s.run(&["build"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("refusing path 'assets/images/muscles/png/Leg-Gastrocnemius-1.png': it would overwrite assets-src/muscles/png/Leg-Gastrocnemius-1.png, a render listed in pages/muscles/muscle_leg-gastrocnemius.md"),
        "{}",
        r.stderr
    );
    assert!(s.files("assets-src") == before, "a render was overwritten");
}

#[cfg(unix)]
#[test]
fn fifos_and_other_special_files_are_refused_never_opened() {
    let s = Sandbox::gallery_site();
    let fifo = "assets-src/muscles/png/Leg-Gastrocnemius-4.png";
    let socket = "assets-src/muscles/png/Leg-Gastrocnemius-5.png";
    std::fs::remove_file(s.path(fifo)).unwrap();
    mkfifo(&s.path(fifo));
    std::fs::remove_file(s.path(socket)).unwrap();
    let _listener = std::os::unix::net::UnixListener::bind(s.path(socket)).unwrap();
    // Discovery must not open a page that is a FIFO either.
    mkfifo(&s.path("pages/stuck.md"));
    for args in [&["check"][..], &["build", "--dry-run"], &["build"]] {
        let r = s.run(args);
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        let all = format!("{}{}", r.stdout, r.stderr);
        for line in [
            format!("{fifo}: is a FIFO, not a regular file; left alone"),
            format!("{socket}: is a socket, not a regular file; left alone"),
        ] {
            assert!(all.contains(&line), "{args:?}: {all}");
        }
        assert!(!all.contains("stuck.md"), "{args:?}: {all}");
    }
    assert!(s
        .path("assets/images/muscles/gif/Back-Scapularis.gif")
        .is_file());
    assert!(is_fifo(&s.path(fifo)));
    let r = s.run(&["gif", "-o", "x.gif", fifo]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("is a FIFO"), "{}", r.stderr);

    // Where the cache or the settings are: no hang, one line each.
    let s = one_gallery_site();
    mkfifo(&s.path(".assetgen-cache.json"));
    let r = s.run(&["build", "-q"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains(".assetgen-cache.json: is a FIFO, not a regular file; left alone"),
        "{}",
        r.stderr
    );
    std::fs::remove_file(s.path("_config.yml")).unwrap();
    mkfifo(&s.path("_config.yml"));
    let r = s.run(&["check"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("_config.yml is a FIFO"), "{}", r.stderr);
}

#[cfg(unix)]
#[test]
fn nothing_outside_the_site_is_opened_through_a_symlink() {
    let s = Sandbox::gallery_site();
    let outside = tempfile::tempdir().unwrap();
    // Every file out there is a FIFO: opening any of them would hang.
    for name in [
        "Leg-Gastrocnemius.gif",
        "Back-Scapularis.gif",
        "cache.json",
        "page.md",
    ] {
        mkfifo(&outside.path().join(name));
    }
    std::fs::write(outside.path().join(".assetgen-abc123.tmp"), b"not ours").unwrap();
    std::fs::create_dir_all(s.path("assets/images/muscles")).unwrap();
    std::os::unix::fs::symlink(outside.path(), s.path("assets/images/muscles/gif")).unwrap();
    std::os::unix::fs::symlink(outside.path(), s.path("pages/linked")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("cache.json"),
        s.path(".assetgen-cache.json"),
    )
    .unwrap();
    let refused = "pages/muscles/muscle_leg-gastrocnemius.md: refusing path 'assets/images/muscles/gif/Leg-Gastrocnemius.gif': a symlink points outside the site root";
    for args in [&["check"][..], &["build", "--dry-run"], &["build"]] {
        let r = s.run(args);
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        let all = format!("{}{}", r.stdout, r.stderr);
        assert!(all.contains(refused), "{args:?}: {all}");
        assert!(!all.contains("page.md"), "{args:?}: {all}");
    }
    let r = s.run(&["build"]);
    assert!(
        r.stderr.contains(".assetgen-cache.json: refusing path '.assetgen-cache.json': a symlink points outside the site root"),
        "{}",
        r.stderr
    );
    // Out there nothing changed, and nothing was swept.
    for name in ["Leg-Gastrocnemius.gif", "cache.json", "page.md"] {
        assert!(is_fifo(&outside.path().join(name)), "{name}");
    }
    assert!(outside.path().join(".assetgen-abc123.tmp").is_file());
    // Inside, the rest is built.
    assert!(s
        .path("assets/images/muscles/png/Back-Scapularis-1-thumb.png")
        .is_file());
}

/// A build killed (as by `kill -9`) right before or after each kind of
/// rename leaves only whole files, and the next build removes its
/// temporary files and ends where a clean build does. Uses the debug-only
/// fault point in `site/fs.rs`.
#[cfg(debug_assertions)]
#[test]
fn a_build_killed_at_any_rename_is_made_whole_by_the_next() {
    // Fingerprints make the build rewrite the page too.
    let args = [
        "build",
        "-q",
        "-j",
        "1",
        "--fingerprint",
        "--png-effort",
        "0",
    ];
    let reference = one_gallery_site();
    assert_eq!(reference.run(&args).code, 0);
    let whole_site = |s: &Sandbox| s.files("");
    let reference_assets = reference.files("assets");
    for at in [
        "asset:before:3",
        "asset:after:3",
        "page:before",
        "page:after",
        "cache:before",
        "cache:after",
    ] {
        let s = one_gallery_site();
        let r = s.run_with(&args, &[("ASSETGEN_DEBUG_KILL_AT", at)]);
        assert_eq!(r.code, -1, "{at}: not killed: {}", r.stderr);
        if at.contains("before") {
            assert!(!temp_files(&s).is_empty(), "{at}: no temporary file left");
        }
        for (path, bytes) in s.files("assets") {
            assert!(
                decode_png(&bytes, Path::new(&path)).is_ok()
                    || reference_assets.get(&path) == Some(&bytes),
                "{at}: {path} is half written"
            );
        }
        let r = s.run(&args);
        assert_eq!(r.code, 0, "{at}: {}", r.stderr);
        assert_eq!(temp_files(&s), Vec::<String>::new(), "{at}");
        assert!(
            whole_site(&s) == whole_site(&reference),
            "{at}: differs from a clean build"
        );
    }
}

/// Temporary files of killed runs are removed from every folder assetgen
/// writes to, and only assetgen's own.
#[test]
fn debris_of_killed_runs_is_swept_from_every_folder_written() {
    let s = one_gallery_site();
    let ours = [
        ".assetgen-Ab12Cd.tmp",
        "pages/muscles/.assetgen-Ef34Gh.tmp",
        "assets-src/muscles/png/.assetgen-Ij56Kl.tmp",
        "assets/images/muscles/gif/.assetgen-Mn78Op.tmp",
    ];
    let theirs = [
        ".assetgen-notes.tmp",
        "pages/.assetgen-cache.json",
        "pages/x.tmp",
    ];
    for f in ours.iter().chain(&theirs) {
        let p = s.path(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, b"left by someone").unwrap();
    }
    // A dry run holds no lock, so it may not sweep.
    assert_eq!(s.run(&["build", "-q", "--dry-run"]).code, 0);
    assert!(ours.iter().all(|f| s.path(f).exists()));
    assert_eq!(s.run(&["build", "-q", "--png-effort", "0"]).code, 0);
    for f in ours {
        assert!(!s.path(f).exists(), "{f} left");
    }
    for f in theirs {
        assert!(s.path(f).exists(), "{f} removed");
    }
}

#[cfg(unix)]
#[test]
fn a_stale_lock_file_of_another_user_does_not_stop_a_build() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let s = one_gallery_site();
    let lock = s.path(".assetgen.lock");
    std::fs::write(&lock, b"").unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_assetgen"));
    cmd.args(["build", "-q", "--png-effort", "0"])
        .current_dir(s.dir.path());
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        // Left by root, readable by nobody else; run as `nobody`, who may
        // write the site.
        std::fs::set_permissions(&lock, std::fs::Permissions::from_mode(0o600)).unwrap();
        for e in walkdir::WalkDir::new(s.dir.path()) {
            let e = e.unwrap();
            if e.path() != lock {
                let mode = if e.file_type().is_dir() { 0o777 } else { 0o666 };
                std::fs::set_permissions(e.path(), std::fs::Permissions::from_mode(mode)).unwrap();
            }
        }
        cmd.uid(65534).gid(65534);
    } else {
        // Ours, but read-only: what another user's file is to us.
        std::fs::set_permissions(&lock, std::fs::Permissions::from_mode(0o444)).unwrap();
    }
    let out = cmd.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(s
        .path("assets/images/muscles/gif/Leg-Gastrocnemius.gif")
        .is_file());
}

#[cfg(unix)]
#[test]
fn ctrl_c_while_waiting_for_the_lock_stops_at_once() {
    use std::io::BufRead;
    let s = one_gallery_site();
    // Another run holds the lock: the site folder, locked.
    let held = std::fs::File::open(s.dir.path()).unwrap();
    held.lock().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_assetgen"))
        .args(["build", "-q"])
        .current_dir(s.dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    assert!(line.contains("waiting for another assetgen run"), "{line}");
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{rest}");
    assert!(rest.contains("interrupted while waiting"), "{rest}");
    assert!(!s.path("assets").exists());
}

#[test]
fn check_warns_about_duplicate_keys_without_failing() {
    let s = Sandbox::gallery_site();
    assert_eq!(s.run(&["build", "-q"]).code, 0);
    let page = GALLERIES[1].0;
    let text = std::fs::read_to_string(s.path(page)).unwrap();
    let text = text
        .replacen(
            "title: 'The scapularis muscle of the back'\n",
            "title: 'The scapularis muscle of the back'\ntitle: 'Scapularis'\n",
            1,
        )
        .replacen(
            "  - image_url: muscles/png/Back-Scapularis-1.png\n",
            "  - image_url: muscles/png/Back-Scapularis-1.png\n    image_url: muscles/png/Back-Scapularis-1.png\n",
            1,
        );
    std::fs::write(s.path(page), text).unwrap();
    let r = s.run(&["check"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        r.stdout,
        format!(
            "warning: {page}:7:1: duplicate key 'title' (first on line 6); the last one is used, as Jekyll does\n\
             warning: {page}:22:5: duplicate key 'image_url' (first on line 21); the last one is used, as Jekyll does\n"
        )
    );
    assert!(r.stderr.contains("all good (2 warnings)"), "{}", r.stderr);
    let r = s.run(&["check", "--json"]);
    assert_eq!(r.code, 0);
    let json = r.json();
    assert_eq!(json["problems"].as_array().unwrap().len(), 0);
    let warnings = json["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 2);
    assert_eq!(warnings[0]["path"], page);
    // A problem still fails the check, warnings or not.
    std::fs::remove_file(s.path("assets/images/muscles/gif/Back-Scapularis.gif")).unwrap();
    assert_eq!(s.run(&["check"]).code, 1);
}

/// A PNG that is small on disk but decodes to `side` x `side`: one bit of
/// grey per pixel, all zero.
fn huge_png(side: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, side, side);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::One);
        enc.set_compression(png::Compression::Fast);
        let mut w = enc.write_header().unwrap();
        let mut stream = w.stream_writer().unwrap();
        let row = vec![0u8; side as usize / 8];
        for _ in 0..side {
            std::io::Write::write_all(&mut stream, &row).unwrap();
        }
        stream.finish().unwrap();
    }
    out
}

#[test]
fn a_gallery_over_the_pixel_budget_fails_before_decoding() {
    let s = Sandbox::gallery_site();
    let big = huge_png(16384);
    assert!(big.len() < 1 << 20, "{} bytes", big.len());
    for n in 1..=2 {
        std::fs::write(
            s.path(&format!("assets-src/muscles/png/Huge-{n}.png")),
            &big,
        )
        .unwrap();
    }
    std::fs::write(
        s.path("pages/huge.md"),
        "---\nimages:\n  - image_name: muscles/gif/Huge.gif\ngallery:\n  - image_url: muscles/png/Huge-1.png\n  - image_url: muscles/png/Huge-2.png\n---\n",
    )
    .unwrap();
    let line = "pages/huge.md: gallery of 2 frames is 537 megapixels (2.1 GB decoded), over gallery_megapixels (512); raise it or use smaller renders";
    // A dry run says so too, as it says everything a build would refuse.
    for cmd in [&["check"][..], &["build", "--dry-run"], &["build"]] {
        let r = s.run(&[cmd, &["--png-effort", "0"]].concat());
        assert_eq!(r.code, 1, "{cmd:?}: {}", r.stderr);
        let all = format!("{}{}", r.stdout, r.stderr);
        assert!(all.contains(line), "{cmd:?}: {all}");
        // Refused from the headers: no frame was decoded.
        assert!(
            !all.contains("assets-src/muscles/png/Huge-1.png:"),
            "{cmd:?}: {all}"
        );
    }
    assert!(!s.path("assets/images/muscles/png/Huge-1.png").exists());
    assert!(s
        .path("assets/images/muscles/gif/Back-Scapularis.gif")
        .is_file());
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

// A user's first hour: the traps a new user fell into, each kept shut.

#[test]
fn one_build_reaches_the_fixed_point_in_place() {
    // The first build replaces each render by its optimised copy; check
    // must pass right after it, and a second build must find nothing to do.
    let s = Sandbox::in_place_site();
    let r = s.run(&["build", "-q"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = s.run(&["check"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let r = s.run(&["build", "--json"]);
    let json = r.json();
    assert_eq!(json["written"].as_array().unwrap().len(), 0, "{json}");
    assert_eq!(json["up_to_date"].as_array().unwrap().len(), 35, "{json}");
}

#[test]
fn check_says_when_in_place_renders_are_not_optimised_yet() {
    let s = Sandbox::in_place_site();
    let r = s.run(&["check"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains(
            "assets/images/muscles/png/Leg-Gastrocnemius-1.png: a new render, not optimised yet"
        ),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("changed since"), "{}", r.stdout);
}

#[test]
fn renders_in_the_output_root_without_source_get_a_hint() {
    let s = Sandbox::in_place_site_with("");
    let r = s.run(&["check"]);
    assert_eq!(r.code, 1);
    let page = GALLERIES[0].0;
    let line = r.stdout.lines().find(|l| l.starts_with(page)).unwrap_or("");
    assert!(
        line.contains("16 of 16 frames missing under assets-src/muscles/png/")
            && line.contains("source: assets/images"),
        "{}",
        r.stdout
    );
    assert_eq!(
        r.stdout.matches("frames missing").count(),
        1,
        "{}",
        r.stdout
    );
}

#[test]
fn gif_takes_frames_in_natural_order_unless_told_not_to() {
    let s = Sandbox::gallery_site();
    let stem = "assets-src/muscles/png/Leg-Gastrocnemius";
    let natural: Vec<String> = (1..=16).map(|n| format!("{stem}-{n}.png")).collect();
    // What a shell's `*` gives: 1, 10, 11, ..., 16, 2, ..., 9.
    let mut shell = natural.clone();
    shell.sort();
    assert_ne!(shell, natural);
    let gif = |name: &str, extra: &[&str], frames: &[String]| {
        let mut args = vec!["gif", "-q", "-o", name];
        args.extend_from_slice(extra);
        args.extend(frames.iter().map(String::as_str));
        let r = s.run(&args);
        assert_eq!(r.code, 0, "{}", r.stderr);
        std::fs::read(s.path(name)).unwrap()
    };
    let sorted = gif("natural.gif", &[], &natural);
    assert_eq!(gif("shell.gif", &[], &shell), sorted);
    assert_ne!(gif("kept.gif", &["--no-sort"], &shell), sorted);
    let r = s.run(&["gif", "--help"]);
    assert!(r.stdout.contains("--no-sort"), "{}", r.stdout);
    assert!(r.stdout.contains("natural order"), "{}", r.stdout);
}

#[test]
fn arguments_that_are_not_pages_are_usage_errors() {
    let s = Sandbox::gallery_site();
    std::fs::write(s.path("README.md"), "# A site\n").unwrap();
    for (arg, says) in [
        ("README.md", "not a page"),
        ("_config.yml", "not a page"),
        ("pages", "a folder"),
        ("pages/nope.md", "no such page"),
    ] {
        let r = s.run(&["build", arg]);
        assert_eq!(r.code, 2, "{arg}: {}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{arg}: {}", r.stderr);
        assert!(
            r.stderr.contains(arg) && r.stderr.contains(says),
            "{arg}: {}",
            r.stderr
        );
        assert!(!r.stderr.contains("os error"), "{}", r.stderr);
    }
    assert!(!s.path("assets").exists());
    // --site must name the site's folder.
    let r = s.run(&["check", "--site", "_config.yml"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(!r.stderr.contains("os error"), "{}", r.stderr);
}

#[test]
fn an_unreadable_page_is_an_error_naming_it() {
    let s = Sandbox::gallery_site();
    // Not UTF-8: it cannot be read as text, which a user must hear about.
    std::fs::write(s.path("pages/broken.md"), b"---\ntitle: \xff\xfe\n---\n").unwrap();
    let r = s.run(&["build", "-q"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("pages/broken.md"), "{}", r.stderr);
    // The other pages are built all the same.
    assert!(s
        .path("assets/images/muscles/gif/Leg-Gastrocnemius.gif")
        .is_file());
}

#[test]
fn an_unreadable_config_is_a_configuration_error() {
    let s = Sandbox::gallery_site();
    std::fs::write(s.path("_config.yml"), b"title: \xff\xfe\n").unwrap();
    let r = s.run(&["build"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("_config.yml"), "{}", r.stderr);
}

#[test]
fn png_and_thumb_refuse_two_inputs_with_one_output_name() {
    let s = Sandbox::gallery_site();
    let frame = s.path("assets-src/muscles/png/Leg-Gastrocnemius-1.png");
    for dir in ["a", "b"] {
        std::fs::create_dir_all(s.path(dir)).unwrap();
        std::fs::copy(&frame, s.path(&format!("{dir}/f.png"))).unwrap();
    }
    for cmd in ["png", "thumb"] {
        let r = s.run(&[cmd, "-o", "out", "a/f.png", "b/f.png"]);
        assert_eq!(r.code, 2, "{cmd}: {}", r.stderr);
        assert!(
            r.stderr.contains("a/f.png") && r.stderr.contains("b/f.png"),
            "{cmd}: {}",
            r.stderr
        );
        assert!(!s.path("out").exists(), "{cmd} wrote something");
    }
}

#[test]
fn the_site_is_found_from_a_folder_inside_it() {
    let s = Sandbox::gallery_site();
    let r = s.run_in("pages/muscles", &["build", "-q"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(s
        .path("assets/images/muscles/gif/Leg-Gastrocnemius.gif")
        .is_file());
    assert!(!s.path("pages/muscles/assets").exists());
    // A page named from there, relative to the current folder.
    let r = s.run_in("pages/muscles", &["check", "muscle_leg-gastrocnemius.md"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

#[test]
fn dry_run_lists_what_a_build_would_do_without_touching_pixels() {
    let s = Sandbox::gallery_site();
    assert_eq!(s.run(&["build", "-q"]).code, 0);
    touch_one_pixel(&s.path("assets-src/muscles/png/Leg-Gastrocnemius-4.png"));
    let r = s.run(&["build", "--dry-run", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json = r.json();
    let written: Vec<(&str, &serde_json::Value)> = json["written"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["path"].as_str().unwrap(), &w["bytes"]))
        .collect();
    assert_eq!(
        written,
        vec![
            (
                "assets/images/muscles/gif/Leg-Gastrocnemius.gif",
                &serde_json::Value::Null
            ),
            (
                "assets/images/muscles/gif/Leg-Gastrocnemius.mp4",
                &serde_json::Value::Null
            ),
            (
                "assets/images/muscles/gif/Leg-Gastrocnemius.webm",
                &serde_json::Value::Null
            ),
            (
                "assets/images/muscles/png/Leg-Gastrocnemius-4-thumb.png",
                &serde_json::Value::Null
            ),
            (
                "assets/images/muscles/png/Leg-Gastrocnemius-4.png",
                &serde_json::Value::Null
            ),
        ]
    );
    // The real build then writes exactly those.
    let r = s.run(&["build", "--json"]);
    let paths: Vec<&str> = written.iter().map(|w| w.0).collect();
    assert_eq!(written_paths(&r), paths);
}

#[test]
fn force_and_plurals_say_what_happened() {
    let s = Sandbox::gallery_site();
    assert_eq!(s.run(&["build", "-q"]).code, 0);
    let r = s.run(&["build", "--force"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stderr.contains("up to date"), "{}", r.stderr);
    assert!(
        r.stderr.contains("70 made again with identical bytes"),
        "{}",
        r.stderr
    );
    touch_one_pixel(&s.path("assets-src/muscles/png/Leg-Gastrocnemius-4.png"));
    let r = s.run(&["build", "--", GALLERIES[0].0]);
    assert!(
        r.stderr
            .contains("wrote 5 files (1 GIF, 2 videos, 1 PNG, 1 thumbnail;"),
        "{}",
        r.stderr
    );
}

#[test]
fn errors_are_coloured_only_when_asked_or_on_a_terminal() {
    let s = Sandbox::gallery_site();
    let r = s.run(&["build", "--color", "always", "pages/nope.md"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("\u{1b}["), "{:?}", r.stderr);
    // Not a terminal: plain.
    let r = s.run(&["build", "pages/nope.md"]);
    assert!(r.stderr.starts_with("error: "), "{:?}", r.stderr);
}

#[test]
fn completions_and_version_come_from_the_cli_definition() {
    let s = Sandbox::gallery_site();
    for shell in ["bash", "zsh", "fish"] {
        let r = s.run(&["completions", shell]);
        assert_eq!(r.code, 0, "{shell}: {}", r.stderr);
        assert!(r.stdout.contains("gif-delay"), "{shell}");
    }
    let r = s.run(&["man"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains(".TH assetgen"), "{}", r.stdout);
    let r = s.run(&["--version"]);
    assert!(r.stdout.contains("oxipng"), "{}", r.stdout);
    assert!(r.stdout.contains("features"), "{}", r.stdout);
}

// The videos beside each GIF. Decoded with ffmpeg, which only the tests
// need (.ci/run installs it); the product encodes in-process.

/// What ffprobe says of a video's one stream.
struct Probe {
    codec: String,
    width: u32,
    height: u32,
    frames: u32,
    rate: String,
    pix_fmt: String,
    color: (String, String, String, String),
}

fn ffprobe(path: &Path) -> Probe {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-select_streams", "v:0", "-of", "json"])
        .args(["-show_entries", "stream=codec_name,width,height,nb_read_frames,r_frame_rate,pix_fmt,color_range,color_space,color_transfer,color_primaries"])
        .arg(path)
        .output()
        .expect("ffprobe runs (install ffmpeg, as .ci/run does)");
    assert!(
        out.status.success(),
        "{}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &json["streams"][0];
    let text = |k: &str| s[k].as_str().unwrap_or("").to_string();
    Probe {
        codec: text("codec_name"),
        width: s["width"].as_u64().unwrap() as u32,
        height: s["height"].as_u64().unwrap() as u32,
        frames: text("nb_read_frames").parse().unwrap(),
        rate: text("r_frame_rate"),
        pix_fmt: text("pix_fmt"),
        color: (
            text("color_range"),
            text("color_space"),
            text("color_transfer"),
            text("color_primaries"),
        ),
    }
}

/// Every frame of a video as RGB, decoded by ffmpeg honouring its tags.
fn decode_video(path: &Path, width: u32, height: u32) -> Vec<Vec<u8>> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        .output()
        .expect("ffmpeg runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let size = (width * height * 3) as usize;
    assert_eq!(out.stdout.len() % size, 0);
    out.stdout.chunks(size).map(<[u8]>::to_vec).collect()
}

/// A frame flattened onto white, as the page shows it.
fn on_white(frame: &assetgen::Rgba8) -> Vec<u8> {
    frame
        .pixels
        .chunks(4)
        .flat_map(|p| {
            let a = u32::from(p[3]);
            p[..3]
                .iter()
                .map(move |&c| ((u32::from(c) * a + 255 * (255 - a) + 127) / 255) as u8)
        })
        .collect()
}

/// Peak signal-to-noise ratio of two RGB buffers, in dB.
fn psnr(a: &[u8], b: &[u8]) -> f64 {
    let mse = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
        .sum::<f64>()
        / a.len() as f64;
    10.0 * (255.0 * 255.0 / mse.max(1e-9)).log10()
}

/// The top-level boxes of an MP4, in order.
fn mp4_boxes(data: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i + 8 <= data.len() {
        let size = u32::from_be_bytes(data[i..i + 4].try_into().unwrap()) as usize;
        out.push(String::from_utf8_lossy(&data[i + 4..i + 8]).into_owned());
        if size < 8 {
            break;
        }
        i += size;
    }
    out
}

/// Checks one gallery's videos against its frames: every frame, the
/// frames' size and rate, BT.709 limited range tags, each frame close to
/// its source on white, and the MP4's index before its data.
fn check_videos(s: &Sandbox, base: &str, frames: &[assetgen::Rgba8], fps: &str) {
    let (w, h) = (frames[0].width, frames[0].height);
    // 4:2:0 needs even sizes: an odd one is padded by one row or column.
    let (ew, eh) = ((w + 1) & !1, (h + 1) & !1);
    for (ext, codec) in [("webm", "av1"), ("mp4", "h264")] {
        let path = s.path(&format!("{base}.{ext}"));
        let p = ffprobe(&path);
        assert_eq!(p.codec, codec, "{ext}");
        assert_eq!(
            (p.width, p.height),
            (ew, eh),
            "{ext}: shown at the frames' size"
        );
        assert_eq!(
            p.frames as usize,
            frames.len(),
            "{ext}: every frame present"
        );
        assert_eq!(p.rate, fps, "{ext}");
        assert_eq!(p.pix_fmt, "yuv420p", "{ext}");
        let bt709 = (
            "tv".to_string(),
            "bt709".to_string(),
            "bt709".to_string(),
            "bt709".to_string(),
        );
        assert_eq!(p.color, bt709, "{ext}: tagged as encoded");
        let decoded = decode_video(&path, ew, eh);
        assert_eq!(decoded.len(), frames.len(), "{ext}");
        for (i, (got, want)) in decoded.iter().zip(frames).enumerate() {
            let row = (ew * 3) as usize;
            let got: Vec<u8> = got
                .chunks(row)
                .take(h as usize)
                .flat_map(|r| r[..(w * 3) as usize].to_vec())
                .collect();
            let db = psnr(&got, &on_white(want));
            assert!(db > 30.0, "{ext} frame {i}: {db:.1} dB from its source");
        }
    }
    let mp4 = std::fs::read(s.path(&format!("{base}.mp4"))).unwrap();
    assert_eq!(mp4_boxes(&mp4), ["ftyp", "moov", "mdat"], "fast start");
}

fn gallery_frames(s: &Sandbox, stem: &str) -> Vec<assetgen::Rgba8> {
    (1..=16)
        .map(|n| {
            let rel = format!("assets-src/muscles/png/{stem}-{n}.png");
            decode_png(&std::fs::read(s.path(&rel)).unwrap(), Path::new(&rel)).unwrap()
        })
        .collect()
}

#[test]
fn every_gif_gets_a_webm_and_an_mp4_of_its_frames() {
    let s = Sandbox::gallery_site();
    let r = s.run(&["build", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json = r.json();
    let videos: Vec<&str> = json["written"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["kind"] == "video")
        .map(|w| w["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        videos,
        [
            "assets/images/muscles/gif/Back-Scapularis.mp4",
            "assets/images/muscles/gif/Back-Scapularis.webm",
            "assets/images/muscles/gif/Leg-Gastrocnemius.mp4",
            "assets/images/muscles/gif/Leg-Gastrocnemius.webm",
        ]
    );
    // Leg: 60x90 RGBA on transparent; Back: 75x75 RGB, odd on both sides.
    for (_, stem) in GALLERIES {
        let frames = gallery_frames(&s, stem);
        check_videos(
            &s,
            &format!("assets/images/muscles/gif/{stem}"),
            &frames,
            "10/1",
        );
    }
}

#[test]
fn videos_follow_the_settings_and_check_wants_them() {
    let s = Sandbox::gallery_site();
    assert_eq!(s.run(&["build", "-q"]).code, 0);
    let webm = "assets/images/muscles/gif/Leg-Gastrocnemius.webm";
    let mp4 = "assets/images/muscles/gif/Leg-Gastrocnemius.mp4";
    // A GIF page without its videos is a problem.
    std::fs::remove_file(s.path(webm)).unwrap();
    let r = s.run(&["check"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout
            .contains(&format!("{webm}: deleted since it was built")),
        "{}",
        r.stdout
    );
    // A quality setting rebuilds only its own video.
    assert_eq!(s.run(&["build", "-q"]).code, 0);
    let r = s.run(&["build", "--json", "--mp4-quality", "30"]);
    let mut written = written_paths(&r);
    written.sort();
    assert_eq!(
        written,
        ["assets/images/muscles/gif/Back-Scapularis.mp4", mp4],
        "{}",
        r.stdout
    );
    // No videos asked for: none made, and clean removes the old ones.
    let r = s.run(&["build", "--json", "--video", "none", "--mp4-quality", "30"]);
    assert_eq!(written_paths(&r), Vec::<String>::new(), "{}", r.stdout);
    let r = s.run(&["check", "--video", "none", "--mp4-quality", "30"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let r = s.run(&["clean", "--json", "--video", "none", "--mp4-quality", "30"]);
    assert_eq!(
        r.json()["removed"].as_array().unwrap().len(),
        4,
        "{}",
        r.stdout
    );
    assert!(!s.path(mp4).exists());
    assert!(s
        .path("assets/images/muscles/gif/Leg-Gastrocnemius.gif")
        .exists());
}

#[test]
fn fingerprinted_videos_share_the_gif_stem() {
    let s = Sandbox::gallery_site();
    assert_eq!(s.run(&["build", "-q", "--fingerprint"]).code, 0);
    let page = std::fs::read_to_string(s.path(GALLERIES[0].0)).unwrap();
    let gif = page
        .lines()
        .find(|l| l.contains("image_name:") && l.contains(".gif"))
        .and_then(|l| l.split(": ").nth(1))
        .unwrap()
        .trim_matches(|c| c == '"' || c == '\'');
    assert!(gif.starts_with("muscles/gif/Leg-Gastrocnemius-"), "{gif}");
    let base = format!("assets/images/{}", gif.trim_end_matches(".gif"));
    for ext in ["gif", "webm", "mp4"] {
        assert!(s.path(&format!("{base}.{ext}")).is_file(), "{base}.{ext}");
    }
    // A new mp4 quality changes the stem of all three (the template finds
    // the videos from the GIF's name).
    assert_eq!(
        s.run(&["build", "-q", "--fingerprint", "--mp4-quality", "30"])
            .code,
        0
    );
    let page2 = std::fs::read_to_string(s.path(GALLERIES[0].0)).unwrap();
    assert!(!page2.contains(gif), "{page2}");
}

#[test]
fn one_changed_frame_rebuilds_its_gallery_videos_and_nothing_else() {
    let s = Sandbox::gallery_site();
    assert_eq!(s.run(&["build", "-q"]).code, 0);
    touch_one_pixel(&s.path("assets-src/muscles/png/Back-Scapularis-3.png"));
    let r = s.run(&["build", "--json"]);
    let mut written = written_paths(&r);
    written.sort();
    assert_eq!(
        written,
        [
            "assets/images/muscles/gif/Back-Scapularis.gif",
            "assets/images/muscles/gif/Back-Scapularis.mp4",
            "assets/images/muscles/gif/Back-Scapularis.webm",
            "assets/images/muscles/png/Back-Scapularis-3-thumb.png",
            "assets/images/muscles/png/Back-Scapularis-3.png",
        ]
    );
}

#[test]
fn the_gif_command_makes_videos_on_request_from_any_colour_type() {
    let s = Sandbox::gallery_site();
    // Frames of every colour type and depth, odd-sized: grey, grey+alpha,
    // RGB, RGBA, 16-bit RGBA.
    let (w, h) = (33u32, 21u32);
    let kinds = [
        (png::ColorType::Grayscale, png::BitDepth::Eight, 1u32),
        (png::ColorType::GrayscaleAlpha, png::BitDepth::Eight, 2),
        (png::ColorType::Rgb, png::BitDepth::Eight, 3),
        (png::ColorType::Rgba, png::BitDepth::Eight, 4),
        (png::ColorType::Rgba, png::BitDepth::Sixteen, 4),
    ];
    std::fs::create_dir_all(s.path("in")).unwrap();
    let mut names = Vec::new();
    for (i, (colour, depth, channels)) in kinds.iter().enumerate() {
        // Smooth gradients, a different one per frame; alpha (the last
        // channel of the alpha types) fades across the frame.
        let alpha = matches!(
            colour,
            png::ColorType::GrayscaleAlpha | png::ColorType::Rgba
        );
        let mut data = Vec::new();
        for y in 0..h {
            for x in 0..w {
                for c in 0..*channels {
                    let v = if alpha && c == channels - 1 {
                        100 + x * 4
                    } else {
                        20 + x * 2 + y * 3 + c * 10 + i as u32 * 8
                    };
                    if *depth == png::BitDepth::Sixteen {
                        data.extend_from_slice(&((v * 257) as u16).to_be_bytes());
                    } else {
                        data.push(v as u8);
                    }
                }
            }
        }
        let name = format!("in/f{}.png", i + 1);
        let file = std::fs::File::create(s.path(&name)).unwrap();
        let mut enc = png::Encoder::new(file, w, h);
        enc.set_color(*colour);
        enc.set_depth(*depth);
        enc.write_header().unwrap().write_image_data(&data).unwrap();
        names.push(name);
    }
    let mut args = vec![
        "gif",
        "--json",
        "--gif-delay",
        "40",
        "-o",
        "out/t.gif",
        "--video",
        "webm,mp4",
    ];
    args.extend(names.iter().map(String::as_str));
    let r = s.run(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let frames: Vec<_> = names
        .iter()
        .map(|n| decode_png(&std::fs::read(s.path(n)).unwrap(), Path::new(n)).unwrap())
        .collect();
    check_videos(&s, "out/t", &frames, "25/1");
    // Without --video, only the GIF.
    let mut args = vec!["gif", "-q", "-o", "out2/t.gif"];
    args.extend(names.iter().map(String::as_str));
    assert_eq!(s.run(&args).code, 0);
    assert_eq!(s.files("out2").len(), 1);
}

/// Every file of a sandbox, site-relative, with its bytes (the lock file
/// aside: an empty file that any run leaves).
fn all_files(s: &Sandbox) -> BTreeMap<String, Vec<u8>> {
    let mut files = s.files(".");
    files.retain(|k, _| !k.ends_with(".assetgen.lock"));
    files
        .into_iter()
        .map(|(k, v)| (k.trim_start_matches("./").to_string(), v))
        .collect()
}

/// The `run:` steps of a job of the example CI workflow, with the
/// matrix's shard filled in; the steps that install assetgen (`id:
/// install`) are left out: the test runs the binary it built.
#[cfg(unix)]
fn workflow_steps(job: &str, shard: u32) -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/assets-workflow.yml");
    let text = std::fs::read_to_string(path).unwrap();
    let workflow: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    let steps = workflow["jobs"][job]["steps"].as_array().unwrap().clone();
    assert!(!steps.is_empty(), "no steps in job {job}");
    steps
        .iter()
        .filter(|s| s["id"] != "install")
        .filter_map(|s| s["run"].as_str())
        .map(|r| r.replace("${{ matrix.shard }}", &shard.to_string()))
        .collect()
}

#[cfg(unix)]
impl Sandbox {
    /// Runs a shell script in the site, the built assetgen first on PATH.
    fn sh(&self, script: &str) -> Run {
        let bin = Path::new(env!("CARGO_BIN_EXE_assetgen")).parent().unwrap();
        let path = format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let out = Command::new("bash")
            .args(["-e", "-o", "pipefail", "-c", script])
            .env("PATH", path)
            .current_dir(self.dir.path())
            .output()
            .unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// The example CI workflow, run locally: four machines start from the same
/// site, each runs the `build` job's steps for its shard, their artifacts
/// go to a fifth that runs the `merge` job's (merge, check). The result is
/// byte for byte one machine's build, and the next build is a no-op.
/// Fingerprinting is on, so pages the shards rewrite travel too.
#[cfg(unix)]
#[test]
fn the_example_ci_workflow_builds_what_one_machine_builds() {
    let fingerprinted = || {
        let s = Sandbox::gallery_site();
        let config = std::fs::read_to_string(s.path("_config.yml")).unwrap();
        std::fs::write(
            s.path("_config.yml"),
            format!("{config}\nassetgen:\n  fingerprint: true\n"),
        )
        .unwrap();
        s
    };
    let reference = fingerprinted();
    let r = reference.run(&["build", "-q"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let expected = all_files(&reference);

    let merger = fingerprinted();
    for k in 1..=4 {
        let machine = fingerprinted();
        for step in workflow_steps("build", k) {
            let r = machine.sh(&step);
            assert_eq!(r.code, 0, "shard {k}: {step}\n{}{}", r.stdout, r.stderr);
        }
        // A shard never writes the cache itself, only its fragment.
        assert!(!machine.path(".assetgen-cache.json").exists());
        // upload-artifact, download-artifact
        let tar = format!("shard-{k}.tar");
        std::fs::copy(machine.path(&tar), merger.path(&tar)).unwrap();
    }
    for step in workflow_steps("merge", 0) {
        let r = merger.sh(&step);
        assert_eq!(r.code, 0, "{step}\n{}{}", r.stdout, r.stderr);
    }
    assert!(
        all_files(&merger) == expected,
        "the merged site differs from a single build"
    );
    let r = merger.run(&["build", "--json"]);
    assert!(written_paths(&r).is_empty(), "{}", r.stdout);
}

#[test]
fn shards_one_after_another_in_one_folder_merge_into_one_build() {
    let reference = Sandbox::gallery_site();
    assert_eq!(reference.run(&["build", "-q"]).code, 0);
    let s = Sandbox::gallery_site();
    let mut pages = 0;
    for shard in ["1/2", "2/2"] {
        let r = s.run(&["build", "--json", "--shard", shard]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        pages += r.json()["written"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|w| w["kind"] == "gif")
            .count();
    }
    assert_eq!(pages, 2, "each page is in exactly one shard");
    // Not merged yet: the cache does not know the outputs.
    assert_eq!(s.run(&["check"]).code, 1);
    let r = s.run(&["cache", "merge"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!s.path(".assetgen-cache.1-of-2.json").exists());
    assert!(
        all_files(&s) == all_files(&reference),
        "differs from one build"
    );
    assert_eq!(s.run(&["check"]).code, 0);

    // A merge with a shard missing names it and changes nothing.
    assert_eq!(s.run(&["build", "-q", "--shard", "1/2", "--force"]).code, 0);
    let cache = std::fs::read(s.path(".assetgen-cache.json")).unwrap();
    let r = s.run(&["cache", "merge"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains(".assetgen-cache.2-of-2.json: missing"),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read(s.path(".assetgen-cache.json")).unwrap(),
        cache
    );
    let r = s.run(&["build", "--shard", "3/2"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

/// The fixture's gallery pages: page, frame stem, title, permalink.
const GALLERY_PAGES: [(&str, &str, &str, &str); 4] = [
    (
        "pages/muscle_leg.md",
        "Leg",
        "Muscles of the leg",
        "/muscle/leg/",
    ),
    (
        "pages/muscles/muscle_back-scapularis.md",
        "Back-Scapularis",
        "The scapularis muscle of the back",
        "/muscle/back/scapularis/",
    ),
    (
        "pages/muscles/muscle_leg-gastrocnemius.md",
        "Leg-Gastrocnemius",
        "The gastrocnemius muscle of the leg",
        "/muscle/leg/gastrocnemius/",
    ),
    (
        "pages/muscles/muscle_leg_medialheadofgastrocnemius.md",
        "Leg-MedialHeadOfGastrocnemius",
        "The medial head of gastrocnemius muscle of the leg",
        "/muscle/leg/medialheadofgastrocnemius/",
    ),
];

/// Renders named `{stem}-1..16.png` (copies of the gastrocnemius's).
fn render_frames(s: &Sandbox, stem: &str) {
    for n in 1..=16 {
        let to = s.path(&format!("assets-src/muscles/png/{stem}-{n}.png"));
        if !to.exists() {
            let from = s.path(&format!("assets-src/muscles/png/Leg-Gastrocnemius-{n}.png"));
            std::fs::copy(from, to).unwrap();
        }
    }
}

#[test]
fn new_with_each_gallery_page_as_its_own_model_writes_that_page() {
    let s = Sandbox::fixture_site();
    std::fs::create_dir_all(s.path("models")).unwrap();
    for (page, stem, title, permalink) in GALLERY_PAGES {
        render_frames(&s, stem);
        let original = std::fs::read(s.path(page)).unwrap();
        let model = format!("models/{}", page.rsplit('/').next().unwrap());
        std::fs::rename(s.path(page), s.path(&model)).unwrap();
        let frames = format!("muscles/png/{stem}");
        let r = s.run(&[
            "new",
            page,
            &frames,
            "--like",
            &model,
            "--title",
            title,
            "--permalink",
            permalink,
        ]);
        assert_eq!(r.code, 0, "{page}: {}", r.stderr);
        assert!(
            std::fs::read(s.path(page)).unwrap() == original,
            "{page} differs from the original:\n{}",
            std::fs::read_to_string(s.path(page)).unwrap()
        );
        std::fs::remove_file(s.path(&model)).unwrap();
    }
}

#[test]
fn new_writes_a_page_in_its_neighbours_style_and_build_completes_it() {
    let s = Sandbox::gallery_site();
    render_frames(&s, "Leg-Soleus");
    let page = "pages/muscles/muscle_leg-soleus.md";
    let model = std::fs::read_to_string(s.path(GALLERIES[0].0)).unwrap();
    let (front, body) = model.split_at(model.rfind("\n---\n").unwrap());
    let expected = format!(
        "{}{}",
        front
            .replace("Leg-Gastrocnemius", "Leg-Soleus")
            .replace("gastrocnemius", "soleus"),
        body.replace("im_id=\"gastrocnemius\"", "im_id=\"soleus\"")
    );

    let r = s.run(&["new", page, "muscles/png/Leg-Soleus", "--dry-run"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, expected);
    assert!(!s.path(page).exists());
    for shown in [
        "like       pages/muscles/muscle_leg-gastrocnemius.md (nearest",
        "title      The soleus muscle of the leg (derived",
        "permalink  /muscle/leg/soleus/ (derived",
        "id         soleus (derived",
        "animation  muscles/gif/Leg-Soleus.gif",
        "frames     16 (muscles/png/Leg-Soleus-1.png .. muscles/png/Leg-Soleus-16.png)",
        "note: the body's text is the model's",
    ] {
        assert!(r.stderr.contains(shown), "{shown} not in:\n{}", r.stderr);
    }

    // A glob in natural order, as the shell would not give it.
    let r = s.run(&["new", page, "assets-src/muscles/png/Leg-Soleus-*.png"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(s.path(page)).unwrap(), expected);
    let r = s.run(&["new", page, "muscles/png/Leg-Soleus"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("already exists"), "{}", r.stderr);
    // From the page's folder, the page is named as the shell completes it.
    let r = s.run_in(
        "pages/muscles",
        &["new", "muscle_leg-soleus.md", "muscles/png/Leg-Soleus"],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("pages/muscles/muscle_leg-soleus.md")
            && r.stderr.contains("already exists"),
        "{}",
        r.stderr
    );
    let r = s.run_in(
        "pages",
        &[
            "new",
            "muscles/leg-soleus-2.md",
            "muscles/png/Leg-Soleus",
            "--dry-run",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("pages/muscles/leg-soleus-2.md"),
        "{}",
        r.stderr
    );

    let r = s.run(&["build", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let gif = std::fs::read(s.path("assets/images/muscles/gif/Leg-Soleus.gif")).unwrap();
    assert_eq!(gif_info(&gif).0, 16);
    assert!(s
        .path("assets/images/muscles/png/Leg-Soleus-16-thumb.png")
        .is_file());
    assert_eq!(s.run(&["check"]).code, 0);
}

#[test]
fn new_says_what_it_cannot_do() {
    let s = Sandbox::gallery_site();
    let r = s.run(&["new", "pages/muscles/x.md", "muscles/png/Nothing"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("muscles/png/Nothing: no renders match"),
        "{}",
        r.stderr
    );
    // One part where the model's title needs two: not guessed.
    render_frames(&s, "Scapularis");
    let r = s.run(&[
        "new",
        "pages/muscles/scapularis.md",
        "muscles/png/Scapularis",
        "--like",
        GALLERIES[1].0,
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("give --title"), "{}", r.stderr);
    assert!(!s.path("pages/muscles/scapularis.md").exists());
    // A page outside the site is refused, whichever way it is named.
    for outside in ["../../x.md", "/tmp/x.md"] {
        let r = s.run_in(
            "pages",
            &["new", outside, "muscles/png/Scapularis", "--title", "T"],
        );
        assert_eq!(r.code, 2, "{outside}: {}", r.stderr);
        assert!(
            r.stderr.contains("not inside the site") || r.stderr.contains("outside"),
            "{outside}: {}",
            r.stderr
        );
    }
}

/// A running `assetgen watch`, its stderr read line by line.
#[cfg(unix)]
struct Watching {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
    seen: Vec<String>,
}

#[cfg(unix)]
impl Watching {
    fn start(s: &Sandbox, args: &[&str]) -> Watching {
        use std::io::BufRead;
        let mut child = Command::new(env!("CARGO_BIN_EXE_assetgen"))
            .arg("watch")
            .args(args)
            .current_dir(s.dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Watching {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits (generously) for a line containing `what`.
    fn wait_for(&mut self, what: &str) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(what) {
                        return line;
                    }
                }
                Err(_) => panic!("no line with {what:?}; saw:\n{}", self.seen.join("\n")),
            }
        }
    }

    /// Ctrl-C; the exit code and every line seen.
    fn stop(mut self) -> (Option<i32>, Vec<String>) {
        let sent = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        // Generously, but never for ever: a watch that does not stop fails.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if std::time::Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("watch did not stop; saw:\n{}", self.seen.join("\n"));
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        self.seen.extend(self.lines.iter());
        (status.code(), self.seen)
    }
}

/// A renderer writing a turntable into a watched site: the page waits for
/// its frames, never builds from a half-written one, builds once they are
/// whole; a broken page is reported and the watch goes on; the pages it
/// rewrites itself (fingerprints) start no build; Ctrl-C stops it.
#[cfg(unix)]
#[test]
fn watch_builds_a_page_once_its_renders_are_whole() {
    let reference = Sandbox::gallery_site();
    assert_eq!(reference.run(&["build", "-q", "--fingerprint"]).code, 0);
    let s = Sandbox::gallery_site();
    let render = |n: u32| format!("assets-src/muscles/png/Leg-Gastrocnemius-{n}.png");
    let frames: Vec<Vec<u8>> = (1..=16)
        .map(|n| std::fs::read(s.path(&render(n))).unwrap())
        .collect();
    for n in 1..=16 {
        std::fs::remove_file(s.path(&render(n))).unwrap();
    }

    let mut w = Watching::start(&s, &["--debounce", "100", "-j", "1", "--fingerprint"]);
    w.wait_for("watching");
    for n in 1..=15 {
        std::fs::write(s.path(&render(n)), &frames[n as usize - 1]).unwrap();
    }
    w.wait_for("muscle_leg-gastrocnemius.md: waiting for");
    let last = &frames[15];
    std::fs::write(s.path(&render(16)), &last[..last.len() / 2]).unwrap();
    w.wait_for("Leg-Gastrocnemius-16.png: does not decode yet");
    assert!(s
        .files("assets/images/muscles/gif")
        .keys()
        .all(|k| !k.contains("Leg-")));
    std::fs::write(s.path(&render(16)), last).unwrap();
    // The GIF, its two videos, the PNGs: one build, of that page.
    let built = w.wait_for("built pages/muscles/muscle_leg-gastrocnemius.md: wrote ");
    assert!(built.contains("1 GIF, 2 videos, 16 PNGs"), "{built}");
    assert!(
        all_files(&s)
            .into_iter()
            .filter(|(k, _)| k.starts_with("assets/") || k.starts_with("pages/"))
            .collect::<BTreeMap<_, _>>()
            == all_files(&reference)
                .into_iter()
                .filter(|(k, _)| k.starts_with("assets/") || k.starts_with("pages/"))
                .collect::<BTreeMap<_, _>>(),
        "watch's result differs from one build"
    );

    // `jekyll serve` writing its output is none of watch's business.
    std::fs::create_dir_all(s.path("_site")).unwrap();
    std::fs::write(s.path("_site/index.html"), "<p>served</p>").unwrap();
    // Bad input is reported and the watch goes on.
    let back = GALLERIES[1].0;
    let text = std::fs::read(s.path(back)).unwrap();
    std::fs::write(s.path(back), b"---\ngallery: [unclosed\n---\n").unwrap();
    w.wait_for("error: pages/muscles/muscle_back-scapularis.md:");
    std::fs::write(s.path(back), &text).unwrap();
    // The fix: a build of that page with no error (the broken page's own
    // build also wrote nothing).
    loop {
        let line = w.wait_for("built pages/muscles/muscle_back-scapularis.md: wrote nothing");
        if !line.contains("error") {
            break;
        }
    }

    let (code, lines) = w.stop();
    assert_eq!(code, Some(0), "{}", lines.join("\n"));
    assert_eq!(lines.last().map(String::as_str), Some("stopped"));
    // One build to start, one for the renders, one or two for the broken
    // page and one for its fix: none fed by the files the builds wrote
    // themselves (the fingerprinted page, the outputs), which would rebuild
    // for ever, and none for a render seen again as it was built from.
    let all = lines.join("\n");
    let builds: Vec<&String> = lines.iter().filter(|l| l.starts_with("built ")).collect();
    assert_eq!(
        builds
            .iter()
            .filter(|l| l.starts_with("built site:"))
            .count(),
        1,
        "{all}"
    );
    let leg: Vec<&&String> = builds
        .iter()
        .filter(|l| l.starts_with("built pages/muscles/muscle_leg-gastrocnemius.md:"))
        .collect();
    assert_eq!(leg.len(), 1, "{all}");
    let back_fixed = builds
        .iter()
        .filter(|l| l.starts_with("built pages/muscles/muscle_back-scapularis.md:"))
        .filter(|l| !l.contains("error"))
        .count();
    assert_eq!(back_fixed, 1, "{all}");
    assert!(builds.len() <= 5, "{all}");
}

#[test]
fn the_readme_shows_the_example_ci_workflow_as_it_is() {
    let readme = include_str!("../README.md");
    let workflow = include_str!("../examples/assets-workflow.yml");
    assert!(
        readme.contains(&format!("```yaml\n{workflow}```")),
        "README.md's workflow differs from examples/assets-workflow.yml"
    );
}

#[test]
fn dot_folders_are_not_looked_at_unless_included_as_jekyll_does() {
    let s = Sandbox::gallery_site();
    // An issue template with front matter and a gallery of nothing.
    let template = ".github/ISSUE_TEMPLATE/render.md";
    std::fs::create_dir_all(s.path(".github/ISSUE_TEMPLATE")).unwrap();
    std::fs::write(
        s.path(template),
        "---\nname: A render\ngallery:\n  - image_url: muscles/png/Nothing-1.png\n---\n",
    )
    .unwrap();
    let r = s.run(&["build", "-q", "--dry-run"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stderr.contains(".github"), "{}", r.stderr);

    let config = std::fs::read_to_string(s.path("_config.yml")).unwrap();
    std::fs::write(
        s.path("_config.yml"),
        format!("{config}\ninclude:\n  - .github\n"),
    )
    .unwrap();
    let r = s.run(&["build", "-q", "--dry-run"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains(template), "{}", r.stderr);
}
