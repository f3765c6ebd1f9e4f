//! Reading Jekyll's `_config.yml`: the `assetgen:` settings, and the
//! Jekyll keys assetgen honours (`urlimg` names the output root, `exclude`
//! hides pages, `include` shows dot-folders). Every other key belongs to
//! Jekyll and is ignored.
//!
//! Errors say where: `_config.yml:34:11: assetgen.gif_delay: ...`, with
//! the line and column serde-saphyr's spans give.

use std::path::Path;

use serde::Deserialize;
use serde_saphyr::{Location, Spanned};

use super::{Origin, Overrides};
use crate::error::{Error, Result};

/// The parts of Jekyll's `_config.yml` that assetgen reads.
#[derive(Debug, Clone, Default)]
pub struct SiteConfig {
    /// `urlimg`, the site's image URL prefix (`/assets/images/`), which names
    /// the output root when `assetgen: output` is not set.
    pub urlimg: Option<String>,
    /// Jekyll's `exclude:` list: pages under these are not discovered.
    pub exclude: Vec<String>,
    /// Jekyll's `include:` list: dot-files and dot-folders named here are
    /// looked at after all.
    pub include: Vec<String>,
    /// The `assetgen:` mapping.
    pub overrides: Overrides,
}

/// A setting's value as YAML can write it: a scalar, or a list of words
/// (`video: [webm, mp4]`); anything else is reported as a wrong type.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Scalar {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<String>),
    Null(()),
}

/// The `assetgen:` value: a mapping of settings, or a mistake. Read by
/// hand rather than with an untagged enum, which would buffer the values
/// and lose the positions that make the messages point at a line.
#[derive(Debug)]
enum Section {
    Settings(Vec<(String, Spanned<Scalar>)>),
    Null,
    Other,
}

impl<'de> Deserialize<'de> for Section {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Section;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a mapping of settings")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Section, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, Spanned<Scalar>>()? {
                    entries.push(entry);
                }
                Ok(Section::Settings(entries))
            }
            fn visit_unit<E>(self) -> std::result::Result<Section, E> {
                Ok(Section::Null)
            }
            fn visit_none<E>(self) -> std::result::Result<Section, E> {
                Ok(Section::Null)
            }
            fn visit_bool<E>(self, _: bool) -> std::result::Result<Section, E> {
                Ok(Section::Other)
            }
            fn visit_i64<E>(self, _: i64) -> std::result::Result<Section, E> {
                Ok(Section::Other)
            }
            fn visit_u64<E>(self, _: u64) -> std::result::Result<Section, E> {
                Ok(Section::Other)
            }
            fn visit_f64<E>(self, _: f64) -> std::result::Result<Section, E> {
                Ok(Section::Other)
            }
            fn visit_str<E>(self, _: &str) -> std::result::Result<Section, E> {
                Ok(Section::Other)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<Section, A::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(Section::Other)
            }
        }
        d.deserialize_any(Visit)
    }
}

#[derive(Debug, Deserialize)]
struct RawConfig {
    #[serde(default)]
    urlimg: Option<String>,
    #[serde(default)]
    exclude: Option<Vec<String>>,
    #[serde(default)]
    include: Option<Vec<String>>,
    #[serde(default)]
    assetgen: Option<Spanned<Section>>,
}

fn at(l: &Location) -> Option<(u64, u64)> {
    (l.line() > 0).then(|| (l.line(), l.column()))
}

impl SiteConfig {
    /// Reads `_config.yml` (`file` is only used in messages).
    pub fn parse(text: &str, file: &Path) -> Result<SiteConfig> {
        let error = |at: Option<(u64, u64)>, key: &str, message: String| Error::Config {
            file: file.to_path_buf(),
            at,
            key: key.to_string(),
            message,
        };
        // serde-saphyr: a maintained serde front end on saphyr's parser (see
        // the front-matter module for why not serde_yaml).
        let raw: Option<RawConfig> = if text.trim().is_empty() {
            None
        } else {
            serde_saphyr::from_str(text).map_err(|e| {
                let place = e.location().as_ref().and_then(at);
                error(place, "", yaml_message(&e.to_string()))
            })?
        };
        let raw = raw.unwrap_or(RawConfig {
            urlimg: None,
            exclude: None,
            include: None,
            assetgen: None,
        });
        let mut overrides = Overrides::default();
        let settings =
            match raw.assetgen {
                None => Vec::new(),
                Some(Spanned {
                    value: Section::Settings(entries),
                    ..
                }) => entries,
                Some(Spanned {
                    value: Section::Null,
                    ..
                }) => Vec::new(),
                Some(s) => return Err(error(
                    at(&s.referenced),
                    "assetgen",
                    "expected a mapping of settings (`assetgen:` then indented `key: value` lines)"
                        .into(),
                )),
            };
        for (key, value) in settings {
            let text = match value.value {
                Scalar::Null(()) => continue,
                Scalar::Bool(b) => b.to_string(),
                Scalar::Int(i) => i.to_string(),
                Scalar::Float(f) => f.to_string(),
                Scalar::Str(s) => s,
                Scalar::List(words) if words.is_empty() => "none".to_string(),
                Scalar::List(words) => words.join(", "),
            };
            overrides
                .set(&key, &text, Origin::ConfigFile)
                .map_err(|m| error(at(&value.referenced), &format!("assetgen.{key}"), m))?;
        }
        Ok(SiteConfig {
            urlimg: raw.urlimg,
            exclude: raw.exclude.unwrap_or_default(),
            include: raw.include.unwrap_or_default(),
            overrides,
        })
    }

    /// The settings this file gives: the output root named by `urlimg`
    /// (when it is a site-local path), then the `assetgen:` mapping.
    pub fn overrides(&self) -> Overrides {
        let mut base = Overrides::default();
        if let Some(u) = self.urlimg.as_deref().map(str::trim) {
            // Images served from elsewhere name nothing local.
            let local = !(u.contains("://") || u.starts_with("//"));
            if local && !u.trim_matches('/').is_empty() {
                // A bad urlimg is Jekyll's business: it only loses its say here.
                let _ = base.set("output", u, Origin::Urlimg);
            }
        }
        base.merge(self.overrides.clone())
    }
}

/// serde-saphyr's message without its own position and source excerpt
/// (the position is said once, in the `file:line:col` prefix).
fn yaml_message(full: &str) -> String {
    let first = full.lines().next().unwrap_or("").trim();
    let cut = first
        .find(" at line ")
        .or_else(|| first.find(", line "))
        .unwrap_or(first.len());
    first[..cut].trim_end_matches([',', ':']).to_string()
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::settings::{Dither, Rgb};

    #[test]
    fn config_reads_urlimg_exclude_and_settings() {
        let text = "urlimg: '/assets/images/'\nexclude:\n  - vendor\nassetgen:\n  gif_delay: 80\n  gif_dither: none\n  matte: '#000'\n";
        let c = SiteConfig::parse(text, Path::new("_config.yml")).unwrap();
        assert_eq!(c.exclude, vec!["vendor".to_string()]);
        let s = c.overrides().resolve();
        assert_eq!(s.output, PathBuf::from("assets/images"));
        assert_eq!(s.gif_delay, 80);
        assert_eq!(s.gif_dither, Dither::None);
        assert_eq!(s.matte, Rgb([0, 0, 0]));
        assert_eq!(s.thumb_size, 320);
    }

    #[test]
    fn output_beats_urlimg_and_remote_urlimg_names_nothing() {
        let text = "urlimg: 'https://cdn.example/img/'\n";
        let c = SiteConfig::parse(text, Path::new("_config.yml")).unwrap();
        assert_eq!(c.overrides().origin("output"), Origin::Default);
        let text = "urlimg: '/img/'\nassetgen:\n  output: public/img\n";
        let c = SiteConfig::parse(text, Path::new("_config.yml")).unwrap();
        assert_eq!(c.overrides().resolve().output, PathBuf::from("public/img"));
    }

    #[test]
    fn bad_value_names_the_key_and_where_it_is() {
        let text = "title: x\nassetgen:\n  gif_colors: 300\n";
        let e = SiteConfig::parse(text, Path::new("_config.yml")).unwrap_err();
        assert!(e.is_usage());
        assert_eq!(
            e.to_string(),
            "_config.yml:3:15: assetgen.gif_colors: expected a number of colours from 2 to 256, got 300"
        );
    }

    #[test]
    fn unknown_key_suggests_the_nearest() {
        let e =
            SiteConfig::parse("assetgen:\n  gif_dealy: 3\n", Path::new("_config.yml")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "_config.yml:2:14: assetgen.gif_dealy: unknown setting; did you mean 'gif_delay'?"
        );
    }

    #[test]
    fn a_scalar_where_the_settings_go_is_named() {
        let text = "title: x\nassetgen: yes\n";
        let e = SiteConfig::parse(text, Path::new("_config.yml")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "_config.yml:2:11: assetgen: expected a mapping of settings (`assetgen:` then indented `key: value` lines)"
        );
        let empty = SiteConfig::parse("assetgen:\n", Path::new("_config.yml")).unwrap();
        assert_eq!(empty.overrides, Overrides::default());
    }

    #[test]
    fn yaml_errors_give_line_and_column_once() {
        let text = "title: x\nexclude: [a, b\nfoo: 1\n";
        let e = SiteConfig::parse(text, Path::new("_config.yml")).unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("_config.yml:"), "{msg}");
        assert!(!msg.contains("(file)") && !msg.contains('\n'), "{msg}");
        let Error::Config {
            at: Some((line, _)),
            ..
        } = e
        else {
            panic!("no position: {msg}")
        };
        assert!(line >= 2, "{msg}");
    }
}
