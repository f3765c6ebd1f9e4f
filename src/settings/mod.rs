//! Settings: built-in defaults, overridden by `_config.yml`, overridden by flags.
//!
//! Users already edit `_config.yml` for Jekyll, so assetgen's settings live
//! there under an `assetgen:` mapping, with one flat snake_case key per
//! setting; the command-line flag for a key is the same name with dashes
//! (`gif_delay` <-> `--gif-delay`). Both sources are parsed into the same
//! [`Overrides`] by the same functions, so a bad value gets the same
//! message (naming the key) wherever it came from.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};

/// Where the GIF's colours come from when a pixel falls between palette entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dither {
    /// Nearest palette colour: smallest files, may band on gradients.
    None,
    /// 8x8 Bayer threshold: stable from frame to frame, so differencing still works.
    Ordered,
    /// Floyd–Steinberg error diffusion: smoothest stills, but the noise crawls
    /// between frames and costs bytes.
    Diffusion,
}

impl Dither {
    pub const NAMES: &'static [&'static str] = &["none", "ordered", "diffusion"];

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "none" => Some(Dither::None),
            "ordered" => Some(Dither::Ordered),
            "diffusion" | "floyd-steinberg" => Some(Dither::Diffusion),
            _ => None,
        }
    }
}

impl fmt::Display for Dither {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dither::None => "none",
            Dither::Ordered => "ordered",
            Dither::Diffusion => "diffusion",
        })
    }
}

/// Which ancillary PNG chunks the optimised copies keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Strip {
    /// Keep everything.
    None,
    /// Drop what does not affect rendering; keep colour profile chunks.
    Safe,
    /// Drop every ancillary chunk.
    All,
}

impl Strip {
    pub const NAMES: &'static [&'static str] = &["none", "safe", "all"];

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "none" => Some(Strip::None),
            "safe" => Some(Strip::Safe),
            "all" => Some(Strip::All),
            _ => None,
        }
    }
}

/// An opaque sRGB colour (the page colour that semi-transparent pixels are
/// blended onto in the GIF, which has no partial transparency).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rgb(pub [u8; 3]);

impl Rgb {
    pub const WHITE: Rgb = Rgb([255, 255, 255]);

    /// `#rrggbb`, `rrggbb`, `#rgb`, or one of a few names.
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "white" => return Some(Rgb::WHITE),
            "black" => return Some(Rgb([0, 0, 0])),
            _ => {}
        }
        let hex = s.strip_prefix('#').unwrap_or(s);
        let digit = |i: usize| u8::from_str_radix(hex.get(i..i + 1)?, 16).ok();
        match hex.len() {
            6 => {
                let byte = |i: usize| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok();
                Some(Rgb([byte(0)?, byte(2)?, byte(4)?]))
            }
            3 => Some(Rgb([digit(0)? * 17, digit(1)? * 17, digit(2)? * 17])),
            _ => None,
        }
    }
}

impl fmt::Display for Rgb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [r, g, b] = self.0;
        write!(f, "#{r:02x}{g:02x}{b:02x}")
    }
}

/// How the animated GIF is made.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GifOptions {
    /// Time each frame is shown, in milliseconds (GIF stores hundredths).
    pub delay_ms: u32,
    /// How many times the animation plays; 0 means forever.
    pub loop_count: u16,
    /// Output width in pixels (height follows the aspect ratio); `None` keeps
    /// the frames' width.
    pub width: Option<u32>,
    /// Palette size, 2..=256, one entry of which is kept for transparency.
    pub colors: u16,
    pub dither: Dither,
    /// Colour that partially transparent pixels are blended onto.
    pub matte: Rgb,
    /// Lossy LZW: largest colour error (Oklab distance x 1000) a pixel may
    /// take so that compressed strings get longer; 0 = exact.
    pub lossy: u16,
}

impl Default for GifOptions {
    fn default() -> Self {
        GifOptions {
            delay_ms: 100,
            loop_count: 0,
            width: None,
            colors: 256,
            dither: Dither::None,
            matte: Rgb::WHITE,
            lossy: 15,
        }
    }
}

/// How the optimised PNG copies are made.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PngOptions {
    /// Optimisation effort, 0 (fastest) ..= 6 (smallest), like oxipng's levels.
    pub effort: u8,
    pub strip: Strip,
    /// Opt-in lossy mode: frames and thumbnails become palette PNGs of at
    /// most `colors` colours (error-diffusion dithered). Never the default.
    pub lossy: bool,
    /// Palette size in lossy mode, 2-256.
    pub colors: u16,
}

impl Default for PngOptions {
    fn default() -> Self {
        PngOptions {
            effort: 2,
            strip: Strip::Safe,
            lossy: false,
            colors: 256,
        }
    }
}

/// How thumbnails are made.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ThumbOptions {
    /// Longest edge in pixels. 320 fills one column of a 4-column gallery
    /// grid (about 160 CSS pixels in the site's content column) at 2x density.
    pub size: u32,
    /// PNG effort for thumbnails (same scale as `PngOptions::effort`).
    /// Lower than the frames' by default: thumbnails are many and small,
    /// and effort 0 already makes them smaller than vipsthumbnail's in less
    /// time, where oxipng -o2 would take several times longer.
    pub effort: u8,
}

impl Default for ThumbOptions {
    fn default() -> Self {
        ThumbOptions {
            size: 320,
            effort: 0,
        }
    }
}

/// Every setting, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Source root, relative to the site root.
    pub source: PathBuf,
    /// Output root, relative to the site root.
    pub output: PathBuf,
    pub gif: GifOptions,
    pub png: PngOptions,
    pub thumb: ThumbOptions,
    /// Output names carry a short hash of what made them (cache busting);
    /// pages are rewritten to match.
    pub fingerprint: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            source: PathBuf::from("assets-src"),
            output: PathBuf::from("assets/images"),
            gif: GifOptions::default(),
            png: PngOptions::default(),
            thumb: ThumbOptions::default(),
            fingerprint: false,
        }
    }
}

/// Settings given explicitly, by `_config.yml` or by flags; `None` = not given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    pub source: Option<PathBuf>,
    pub output: Option<PathBuf>,
    pub gif_delay: Option<u32>,
    pub gif_loop: Option<u16>,
    pub gif_width: Option<u32>,
    pub gif_colors: Option<u16>,
    pub gif_dither: Option<Dither>,
    pub gif_lossy: Option<u16>,
    pub matte: Option<Rgb>,
    pub thumb_size: Option<u32>,
    pub thumb_effort: Option<u8>,
    pub png_effort: Option<u8>,
    pub png_lossy: Option<bool>,
    pub png_colors: Option<u16>,
    pub strip: Option<Strip>,
    pub fingerprint: Option<bool>,
}

/// The keys accepted under `assetgen:`, for error messages and docs.
pub const KEYS: &[&str] = &[
    "source",
    "output",
    "gif_delay",
    "gif_loop",
    "gif_width",
    "gif_colors",
    "gif_dither",
    "gif_lossy",
    "matte",
    "thumb_size",
    "thumb_effort",
    "png_effort",
    "png_lossy",
    "png_colors",
    "strip",
    "fingerprint",
];

impl Overrides {
    /// Sets one key from its textual value; the error message says what the
    /// key accepts. Used for flags and for every `_config.yml` scalar.
    pub fn set(&mut self, key: &str, value: &str) -> std::result::Result<(), String> {
        fn int<T: std::str::FromStr>(v: &str, lo: u64, hi: u64, what: &str) -> Result<T, String> {
            let n: u64 = v
                .trim()
                .parse()
                .map_err(|_| format!("expected {what}, got '{v}'"))?;
            if n < lo || n > hi {
                return Err(format!("expected {what} from {lo} to {hi}, got {n}"));
            }
            v.trim()
                .parse()
                .map_err(|_| format!("expected {what}, got '{v}'"))
        }
        fn boolean(v: &str) -> Result<bool, String> {
            match v.trim() {
                "true" | "yes" | "on" => Ok(true),
                "false" | "no" | "off" => Ok(false),
                other => Err(format!("expected true or false, got '{other}'")),
            }
        }
        fn path(v: &str) -> Result<PathBuf, String> {
            let p = v.trim().trim_matches('/');
            if p.is_empty() {
                return Err("expected a folder inside the site, got an empty path".into());
            }
            Ok(PathBuf::from(p))
        }
        match key {
            "source" => self.source = Some(path(value)?),
            "output" => self.output = Some(path(value)?),
            "gif_delay" => {
                self.gif_delay = Some(int(value, 10, 655_350, "a delay in milliseconds")?)
            }
            "gif_loop" => {
                self.gif_loop = Some(int(value, 0, 65_535, "a loop count (0 = forever)")?)
            }
            "gif_width" => self.gif_width = Some(int(value, 1, 65_535, "a width in pixels")?),
            "gif_colors" => self.gif_colors = Some(int(value, 2, 256, "a number of colours")?),
            "gif_dither" => {
                self.gif_dither = Some(Dither::parse(value.trim()).ok_or_else(|| {
                    format!(
                        "expected one of {}, got '{value}'",
                        Dither::NAMES.join(", ")
                    )
                })?)
            }
            "gif_lossy" => self.gif_lossy = Some(int(value, 0, 200, "a lossy level (0 = exact)")?),
            "matte" => {
                self.matte =
                    Some(Rgb::parse(value.trim()).ok_or_else(|| {
                        format!("expected a colour like '#ffffff', got '{value}'")
                    })?)
            }
            "thumb_size" => {
                self.thumb_size = Some(int(value, 8, 8192, "a thumbnail size in pixels")?)
            }
            "thumb_effort" => self.thumb_effort = Some(int(value, 0, 6, "an effort level")?),
            "png_effort" => self.png_effort = Some(int(value, 0, 6, "an effort level")?),
            "png_lossy" => self.png_lossy = Some(boolean(value)?),
            "png_colors" => self.png_colors = Some(int(value, 2, 256, "a number of colours")?),
            "strip" => {
                self.strip = Some(Strip::parse(value.trim()).ok_or_else(|| {
                    format!("expected one of {}, got '{value}'", Strip::NAMES.join(", "))
                })?)
            }
            "fingerprint" => self.fingerprint = Some(boolean(value)?),
            _ => return Err(format!("unknown setting (known: {})", KEYS.join(", "))),
        }
        Ok(())
    }

    /// Later overrides win over earlier ones.
    pub fn merge(self, over: Overrides) -> Overrides {
        Overrides {
            source: over.source.or(self.source),
            output: over.output.or(self.output),
            gif_delay: over.gif_delay.or(self.gif_delay),
            gif_loop: over.gif_loop.or(self.gif_loop),
            gif_width: over.gif_width.or(self.gif_width),
            gif_colors: over.gif_colors.or(self.gif_colors),
            gif_dither: over.gif_dither.or(self.gif_dither),
            gif_lossy: over.gif_lossy.or(self.gif_lossy),
            matte: over.matte.or(self.matte),
            thumb_size: over.thumb_size.or(self.thumb_size),
            thumb_effort: over.thumb_effort.or(self.thumb_effort),
            png_effort: over.png_effort.or(self.png_effort),
            png_lossy: over.png_lossy.or(self.png_lossy),
            png_colors: over.png_colors.or(self.png_colors),
            strip: over.strip.or(self.strip),
            fingerprint: over.fingerprint.or(self.fingerprint),
        }
    }

    /// Defaults with these overrides applied.
    pub fn resolve(&self) -> Settings {
        let d = Settings::default();
        Settings {
            source: self.source.clone().unwrap_or(d.source),
            output: self.output.clone().unwrap_or(d.output),
            gif: GifOptions {
                delay_ms: self.gif_delay.unwrap_or(d.gif.delay_ms),
                loop_count: self.gif_loop.unwrap_or(d.gif.loop_count),
                width: self.gif_width.or(d.gif.width),
                colors: self.gif_colors.unwrap_or(d.gif.colors),
                dither: self.gif_dither.unwrap_or(d.gif.dither),
                matte: self.matte.unwrap_or(d.gif.matte),
                lossy: self.gif_lossy.unwrap_or(d.gif.lossy),
            },
            png: PngOptions {
                effort: self.png_effort.unwrap_or(d.png.effort),
                strip: self.strip.unwrap_or(d.png.strip),
                lossy: self.png_lossy.unwrap_or(d.png.lossy),
                colors: self.png_colors.unwrap_or(d.png.colors),
            },
            thumb: ThumbOptions {
                size: self.thumb_size.unwrap_or(d.thumb.size),
                effort: self.thumb_effort.unwrap_or(d.thumb.effort),
            },
            fingerprint: self.fingerprint.unwrap_or(d.fingerprint),
        }
    }
}

/// The parts of Jekyll's `_config.yml` that assetgen reads.
#[derive(Debug, Clone, Default)]
pub struct SiteConfig {
    /// `urlimg`, the site's image URL prefix (`/assets/images/`), which names
    /// the output root when `assetgen: output` is not set.
    pub urlimg: Option<String>,
    /// Jekyll's `exclude:` list: pages under these are not discovered.
    pub exclude: Vec<String>,
    /// The `assetgen:` mapping.
    pub overrides: Overrides,
}

/// A scalar as YAML can write it; settings are scalars, so anything else is
/// reported as a wrong type for its key.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Scalar {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Null(()),
}

#[derive(Debug, Deserialize)]
struct RawConfig {
    #[serde(default)]
    urlimg: Option<String>,
    #[serde(default)]
    exclude: Option<Vec<String>>,
    #[serde(default)]
    assetgen: Option<BTreeMap<String, Scalar>>,
}

impl SiteConfig {
    /// Reads `_config.yml` (`file` is only used in messages). Keys other
    /// than `urlimg`, `exclude` and `assetgen` belong to Jekyll and are ignored.
    pub fn parse(text: &str, file: &Path) -> Result<SiteConfig> {
        // serde-saphyr: a maintained serde front end on saphyr's parser (see
        // the front-matter module for why not serde_yaml).
        let raw: Option<RawConfig> = if text.trim().is_empty() {
            None
        } else {
            serde_saphyr::from_str(text).map_err(|e| Error::Config {
                file: file.to_path_buf(),
                key: "(file)".into(),
                message: first_line(&e.to_string()),
            })?
        };
        let raw = raw.unwrap_or(RawConfig {
            urlimg: None,
            exclude: None,
            assetgen: None,
        });
        let mut overrides = Overrides::default();
        for (key, value) in raw.assetgen.unwrap_or_default() {
            let bad = |message: String| Error::Config {
                file: file.to_path_buf(),
                key: format!("assetgen.{key}"),
                message,
            };
            let text = match value {
                Scalar::Null(()) => continue,
                Scalar::Bool(b) => b.to_string(),
                Scalar::Int(i) => i.to_string(),
                Scalar::Float(f) => f.to_string(),
                Scalar::Str(s) => s,
            };
            overrides.set(&key, &text).map_err(bad)?;
        }
        Ok(SiteConfig {
            urlimg: raw.urlimg,
            exclude: raw.exclude.unwrap_or_default(),
            overrides,
        })
    }

    /// The output root named by `urlimg`, if it is a site-local path.
    pub fn output_from_urlimg(&self) -> Option<PathBuf> {
        let u = self.urlimg.as_deref()?.trim();
        if u.contains("://") || u.starts_with("//") {
            return None; // images served from elsewhere: nothing local to name
        }
        let p = u.trim_matches('/');
        (!p.is_empty()).then(|| PathBuf::from(p))
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_reads_urlimg_exclude_and_settings() {
        let text = "urlimg: '/assets/images/'\nexclude:\n  - vendor\nassetgen:\n  gif_delay: 80\n  gif_dither: none\n  matte: '#000'\n";
        let c = SiteConfig::parse(text, Path::new("_config.yml")).unwrap();
        assert_eq!(c.output_from_urlimg(), Some(PathBuf::from("assets/images")));
        assert_eq!(c.exclude, vec!["vendor".to_string()]);
        let s = c.overrides.resolve();
        assert_eq!(s.gif.delay_ms, 80);
        assert_eq!(s.gif.dither, Dither::None);
        assert_eq!(s.gif.matte, Rgb([0, 0, 0]));
        assert_eq!(s.thumb.size, 320);
    }

    #[test]
    fn bad_value_names_the_key() {
        let text = "assetgen:\n  gif_colors: 300\n";
        let e = SiteConfig::parse(text, Path::new("_config.yml")).unwrap_err();
        assert!(e.is_usage());
        let msg = e.to_string();
        assert!(msg.contains("assetgen.gif_colors"), "{msg}");
        assert!(msg.contains("2 to 256"), "{msg}");
    }

    #[test]
    fn unknown_key_is_an_error() {
        let e =
            SiteConfig::parse("assetgen:\n  gif_speed: 3\n", Path::new("_config.yml")).unwrap_err();
        assert!(e.to_string().contains("unknown setting"), "{e}");
    }

    #[test]
    fn later_overrides_win() {
        let mut file = Overrides::default();
        file.set("thumb_size", "200").unwrap();
        file.set("gif_delay", "50").unwrap();
        let mut flags = Overrides::default();
        flags.set("thumb_size", "100").unwrap();
        let s = file.merge(flags).resolve();
        assert_eq!(s.thumb.size, 100);
        assert_eq!(s.gif.delay_ms, 50);
    }

    #[test]
    fn colours_parse() {
        assert_eq!(Rgb::parse("#ffffff"), Some(Rgb::WHITE));
        assert_eq!(Rgb::parse("fff"), Some(Rgb::WHITE));
        assert_eq!(Rgb::parse("#12345"), None);
        assert_eq!(Rgb::parse("#ééé"), None);
        assert_eq!(Rgb([1, 2, 255]).to_string(), "#0102ff");
    }
}
