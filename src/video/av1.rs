//! AV1 encoding with rav1e (BSD-2, pure Rust; optional nasm-built asm).
//!
//! Cargo: `rav1e = { version = "0.8", default-features = false,
//!                   features = ["threading"] }` builds with the Rust toolchain
//! only. The `asm` feature (opt-in) needs the `nasm` binary at build time.
//!
//! Output: one packet per *shown* frame (a temporal unit; rav1e folds hidden
//! frames into the next shown one), OBUs in low-overhead format, with the
//! leading temporal delimiter that rav1e writes. The WebM muxer strips it.
//!
//! Determinism: rav1e's output depends only on the config (tiles are fixed
//! by `tile_cols`/`tile_rows`/`tiles`, not by the thread count). Checked by
//! running with 1 and 2 threads and comparing bytes.

use super::Source;
use anyhow::{bail, Result};
use rav1e::color::{
    ChromaSamplePosition, ColorDescription, ColorPrimaries, MatrixCoefficients, PixelRange,
    TransferCharacteristics,
};
use rav1e::config::SpeedSettings;
use rav1e::prelude::*;

pub struct Av1Packet {
    pub data: Vec<u8>,
    pub keyframe: bool,
}

pub struct Av1Stream {
    pub width: usize,
    pub height: usize,
    /// Sequence header OBU (with obu_size), taken from the first packet.
    pub seq_header_obu: Vec<u8>,
    pub packets: Vec<Av1Packet>,
}

#[derive(Clone, Debug)]
pub struct Av1Settings {
    /// rav1e speed preset 0..=10 (10 = fastest).
    pub speed: u8,
    /// Base quantizer index 0..=255 (AV1 qindex; ~ CRF-like knob).
    pub quantizer: usize,
    /// Lowest quantizer the encoder may pick for boosted frames.
    pub min_quantizer: u8,
    /// 0 = automatic tiling (rav1e picks from `threads`... see below).
    pub tile_cols: usize,
    pub tile_rows: usize,
    /// Total tile count target (0 = unset).
    pub tiles: usize,
    /// No frame reordering (no hidden alt-ref frames). Faster, larger.
    pub low_latency: bool,
    pub min_key_frame_interval: u64,
    /// 0 = never place a key frame after the first.
    pub max_key_frame_interval: u64,
    /// Override the preset's RDO lookahead (None = preset's value).
    pub rdo_lookahead_frames: Option<usize>,
    /// rav1e worker threads (0 = rayon global pool).
    pub threads: usize,
    /// Psychovisual (default) or PSNR tuning.
    pub tune_psnr: bool,
    /// Force the fast scene-cut detector (the preset's choice otherwise).
    pub fast_scene_detection: bool,
    /// Override the preset's CDEF switch (None = preset's value).
    pub cdef: Option<bool>,
    /// Override the preset's partition range, as (min, max) block size in
    /// pixels, square: 8, 16, 32 or 64 (None = preset's value).
    pub partition: Option<(usize, usize)>,
}

impl Default for Av1Settings {
    fn default() -> Self {
        Av1Settings {
            speed: 10,
            quantizer: 110,
            min_quantizer: 0,
            tile_cols: 2,
            tile_rows: 1,
            tiles: 0,
            low_latency: true,
            min_key_frame_interval: 0,
            max_key_frame_interval: 0,
            // The preset's 10 frames of lookahead feed temporal RDO, which
            // low latency leaves off: on the fixtures the bytes are the same
            // with 1, and rav1e holds fewer frames waiting (16 x 2048x2048,
            // the .webm alone: peak RSS 854 -> 614 MB).
            rdo_lookahead_frames: Some(1),
            threads: 0,
            tune_psnr: false,
            fast_scene_detection: true,
            cdef: None,
            partition: None,
        }
    }
}

pub fn encode(frames: &Source<'_>, delay_ms: u32, s: &Av1Settings) -> Result<Av1Stream> {
    let (w, h) = frames.coded_size();
    let mut speed = SpeedSettings::from_preset(s.speed);
    if let Some(n) = s.rdo_lookahead_frames {
        speed.rdo_lookahead_frames = n;
    }
    if s.fast_scene_detection {
        speed.scene_detection_mode = SceneDetectionSpeed::Fast;
    }
    if let Some(c) = s.cdef {
        speed.cdef = c;
    }
    if let Some((lo, hi)) = s.partition {
        let bs = |n: usize| match n {
            4 => BlockSize::BLOCK_4X4,
            8 => BlockSize::BLOCK_8X8,
            16 => BlockSize::BLOCK_16X16,
            32 => BlockSize::BLOCK_32X32,
            _ => BlockSize::BLOCK_64X64,
        };
        speed.partition.partition_range = PartitionRange::new(bs(lo), bs(hi));
    }
    let mut enc = EncoderConfig::with_speed_preset(s.speed);
    enc.speed_settings = speed;
    enc.width = w;
    enc.height = h;
    enc.bit_depth = 8;
    enc.chroma_sampling = ChromaSampling::Cs420;
    // Our 2x2 box average is centre-sited; AV1 has no code for that, so leave
    // it "unknown" (decoders then assume centre / do the common thing).
    enc.chroma_sample_position = ChromaSamplePosition::Unknown;
    enc.pixel_range = PixelRange::Limited;
    enc.color_description = Some(ColorDescription {
        color_primaries: ColorPrimaries::BT709,
        transfer_characteristics: TransferCharacteristics::BT709,
        matrix_coefficients: MatrixCoefficients::BT709,
    });
    // time_base is seconds per tick: one tick per frame delay.
    enc.time_base = Rational::new(delay_ms as u64, 1000);
    enc.quantizer = s.quantizer;
    enc.min_quantizer = s.min_quantizer;
    enc.bitrate = 0; // constant-quantizer mode
    enc.low_latency = s.low_latency;
    enc.tile_cols = s.tile_cols;
    enc.tile_rows = s.tile_rows;
    enc.tiles = s.tiles;
    enc.tune = if s.tune_psnr {
        Tune::Psnr
    } else {
        Tune::Psychovisual
    };
    let max_kf = if s.max_key_frame_interval == 0 {
        frames.len() as u64 + 1
    } else {
        s.max_key_frame_interval
    };
    enc.set_key_frame_interval(s.min_key_frame_interval.min(max_kf), max_kf);

    // Signal the lowest AV1 level whose limits (picture size, width/height,
    // display rate) this stream fits. rav1e defaults to seq_level_idx 31
    // ("no constraints"), which some hardware decoders refuse. rav1e's
    // `Config::validate()` checks exactly these limits, so we just try the
    // defined levels in ascending order (2.0, 2.1, 3.0, 3.1, 4.0, 4.1, 5.x, 6.x).
    enc.level_idx = [0u8, 1, 4, 5, 8, 9, 12, 13, 14, 15, 16, 17, 18, 19]
        .into_iter()
        .find(|&l| {
            let mut e = enc.clone();
            e.level_idx = Some(l);
            Config::new().with_encoder_config(e).validate().is_ok()
        })
        .or(Some(31));
    let cfg = Config::new()
        .with_encoder_config(enc)
        .with_threads(s.threads);
    let mut ctx: Context<u8> = match cfg.new_context() {
        Ok(c) => c,
        Err(e) => bail!("rav1e config: {e}"),
    };
    let mut packets = Vec::with_capacity(frames.len());
    let drain = |ctx: &mut Context<u8>, packets: &mut Vec<Av1Packet>| -> Result<bool> {
        loop {
            match ctx.receive_packet() {
                Ok(p) => packets.push(Av1Packet {
                    keyframe: p.frame_type == FrameType::KEY,
                    data: p.data,
                }),
                Err(EncoderStatus::Encoded) => continue, // hidden frame, keep going
                Err(EncoderStatus::NeedMoreData) => return Ok(false),
                Err(EncoderStatus::LimitReached) => return Ok(true),
                Err(e) => bail!("rav1e: {e:?}"),
            }
        }
    };
    for f in frames.yuv() {
        let f = f?;
        let mut fr = ctx.new_frame();
        fr.planes[0].copy_from_raw_u8(&f.y, w, 1);
        fr.planes[1].copy_from_raw_u8(&f.u, w / 2, 1);
        fr.planes[2].copy_from_raw_u8(&f.v, w / 2, 1);
        match ctx.send_frame(fr) {
            Ok(()) => {}
            Err(e) => bail!("rav1e send_frame: {e:?}"),
        }
        drain(&mut ctx, &mut packets)?;
    }
    ctx.flush();
    while !drain(&mut ctx, &mut packets)? {}
    if packets.len() != frames.len() {
        bail!(
            "rav1e produced {} packets for {} frames",
            packets.len(),
            frames.len()
        );
    }
    let seq_header_obu = find_obu(&packets[0].data, 1)
        .map(|o| o.to_vec())
        .unwrap_or_default();
    if seq_header_obu.is_empty() {
        bail!("no sequence header in first packet");
    }
    Ok(Av1Stream {
        width: w,
        height: h,
        seq_header_obu,
        packets,
    })
}

/// Read an AV1 leb128 value; returns (value, bytes used).
pub fn leb128(b: &[u8]) -> Option<(u64, usize)> {
    let mut v = 0u64;
    for (i, &x) in b.iter().enumerate().take(8) {
        v |= ((x & 0x7f) as u64) << (7 * i);
        if x & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

/// Split a low-overhead-format temporal unit into whole OBUs
/// (header+size+payload). Every rav1e OBU has `obu_has_size_field = 1`.
pub fn obus(mut b: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let hdr = b[0];
        let ext = (hdr >> 2) & 1;
        let has_size = (hdr >> 1) & 1;
        let hlen = 1 + ext as usize;
        if has_size == 0 || b.len() < hlen {
            out.push(b);
            break;
        }
        let Some((sz, n)) = leb128(&b[hlen..]) else {
            break;
        };
        let total = (hlen + n + sz as usize).min(b.len());
        out.push(&b[..total]);
        b = &b[total..];
    }
    out
}

/// OBU type of a whole OBU.
pub fn obu_type(obu: &[u8]) -> u8 {
    (obu[0] >> 3) & 0xf
}

/// First OBU of type `t` (1 = sequence header, 2 = temporal delimiter).
pub fn find_obu(tu: &[u8], t: u8) -> Option<&[u8]> {
    obus(tu).into_iter().find(|o| obu_type(o) == t)
}

/// Build an `av1C` (AV1CodecConfigurationRecord) from a sequence header
/// OBU. rav1e's own `Context::container_sequence_header()` returns only the
/// 4 fixed bytes with seq_level_idx = 31 and *no* configOBUs; Matroska's
/// V_AV1 mapping and ISO-BMFF want the sequence header OBU in configOBUs and
/// the real level, so we parse the few leading fields ourselves.
pub fn av1c_from_seq_header(obu: &[u8]) -> Vec<u8> {
    // Skip OBU header (+ extension) and obu_size.
    let hlen = 1 + ((obu[0] >> 2) & 1) as usize;
    let (_, n) = leb128(&obu[hlen..]).unwrap_or((0, 0));
    let payload = &obu[hlen + n..];
    let mut br = BitReader { b: payload, pos: 0 };
    let profile = br.bits(3) as u8;
    let still = br.bits(1);
    let reduced = br.bits(1);
    let (level, tier);
    if reduced == 1 {
        level = br.bits(5) as u8;
        tier = 0u8;
    } else {
        let timing_info_present = br.bits(1);
        let mut decoder_model_info_present = 0;
        if timing_info_present == 1 {
            br.bits(32); // num_units_in_display_tick
            br.bits(32); // time_scale
            if br.bits(1) == 1 {
                br.uvlc(); // num_ticks_per_picture_minus_1
            }
            decoder_model_info_present = br.bits(1);
            if decoder_model_info_present == 1 {
                br.bits(5 + 32 + 5 + 5);
            }
        }
        let initial_display_delay_present = br.bits(1);
        let _cnt = br.bits(5); // operating_points_cnt_minus_1 (we read op 0 only)
        br.bits(12); // operating_point_idc[0]
        level = br.bits(5) as u8;
        tier = if level > 7 { br.bits(1) as u8 } else { 0 };
        let _ = (
            decoder_model_info_present,
            initial_display_delay_present,
            still,
        );
    }
    // 8-bit 4:2:0 (what we encode): high_bitdepth=0, twelve_bit=0,
    // monochrome=0, subsampling_x=1, subsampling_y=1, position=0.
    let mut v = vec![
        0x81,
        (profile << 5) | (level & 0x1f),
        (tier << 7) | (1 << 3) | (1 << 2),
        0x00, // no initial_presentation_delay
    ];
    v.extend_from_slice(obu);
    v
}

struct BitReader<'a> {
    b: &'a [u8],
    pos: usize,
}
impl BitReader<'_> {
    fn bits(&mut self, n: u32) -> u64 {
        let mut v = 0u64;
        for _ in 0..n {
            let byte = self.b.get(self.pos / 8).copied().unwrap_or(0);
            v = (v << 1) | ((byte >> (7 - self.pos % 8)) & 1) as u64;
            self.pos += 1;
        }
        v
    }
    fn uvlc(&mut self) -> u64 {
        let mut lz = 0;
        while self.bits(1) == 0 && lz < 32 {
            lz += 1;
        }
        if lz >= 32 {
            return u32::MAX as u64;
        }
        self.bits(lz) + (1 << lz) - 1
    }
}
