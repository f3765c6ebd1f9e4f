//! Reading Jekyll's `_config.yml`: the `assetgen:` settings, and the two
//! Jekyll keys assetgen honours (`urlimg` names the output root, `exclude`
//! hides pages). Every other key belongs to Jekyll and is ignored.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

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
    /// Reads `_config.yml` (`file` is only used in messages).
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
            overrides
                .set(&key, &text, Origin::ConfigFile)
                .map_err(bad)?;
        }
        Ok(SiteConfig {
            urlimg: raw.urlimg,
            exclude: raw.exclude.unwrap_or_default(),
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

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").trim().to_string()
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
}
