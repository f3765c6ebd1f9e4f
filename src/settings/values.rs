//! The types settings take, and the parsers that turn text into them.
//!
//! Every value reaches assetgen as text: a `_config.yml` scalar or a
//! command-line flag. One parser per setting (named in the table) turns
//! that text into its type, so a bad value gets the same message wherever
//! it came from; [`Value::show`] writes a value back the way a user would
//! type it, which is also what the cache keys and the settings dump hold.

use std::fmt;
use std::path::PathBuf;

/// How a setting's value is written back as text, and which words it
/// takes when it is one of a few.
pub trait Value {
    /// The accepted words, for settings that take one of a few; empty
    /// when any text of the right form goes.
    const CHOICES: &'static [&'static str] = &[];
    /// A flag for this type may be given bare (`--fingerprint` = true).
    const BARE_FLAG: Option<&'static str> = None;
    /// The value as a user would write it.
    fn show(&self) -> String;
}

macro_rules! shown_by_display {
    ($($t:ty),*) => {$(
        impl Value for $t {
            fn show(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
shown_by_display!(u8, u16, u32);

impl Value for bool {
    const CHOICES: &'static [&'static str] = &["true", "false"];
    const BARE_FLAG: Option<&'static str> = Some("true");
    fn show(&self) -> String {
        self.to_string()
    }
}

impl Value for PathBuf {
    fn show(&self) -> String {
        self.to_string_lossy().replace('\\', "/")
    }
}

impl<T: Value> Value for Option<T> {
    fn show(&self) -> String {
        self.as_ref().map_or_else(|| AUTO.to_string(), Value::show)
    }
}

/// The word for "not set: derive it" in optional settings (`gif_width: auto`).
pub const AUTO: &str = "auto";

/// A setting that is one of a few named values.
pub trait Choice: Sized + Copy + 'static {
    /// Every value with its name; the first name of a value is how it is shown.
    const NAMED: &'static [(&'static str, Self)];
}

/// Defines a [`Choice`] enum with its names, `Display` and [`Value`].
macro_rules! choice {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[doc = $doc:literal])* $variant:ident = $text:literal $(| $alias:literal)*, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[doc = $doc])* $variant, )+
        }

        impl Choice for $name {
            const NAMED: &'static [(&'static str, Self)] =
                &[ $( ($text, $name::$variant), $( ($alias, $name::$variant), )* )+ ];
        }

        impl Value for $name {
            const CHOICES: &'static [&'static str] = &[ $( $text, )+ ];
            fn show(&self) -> String {
                self.to_string()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(match self { $( $name::$variant => $text, )+ })
            }
        }
    };
}

choice! {
    /// Where the GIF's colours come from when a pixel falls between palette entries.
    pub enum Dither {
        /// Nearest palette colour: smallest files, may band on gradients.
        None = "none",
        /// 8x8 Bayer threshold: stable from frame to frame, so differencing still works.
        Ordered = "ordered",
        /// Floyd–Steinberg error diffusion: smoothest stills, but the noise crawls
        /// between frames and costs bytes.
        Diffusion = "diffusion" | "floyd-steinberg",
    }
}

choice! {
    /// Which ancillary PNG chunks the optimised copies keep.
    pub enum Strip {
        /// Keep everything.
        None = "none",
        /// Drop what does not affect rendering; keep colour profile chunks.
        Safe = "safe",
        /// Drop every ancillary chunk.
        All = "all",
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

impl Value for Rgb {
    fn show(&self) -> String {
        self.to_string()
    }
}

/// Which videos are made beside each GIF (`video: [webm, mp4]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Videos {
    pub webm: bool,
    pub mp4: bool,
}

impl Value for Videos {
    fn show(&self) -> String {
        match (self.webm, self.mp4) {
            (true, true) => "webm, mp4".into(),
            (true, false) => "webm".into(),
            (false, true) => "mp4".into(),
            (false, false) => "none".into(),
        }
    }
}

/// A list of videos: `webm, mp4`, `[webm, mp4]`, one of them, or `none`
/// (also `[]`). YAML lists reach here joined by commas.
pub fn videos() -> impl Fn(&str) -> Parsed<Videos> {
    |v| {
        let mut out = Videos::default();
        let inner = v.trim().trim_start_matches('[').trim_end_matches(']');
        for word in inner
            .split([',', ' '])
            .map(str::trim)
            .filter(|w| !w.is_empty())
        {
            match word {
                "webm" => out.webm = true,
                "mp4" => out.mp4 = true,
                "none" if inner.trim() == "none" => {}
                other => {
                    return Err(format!(
                        "expected a list of webm and mp4 (or none), got '{other}'"
                    ))
                }
            }
        }
        Ok(out)
    }
}

/// The GIF quality target: the mean SSIM (as skimage computes it, on the
/// frames composited on the matte) the GIF must keep, or `off` to use the
/// raw `gif_lossy` level. Held in ten-thousandths so settings compare and
/// hash exactly, and show as typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Quality(Option<u16>);

impl Quality {
    /// No target: `gif_lossy` is used as it is.
    pub const OFF: Quality = Quality(None);
    /// The lowest target accepted: below it a GIF is visibly broken and
    /// the largest level gets there anyway.
    pub const MIN: f64 = 0.5;

    /// A target of `ssim` (in `MIN..=1`), rounded to four decimals.
    pub fn target(ssim: f64) -> Option<Self> {
        (Self::MIN..=1.0)
            .contains(&ssim)
            .then(|| Quality(Some((ssim * 10_000.0).round() as u16)))
    }

    /// The target as a mean SSIM, or `None` when off.
    pub fn get(self) -> Option<f64> {
        self.0.map(|t| f64::from(t) / 10_000.0)
    }
}

impl fmt::Display for Quality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.get() {
            None => f.write_str("off"),
            Some(t) => {
                let s = format!("{t:.4}");
                f.write_str(s.trim_end_matches('0').trim_end_matches('.'))
            }
        }
    }
}

impl Value for Quality {
    fn show(&self) -> String {
        self.to_string()
    }
}

/// A quality target: `off`, or a mean SSIM such as `0.995`.
pub fn quality() -> impl Fn(&str) -> Parsed<Quality> {
    |v| {
        let t = v.trim();
        if t == "off" {
            return Ok(Quality::OFF);
        }
        t.parse::<f64>()
            .ok()
            .and_then(Quality::target)
            .ok_or_else(|| {
                format!(
                    "expected a mean SSIM from {} to 1 (such as 0.995) or off, got '{v}'",
                    Quality::MIN
                )
            })
    }
}

/// A parser: text to a setting's value, or what the setting accepts.
pub type Parsed<T> = Result<T, String>;

/// An integer from `lo` to `hi`; `what` says what it is in messages.
pub fn int<T: TryFrom<u64>>(lo: u64, hi: u64, what: &'static str) -> impl Fn(&str) -> Parsed<T> {
    move |v| {
        let n: u64 = v
            .trim()
            .parse()
            .map_err(|_| format!("expected {what}, got '{v}'"))?;
        if n < lo || n > hi {
            return Err(format!("expected {what} from {lo} to {hi}, got {n}"));
        }
        T::try_from(n).map_err(|_| format!("expected {what}, got '{v}'"))
    }
}

/// `true`/`false` (also `yes`/`no`, `on`/`off`, as YAML 1.1 has them).
pub fn boolean() -> impl Fn(&str) -> Parsed<bool> {
    |v| match v.trim() {
        "true" | "yes" | "on" => Ok(true),
        "false" | "no" | "off" => Ok(false),
        other => Err(format!("expected true or false, got '{other}'")),
    }
}

/// A folder inside the site, relative to its root (slashes at either end
/// are dropped, so `/assets/images/` works as in `urlimg`).
pub fn folder() -> impl Fn(&str) -> Parsed<PathBuf> {
    |v| {
        let p = v.trim().trim_matches('/');
        if p.is_empty() {
            return Err("expected a folder inside the site, got an empty path".into());
        }
        Ok(PathBuf::from(p))
    }
}

/// One of a [`Choice`]'s names.
pub fn choice<T: Choice + Value>() -> impl Fn(&str) -> Parsed<T> {
    |v| {
        let v = v.trim();
        T::NAMED
            .iter()
            .find(|(name, _)| *name == v)
            .map(|(_, value)| *value)
            .ok_or_else(|| format!("expected one of {}, got '{v}'", T::CHOICES.join(", ")))
    }
}

/// A colour: `#rrggbb`, `#rgb`, `white` or `black`.
pub fn colour() -> impl Fn(&str) -> Parsed<Rgb> {
    |v| Rgb::parse(v.trim()).ok_or_else(|| format!("expected a colour like '#ffffff', got '{v}'"))
}

/// `auto` (derive the value) or what `inner` accepts.
pub fn optional<T>(inner: impl Fn(&str) -> Parsed<T>) -> impl Fn(&str) -> Parsed<Option<T>> {
    move |v| {
        if v.trim() == AUTO {
            Ok(None)
        } else {
            inner(v).map(Some).map_err(|e| format!("{e} (or {AUTO})"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn video_lists_parse() {
        let both = Videos {
            webm: true,
            mp4: true,
        };
        assert_eq!(videos()("webm, mp4"), Ok(both));
        assert_eq!(videos()("[mp4, webm]"), Ok(both));
        assert_eq!(videos()("mp4").map(|v| v.show()), Ok("mp4".to_string()));
        assert_eq!(videos()("none"), Ok(Videos::default()));
        assert_eq!(videos()("[]"), Ok(Videos::default()));
        assert!(videos()("gif").is_err());
        assert!(videos()("none, mp4").is_err());
    }

    #[test]
    fn colours_parse() {
        assert_eq!(Rgb::parse("#ffffff"), Some(Rgb::WHITE));
        assert_eq!(Rgb::parse("fff"), Some(Rgb::WHITE));
        assert_eq!(Rgb::parse("#12345"), None);
        assert_eq!(Rgb::parse("#ééé"), None);
        assert_eq!(Rgb([1, 2, 255]).to_string(), "#0102ff");
    }

    #[test]
    fn choices_take_their_names_and_aliases_and_show_the_first() {
        let parse = choice::<Dither>();
        assert_eq!(parse("floyd-steinberg"), Ok(Dither::Diffusion));
        assert_eq!(Dither::Diffusion.show(), "diffusion");
        assert_eq!(Dither::CHOICES, ["none", "ordered", "diffusion"]);
        let e = parse("fs").unwrap_err();
        assert_eq!(e, "expected one of none, ordered, diffusion, got 'fs'");
    }

    #[test]
    fn quality_targets_parse_and_show_as_typed() {
        let parse = quality();
        assert_eq!(parse("0.995").map(|q| q.show()), Ok("0.995".into()));
        assert_eq!(parse("1").map(|q| q.show()), Ok("1".into()));
        assert_eq!(parse("off"), Ok(Quality::OFF));
        assert_eq!(parse("0.99").map(Quality::get), Ok(Some(0.99)));
        for bad in ["1.2", "0.3", "nan", "x", ""] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn integers_say_their_range() {
        let parse = int::<u16>(2, 256, "a number of colours");
        assert_eq!(parse(" 64 "), Ok(64));
        assert_eq!(
            parse("999").unwrap_err(),
            "expected a number of colours from 2 to 256, got 999"
        );
        let width = optional(int::<u32>(1, 65_535, "a width in pixels"));
        assert_eq!(width("auto"), Ok(None));
        assert_eq!(width("480"), Ok(Some(480)));
        assert!(width("wide").unwrap_err().ends_with("(or auto)"));
    }
}
