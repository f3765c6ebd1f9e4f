//! Settings: built-in defaults, overridden by `_config.yml`, overridden by flags.
//!
//! Users already edit `_config.yml` for Jekyll, so assetgen's settings live
//! there under an `assetgen:` mapping, with one flat snake_case key per
//! setting; the command-line flag for a key is the same name with dashes
//! (`gif_delay` <-> `--gif-delay`). Every setting is one entry of the
//! table in `table.rs`; this module turns the table into the [`Settings`]
//! struct, the [`Overrides`] given by a file or flags, and the text forms
//! (dump, README table, cache keys) that must never drift from it.

mod config;
mod table;
mod values;

use std::collections::BTreeMap;
use std::fmt::Write as _;

pub use config::SiteConfig;
pub use table::Settings;
pub use values::{Dither, Quality, Rgb, Strip, Value, Videos};

use crate::kind::Kind;

/// One row of the settings table.
#[derive(Clone, Copy)]
pub struct Setting {
    /// The key under `assetgen:`; the flag is `--` and the key with dashes.
    pub key: &'static str,
    /// The default, as text (parsed by the same parser as any given value).
    pub default: &'static str,
    /// The default as the README shows it, when it is derived.
    pub shown_default: &'static str,
    /// What the setting means (one line, for `--help` and the README).
    pub help: &'static str,
    /// The placeholder of its flag (`MS`, `PX`, `BOOL`...).
    pub value_name: &'static str,
    /// The words it accepts, when it takes one of a few.
    pub choices: &'static [&'static str],
    /// The value a bare flag means (`--fingerprint` = `true`), if any.
    pub bare_flag: Option<&'static str>,
    /// The kinds of output whose bytes depend on it (their cache keys hold it).
    pub shapes: &'static [Kind],
    /// The kinds whose making it bounds without changing their bytes (a
    /// resource limit): the commands that make them take it as a flag, but
    /// it is in no cache key.
    pub limits: &'static [Kind],
    /// Parses `text` and stores it in the settings, or says what is accepted.
    pub apply: fn(&mut Settings, &str) -> Result<(), String>,
    /// The current value, as text.
    pub show: fn(&Settings) -> String,
}

impl std::fmt::Debug for Setting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Setting").field("key", &self.key).finish()
    }
}

impl Setting {
    /// The command-line flag, `--gif-delay`.
    pub fn flag(&self) -> String {
        format!("--{}", self.key.replace('_', "-"))
    }

    /// Checks `text` without keeping it.
    pub fn check(&self, text: &str) -> Result<(), String> {
        (self.apply)(&mut Settings::default(), text)
    }
}

/// Generates [`Settings`] and [`SETTINGS`] from the table's entries.
macro_rules! define_settings {
    ($(
        $(#[doc = $doc:literal])+
        $key:ident : $ty:ty {
            default: $default:literal,
            $(shown: $shown:literal,)?
            parse: $parse:expr,
            value: $value:literal,
            shapes: [$($kind:ident),*],
            $(limits: [$($limited:ident),*],)?
        }
    )+) => {
        /// Every setting, resolved. Fields are the keys of the settings table
        /// (`table.rs`), where each is documented; `Settings::default()` holds
        /// the defaults. The library's stages take this one struct, as
        /// oxipng's do its `Options`.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct Settings {
            $( $(#[doc = $doc])+ pub $key: $ty, )+
        }

        impl Default for Settings {
            fn default() -> Self {
                Settings {
                    $( $key: ($parse)($default).unwrap_or_else(|e| {
                        // The table's own defaults; a unit test parses each.
                        panic!("default of {} does not parse: {e}", stringify!($key))
                    }), )+
                }
            }
        }

        /// The settings table, in the order the README lists it.
        pub static SETTINGS: &[$crate::settings::Setting] = &[$(
            $crate::settings::Setting {
                key: stringify!($key),
                default: $default,
                shown_default: $crate::settings::define_settings!(@shown $default $(, $shown)?),
                help: concat!($($doc),+),
                value_name: $value,
                choices: <$ty as $crate::settings::Value>::CHOICES,
                bare_flag: <$ty as $crate::settings::Value>::BARE_FLAG,
                shapes: &[$($crate::kind::Kind::$kind),*],
                limits: &[$($($crate::kind::Kind::$limited),*)?],
                apply: |s, text| {
                    s.$key = ($parse)(text)?;
                    Ok(())
                },
                show: |s| $crate::settings::Value::show(&s.$key),
            },
        )+];
    };
    (@shown $default:literal) => { concat!("`", $default, "`") };
    (@shown $default:literal, $shown:literal) => { $shown };
}
pub(crate) use define_settings;

pub use table::SETTINGS;

/// The table entry of `key`.
pub fn setting(key: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.key == key)
}

impl Settings {
    /// The settings that shape `kind`, as `key=value` lines: the part of
    /// that kind's cache key that comes from settings. Built from the
    /// table, so a setting that shapes a kind is in its key by construction.
    pub fn shaping(&self, kind: Kind) -> String {
        let mut out = String::new();
        for s in SETTINGS.iter().filter(|s| s.shapes.contains(&kind)) {
            let _ = writeln!(out, "{}={}", s.key, (s.show)(self));
        }
        out
    }
}

/// Where a setting's value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    Default,
    /// `urlimg` in `_config.yml` (names the output root).
    Urlimg,
    /// The `assetgen:` mapping of `_config.yml`.
    ConfigFile,
    CommandLine,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Origin::Default => "default",
            Origin::Urlimg => "urlimg in _config.yml",
            Origin::ConfigFile => "_config.yml",
            Origin::CommandLine => "command line",
        })
    }
}

/// Settings given explicitly (by `_config.yml`, `urlimg` or flags), as the
/// text given, already checked; anything not given keeps its default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    given: BTreeMap<&'static str, (String, Origin)>,
}

impl Overrides {
    /// Sets one key from its text, checking it; the error says what the
    /// key accepts, or, for an unknown key, which key was probably meant.
    pub fn set(&mut self, key: &str, value: &str, origin: Origin) -> Result<(), String> {
        let Some(s) = setting(key) else {
            return Err(unknown_key(key));
        };
        s.check(value)?;
        self.given.insert(s.key, (value.to_string(), origin));
        Ok(())
    }

    /// Later overrides win over earlier ones.
    pub fn merge(mut self, over: Overrides) -> Overrides {
        self.given.extend(over.given);
        self
    }

    /// Defaults with these overrides applied.
    pub fn resolve(&self) -> Settings {
        let mut settings = Settings::default();
        for (key, (text, _)) in &self.given {
            if let Some(s) = setting(key) {
                // Checked by `set`, so this cannot fail.
                let _ = (s.apply)(&mut settings, text);
            }
        }
        settings
    }

    /// Where the value of `key` came from.
    pub fn origin(&self, key: &str) -> Origin {
        self.given.get(key).map_or(Origin::Default, |(_, o)| *o)
    }
}

/// "unknown setting" with the nearest key, when one is near.
fn unknown_key(key: &str) -> String {
    let nearest = SETTINGS
        .iter()
        .map(|s| (strsim::damerau_levenshtein(key, s.key), s.key))
        .min();
    match nearest {
        Some((d, near)) if d <= 3 && d < key.len() => {
            format!("unknown setting; did you mean '{near}'?")
        }
        _ => format!(
            "unknown setting (known: {})",
            SETTINGS
                .iter()
                .map(|s| s.key)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The README's settings table, made from the settings table (a test
/// checks the README holds exactly this).
pub fn markdown_table() -> String {
    let mut out = String::from("| key | default | meaning |\n|---|---|---|\n");
    for s in SETTINGS {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} |",
            s.key,
            s.shown_default,
            s.help.trim()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_parses_and_shows_as_written() {
        let d = Settings::default();
        for s in SETTINGS {
            assert_eq!(s.check(s.default), Ok(()), "{}", s.key);
            assert_eq!((s.show)(&d), s.default, "{}", s.key);
            assert!(!s.help.trim().is_empty(), "{} has no help", s.key);
        }
    }

    #[test]
    fn later_overrides_win_and_remember_where_they_came_from() {
        let mut file = Overrides::default();
        file.set("thumb_size", "200", Origin::ConfigFile).unwrap();
        file.set("gif_delay", "50", Origin::ConfigFile).unwrap();
        let mut flags = Overrides::default();
        flags.set("thumb_size", "100", Origin::CommandLine).unwrap();
        let o = file.merge(flags);
        let s = o.resolve();
        assert_eq!(s.thumb_size, 100);
        assert_eq!(s.gif_delay, 50);
        assert_eq!(o.origin("thumb_size"), Origin::CommandLine);
        assert_eq!(o.origin("gif_delay"), Origin::ConfigFile);
        assert_eq!(o.origin("matte"), Origin::Default);
    }

    #[test]
    fn unknown_keys_suggest_the_nearest() {
        let mut o = Overrides::default();
        let e = o.set("gif_dealy", "3", Origin::ConfigFile).unwrap_err();
        assert_eq!(e, "unknown setting; did you mean 'gif_delay'?");
        let e = o.set("speed", "3", Origin::ConfigFile).unwrap_err();
        assert!(
            e.starts_with("unknown setting (known: source, output"),
            "{e}"
        );
    }

    #[test]
    fn the_readme_lists_every_setting_as_the_table_says() {
        let readme = include_str!("../../README.md");
        let table = markdown_table();
        assert!(
            readme.contains(&table),
            "README.md's settings table is out of date; it should read:\n{table}"
        );
    }

    #[test]
    fn the_example_config_shows_every_setting() {
        let config = include_str!("../../_config.yml");
        for s in SETTINGS {
            let line = format!("{}:", s.key);
            assert!(
                config
                    .lines()
                    .any(|l| l.trim_start_matches([' ', '#']).starts_with(&line)),
                "_config.yml does not show `{}`",
                s.key
            );
        }
    }

    #[test]
    fn cache_keys_hold_exactly_the_settings_that_shape_a_kind() {
        let d = Settings::default();
        let gif = d.shaping(Kind::Gif);
        assert!(gif.contains("gif_delay=100\n") && gif.contains("matte=#ffffff\n"));
        assert!(!gif.contains("png_") && !gif.contains("thumb_"));
        let thumb = d.shaping(Kind::Thumb);
        assert!(thumb.contains("thumb_size=320\n") && thumb.contains("png_lossy=false\n"));
        assert!(!thumb.contains("png_effort"), "{thumb}");
        for kind in Kind::ALL {
            let changed = Settings {
                fingerprint: true,
                source: "elsewhere".into(),
                ..Settings::default()
            };
            assert_eq!(changed.shaping(*kind), d.shaping(*kind), "{kind}");
        }
    }
}
