//! The `.webm` and `.mp4` beside every GIF, encoded in-process.
//!
//! Sites that show turntables in a `<video>` (the Muscle-Atlas template
//! does) show an empty box when neither file plays, so the videos are as
//! much a build output as the GIF. The route, chosen by measurement (see
//! the README's video section):
//!
//! ```text
//! frames (decoded once, for the GIF too) -> resize to video_width
//!   -> flatten on the matte (no video alpha plays everywhere)
//!   -> BT.709 limited-range 4:2:0, padded to even sizes       yuv.rs
//!   -> OpenH264, High profile, CABAC, fixed QP, no skipping    h264.rs
//!        -> MP4, moov before mdat (fast start)                 mp4.rs
//!   -> rav1e AV1, fixed quantizer, one key frame              av1.rs
//!        -> WebM (Matroska), Colour tagged                     webm.rs
//! ```
//!
//! The two containers are written here by hand (a few hundred lines each):
//! the maintained muxer crates either write no colour tags (`muxide`),
//! write `moov` last (`mp4`), or compile ten thousand lines of C++ (`webm`);
//! ours write exactly the boxes and elements browsers need, with no
//! timestamps or random IDs, so equal inputs give equal bytes.
//!
//! Both encoders' output depends only on the pixels and the settings: the
//! AV1 tiling is fixed, OpenH264 runs one slice on one thread, so the
//! bytes are the same whatever `-j`.

#[cfg(feature = "webm")]
mod av1;
#[cfg(feature = "mp4")]
mod h264;
#[cfg(feature = "mp4")]
mod mp4;
#[cfg(feature = "webm")]
mod webm;
mod yuv;

use crate::image::frames::Frames;
use crate::image::resize;
use crate::settings::Settings;
use yuv::{Rgb, Yuv420};

/// The size the videos are shown at: `video_width` (height keeping the
/// aspect ratio), else the frames' own size. Odd sizes are padded to even
/// inside the stream and cropped back by the container.
pub fn shown_size((width, height): (u32, u32), settings: &Settings) -> (u32, u32) {
    match settings.video_width {
        Some(w) if w != width => resize::fit_width(width, height, w),
        _ => (width, height),
    }
}

/// The frames as the encoders take them: each taken from the shared
/// frames, resized, flattened on the matte and converted when the encoder
/// asks for it, so a video in flight holds one frame's YUV planes beside
/// the encoder's own, not the whole gallery's (16 frames of 2048x2048 are
/// 100 MB as 4:2:0, per video), and the RGBA frames it has passed can go.
pub(crate) struct Source<'a> {
    frames: &'a Frames,
    /// The size shown (before padding to even).
    pub width: u32,
    pub height: u32,
    matte: [u8; 3],
}

impl<'a> Source<'a> {
    fn new(frames: &'a Frames, settings: &Settings) -> Result<Source<'a>, String> {
        let (width, height) = shown_size(frames.dimensions(), settings);
        if width < 2 || height < 2 {
            return Err(format!(
                "{width}x{height} is too small for a video (2x2 at least)"
            ));
        }
        Ok(Source {
            frames,
            width,
            height,
            matte: settings.matte.0,
        })
    }

    /// The coded size: the shown one padded to even.
    pub fn coded_size(&self) -> (usize, usize) {
        yuv::padded_size(self.width as usize, self.height as usize)
    }

    pub fn len(&self) -> usize {
        self.frames.len()
    }

    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// The frames, taken and converted one by one as the encoder asks.
    pub fn yuv(&self) -> impl Iterator<Item = anyhow::Result<Yuv420>> + '_ {
        let size = (self.width, self.height);
        (0..self.frames.len()).map(move |i| {
            let f = self.frames.take(i).map_err(anyhow::Error::msg)?;
            let rgb = if f.dimensions() == size {
                Rgb::on_matte(&f, self.matte)
            } else {
                let resized = resize::resize(&f, size.0, size.1).map_err(anyhow::Error::msg)?;
                Rgb::on_matte(&resized, self.matte)
            };
            Ok(Yuv420::from_rgb_bt709(&rgb))
        })
    }
}

/// The H.264 `.mp4`.
#[cfg(feature = "mp4")]
pub fn encode_mp4(frames: &Frames, settings: &Settings) -> Result<Vec<u8>, String> {
    let source = Source::new(frames, settings)?;
    let h264 = h264::H264Settings {
        qp: settings.mp4_quality,
        ..h264::H264Settings::default()
    };
    let stream = h264::encode_raw(&source, settings.gif_delay, &h264).map_err(|e| e.to_string())?;
    let params = mp4::Mp4Params {
        display_width: source.width,
        display_height: source.height,
        delay_ms: settings.gif_delay,
    };
    mp4::write_mp4(&stream, &params).map_err(|e| e.to_string())
}

/// The AV1 `.webm`.
#[cfg(feature = "webm")]
pub fn encode_webm(frames: &Frames, settings: &Settings) -> Result<Vec<u8>, String> {
    let source = Source::new(frames, settings)?;
    let (width, height) = (source.width, source.height);
    let av1 = av1::Av1Settings {
        quantizer: usize::from(settings.webm_quality),
        ..av1::Av1Settings::default()
    };
    let stream = av1::encode(&source, settings.gif_delay, &av1).map_err(|e| e.to_string())?;
    let av1c = av1::av1c_from_seq_header(&stream.seq_header_obu);
    // Matroska's AV1 mapping: blocks carry no temporal delimiters.
    let blocks: Vec<Vec<u8>> = stream
        .packets
        .iter()
        .map(|p| webm::strip_av1_td(&p.data))
        .collect();
    let frames: Vec<webm::Frame> = blocks
        .iter()
        .zip(&stream.packets)
        .map(|(data, p)| webm::Frame {
            data,
            keyframe: p.keyframe,
        })
        .collect();
    let params = webm::WebmParams {
        codec: webm::Codec::Av1 { av1c: &av1c },
        width: stream.width as u32,
        height: stream.height as u32,
        display_width: width,
        display_height: height,
        delay_ms: settings.gif_delay,
    };
    Ok(webm::write_webm(&params, &frames))
}
