//! The kinds of file assetgen makes: the one vocabulary shared by the
//! settings table (which kinds a setting shapes, hence which cache keys it
//! is in), the output registry (how each kind is named and made) and the
//! report. A leaf module, so that both sides can name kinds without
//! importing each other.

use std::fmt;

/// A kind of generated file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// The published copy of a frame (losslessly optimised, or palette).
    Png,
    /// A frame's gallery thumbnail.
    Thumb,
    /// The gallery's animation.
    Gif,
    /// The animation as an AV1 `.webm`, beside the GIF.
    Webm,
    /// The animation as an H.264 `.mp4`, beside the GIF.
    Mp4,
}

impl Kind {
    /// Every kind, in the order outputs are listed.
    pub const ALL: &'static [Kind] = &[Kind::Png, Kind::Thumb, Kind::Gif, Kind::Webm, Kind::Mp4];

    /// The name in cache keys and messages.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Png => "png",
            Kind::Thumb => "thumb",
            Kind::Gif => "gif",
            Kind::Webm => "webm",
            Kind::Mp4 => "mp4",
        }
    }
}

impl Kind {
    /// The kind as the JSON report's `written[].kind` names it.
    pub fn report_name(self) -> &'static str {
        match self {
            Kind::Webm | Kind::Mp4 => "video",
            other => other.name(),
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
