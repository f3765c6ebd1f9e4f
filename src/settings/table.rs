//! The settings table: every setting assetgen has, in one place.
//!
//! Each entry gives the key (also the field of [`Settings`] and, with
//! dashes, the flag), its type, its default, the parser that checks it,
//! the placeholder its flag shows, the kinds of output it shapes, and, as
//! its doc comment, the help text. Everything else is derived from here:
//! `_config.yml` parsing and its messages, the command-line flags (a
//! command takes exactly the settings that shape what it makes), the
//! `assetgen settings` dump, the README's settings table (a test keeps it
//! in step), and each output kind's cache key, which holds exactly the
//! settings that shape that kind. Adding a setting is adding an entry.
//!
//! Defaults were chosen by measurement; the README says how.

use std::path::PathBuf;

use super::values::{
    boolean, choice, colour, folder, int, optional, quality, videos, Dither, Quality, Rgb, Strip,
    Videos,
};

super::define_settings! {
    /// source root (renders), relative to the site
    source: PathBuf {
        default: "assets-src",
        parse: folder(),
        value: "DIR",
        shapes: [],
    }
    /// output root
    output: PathBuf {
        default: "assets/images",
        shown: "`urlimg`, else `assets/images`",
        parse: folder(),
        value: "DIR",
        shapes: [],
    }
    /// milliseconds per frame, in the GIF (which stores hundredths) and the videos
    gif_delay: u32 {
        default: "100",
        parse: int(10, 655_350, "a delay in milliseconds"),
        value: "MS",
        shapes: [Gif, Webm, Mp4],
    }
    /// times the animation plays; 0 = forever
    gif_loop: u16 {
        default: "0",
        parse: int(0, 65_535, "a loop count (0 = forever)"),
        value: "N",
        shapes: [Gif],
    }
    /// GIF width in pixels, height keeps the aspect ratio; `auto` = the frames' width
    gif_width: Option<u32> {
        default: "auto",
        parse: optional(int(1, 65_535, "a width in pixels")),
        value: "PX",
        shapes: [Gif],
    }
    /// palette size, 2-256 (one entry is kept for transparency)
    gif_colors: u16 {
        default: "256",
        parse: int(2, 256, "a number of colours"),
        value: "N",
        shapes: [Gif],
    }
    /// `none`, `ordered` (stable between frames) or `diffusion` (Floyd-Steinberg)
    gif_dither: Dither {
        default: "none",
        parse: choice(),
        value: "MODE",
        shapes: [Gif],
    }
    /// quality target: per animation, the largest loss that keeps this mean SSIM (on the matte); `off` = use `gif_lossy`
    gif_quality: Quality {
        default: "0.995",
        parse: quality(),
        value: "SSIM",
        shapes: [Gif],
    }
    /// with `gif_quality: off`, the lossy level: colour error the busiest pixels may take (Oklab distance x 1000); flat areas and edges stay exact; `0` = exact
    gif_lossy: u16 {
        default: "20",
        parse: int(0, 200, "a lossy level (0 = exact)"),
        value: "N",
        shapes: [Gif],
    }
    /// page colour that semi-transparent pixels are blended onto
    matte: Rgb {
        default: "#ffffff",
        parse: colour(),
        value: "COLOUR",
        shapes: [Gif, Webm, Mp4],
    }
    /// videos beside each GIF: `webm` (AV1), `mp4` (H.264), both, or `none`
    video: Videos {
        default: "webm, mp4",
        parse: videos(),
        value: "LIST",
        shapes: [],
    }
    /// video width in pixels, height keeps the aspect ratio; `auto` = the frames' width
    video_width: Option<u32> {
        default: "auto",
        parse: optional(int(2, 8192, "a width in pixels")),
        value: "PX",
        shapes: [Webm, Mp4],
    }
    /// `.mp4` quality: H.264 quantiser 10-51, lower is better and bigger (about x264's `-crf` scale)
    mp4_quality: u8 {
        default: "23",
        parse: int(10, 51, "an H.264 quantiser"),
        value: "QP",
        shapes: [Mp4],
    }
    /// `.webm` quality: AV1 quantiser index 1-255, lower is better and bigger
    webm_quality: u8 {
        default: "110",
        parse: int(1, 255, "an AV1 quantiser index"),
        value: "Q",
        shapes: [Webm],
    }
    /// thumbnail longest edge in pixels (a 4-column grid at 2x density)
    thumb_size: u32 {
        default: "320",
        parse: int(8, 8192, "a thumbnail size in pixels"),
        value: "PX",
        shapes: [Thumb],
    }
    /// PNG effort for thumbnails, same scale as `png_effort`
    thumb_effort: u8 {
        default: "0",
        parse: int(0, 6, "an effort level"),
        value: "N",
        shapes: [Thumb],
    }
    /// lossless optimisation effort 0-6: 2-6 are `oxipng -o2`..`-o6`; 0 and 1 are tuned for renders (see below)
    png_effort: u8 {
        default: "2",
        parse: int(0, 6, "an effort level"),
        value: "N",
        shapes: [Png],
    }
    /// opt-in: frames and thumbnails become dithered palette PNGs (much smaller, not exact; never over the renders themselves)
    png_lossy: bool {
        default: "false",
        parse: boolean(),
        value: "BOOL",
        shapes: [Png, Thumb],
    }
    /// palette size in lossy mode, 2-256
    png_colors: u16 {
        default: "256",
        parse: int(2, 256, "a number of colours"),
        value: "N",
        shapes: [Png, Thumb],
    }
    /// PNG metadata to drop: `none`, `safe` (keeps colour profiles), `all`
    strip: Strip {
        default: "safe",
        parse: choice(),
        value: "WHAT",
        shapes: [Png, Thumb],
    }
    /// largest gallery decoded, in megapixels summed over its frames (all are held at once for the GIF, 4 bytes a pixel); a bigger one fails, before decoding, with one line
    gallery_megapixels: u32 {
        default: "512",
        parse: int(1, 1_000_000, "a number of megapixels"),
        value: "MP",
        shapes: [],
        limits: [Gif],
    }
    /// put a short hash of each output's sources and settings in its name and rewrite the pages' paths to match; turning it off writes them back
    fingerprint: bool {
        default: "false",
        parse: boolean(),
        value: "BOOL",
        shapes: [],
    }
}
