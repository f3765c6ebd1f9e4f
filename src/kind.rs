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
}

impl Kind {
    /// Every kind, in the order outputs are listed.
    pub const ALL: &'static [Kind] = &[Kind::Png, Kind::Thumb, Kind::Gif];

    /// The name in cache keys and messages.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Png => "png",
            Kind::Thumb => "thumb",
            Kind::Gif => "gif",
        }
    }
}

impl Kind {
    /// The kind as the JSON report's `written[].kind` names it.
    pub fn report_name(self) -> &'static str {
        self.name()
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
