//! Command-line flags made from the settings table: every setting is a
//! flag (`gif_delay` <-> `--gif-delay`), and each command takes exactly
//! the settings that shape what it makes. A site command takes them all;
//! `gif` takes those that shape a GIF, `png` and `thumb` theirs. Values are
//! checked by the same parsers as `_config.yml`'s, so a bad value gets the
//! same message, naming the flag.

use std::marker::PhantomData;
use std::path::PathBuf;

use clap::builder::PossibleValuesParser;
use clap::{Arg, ArgMatches, Args, Command, FromArgMatches};

use assetgen::{Kind, Origin, Overrides, Setting, SETTINGS};

/// Which settings a command takes.
pub trait Selection {
    /// The kinds the command makes; `None` for a site command (all settings).
    const KINDS: Option<&'static [Kind]>;
    /// Settings it takes besides those shaping its kinds.
    const KEYS: &'static [&'static str] = &[];
}

/// Every setting: `build`, `check`, `clean`, `settings`.
#[derive(Debug, Clone, Copy)]
pub struct Site;
impl Selection for Site {
    const KINDS: Option<&'static [Kind]> = None;
}

/// The settings of a GIF and, on request, its videos: `gif`.
#[derive(Debug, Clone, Copy)]
pub struct Gif;
impl Selection for Gif {
    const KINDS: Option<&'static [Kind]> = Some(&[Kind::Gif, Kind::Webm, Kind::Mp4]);
    const KEYS: &'static [&'static str] = &["video"];
}

/// The settings of the optimised PNG copies: `png`.
#[derive(Debug, Clone, Copy)]
pub struct Png;
impl Selection for Png {
    const KINDS: Option<&'static [Kind]> = Some(&[Kind::Png]);
}

/// The settings of thumbnails: `thumb`.
#[derive(Debug, Clone, Copy)]
pub struct Thumb;
impl Selection for Thumb {
    const KINDS: Option<&'static [Kind]> = Some(&[Kind::Thumb]);
}

fn selected<S: Selection>() -> impl Iterator<Item = &'static Setting> {
    SETTINGS.iter().filter(|s| match S::KINDS {
        None => true,
        Some(kinds) => {
            s.shapes.iter().chain(s.limits).any(|k| kinds.contains(k)) || S::KEYS.contains(&s.key)
        }
    })
}

/// The settings given as flags to a command taking the selection `S`.
#[derive(Debug, Clone)]
pub struct SettingFlags<S> {
    given: Vec<(&'static str, String)>,
    _selection: PhantomData<S>,
}

impl<S: Selection> SettingFlags<S> {
    /// The flags as overrides, checked; a bad value names its flag (exit 2).
    pub fn overrides(&self) -> Result<Overrides, assetgen::Error> {
        let mut o = Overrides::default();
        for (key, value) in &self.given {
            o.set(key, value, Origin::CommandLine)
                .map_err(|message| assetgen::Error::Config {
                    file: PathBuf::from("command line"),
                    at: None,
                    key: format!("--{}", key.replace('_', "-")),
                    message,
                })?;
        }
        Ok(o)
    }
}

fn arg(s: &'static Setting) -> Arg {
    let help = format!("{} [default: {}]", s.help.trim(), s.default).replace('`', "");
    let mut a = Arg::new(s.key)
        .long(s.key.replace('_', "-"))
        .value_name(s.value_name)
        .help(help);
    if !s.choices.is_empty() {
        a = a.value_parser(PossibleValuesParser::new(s.choices));
    }
    if let Some(bare) = s.bare_flag {
        a = a.num_args(0..=1).default_missing_value(bare);
    }
    a
}

impl<S: Selection> FromArgMatches for SettingFlags<S> {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        let given = selected::<S>()
            .filter_map(|s| m.get_one::<String>(s.key).map(|v| (s.key, v.clone())))
            .collect();
        Ok(SettingFlags {
            given,
            _selection: PhantomData,
        })
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

impl<S: Selection> Args for SettingFlags<S> {
    fn augment_args(cmd: Command) -> Command {
        cmd.next_help_heading("Settings (also under `assetgen:` in _config.yml)")
            .args(selected::<S>().map(arg))
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}
