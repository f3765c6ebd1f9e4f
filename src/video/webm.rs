//! Minimal WebM (Matroska subset) writer for one AV1 video track.
//!
//! Layout (everything built in memory, so every element has a known size):
//!
//! ```text
//! EBML header  (DocType "webm", DocTypeVersion 4, DocTypeReadVersion 2)
//! Segment
//!   SeekHead   -> Info, Tracks, Cues
//!   Info       TimestampScale = 1 ms, Duration, MuxingApp, WritingApp
//!   Tracks
//!     TrackEntry  number 1, type video, CodecID V_AV1, CodecPrivate = av1C,
//!                 DefaultDuration = frame delay
//!       Video     PixelWidth/Height (+ PixelCropRight/Bottom when padded)
//!         Colour  Matrix 1, Range 1 (limited), Transfer 1, Primaries 1
//!   Cluster*   Timestamp; SimpleBlocks (keyframe flag set on key frames)
//!   Cues       one CuePoint per key frame
//! ```
//!
//! AV1-in-Matroska rules followed: temporal delimiter OBUs are removed from
//! blocks; CodecPrivate is an av1C whose configOBUs hold the sequence
//! header; a block is one temporal unit.
//!
//! Block timestamps are signed 16-bit offsets from the cluster timestamp, so
//! a new cluster starts at every key frame and before the offset would pass
//! 32767 ms (the 16-frame clips fit one cluster).

/// Element IDs (with their length-marker bits, as written).
mod id {
    pub const EBML: u32 = 0x1A45DFA3;
    pub const EBML_VERSION: u32 = 0x4286;
    pub const EBML_READ_VERSION: u32 = 0x42F7;
    pub const EBML_MAX_ID_LENGTH: u32 = 0x42F2;
    pub const EBML_MAX_SIZE_LENGTH: u32 = 0x42F3;
    pub const DOC_TYPE: u32 = 0x4282;
    pub const DOC_TYPE_VERSION: u32 = 0x4287;
    pub const DOC_TYPE_READ_VERSION: u32 = 0x4285;
    pub const SEGMENT: u32 = 0x18538067;
    pub const SEEK_HEAD: u32 = 0x114D9B74;
    pub const SEEK: u32 = 0x4DBB;
    pub const SEEK_ID: u32 = 0x53AB;
    pub const SEEK_POSITION: u32 = 0x53AC;
    pub const INFO: u32 = 0x1549A966;
    pub const TIMESTAMP_SCALE: u32 = 0x2AD7B1;
    pub const DURATION: u32 = 0x4489;
    pub const MUXING_APP: u32 = 0x4D80;
    pub const WRITING_APP: u32 = 0x5741;
    pub const TRACKS: u32 = 0x1654AE6B;
    pub const TRACK_ENTRY: u32 = 0xAE;
    pub const TRACK_NUMBER: u32 = 0xD7;
    pub const TRACK_UID: u32 = 0x73C5;
    pub const TRACK_TYPE: u32 = 0x83;
    pub const FLAG_LACING: u32 = 0x9C;
    pub const CODEC_ID: u32 = 0x86;
    pub const CODEC_PRIVATE: u32 = 0x63A2;
    pub const DEFAULT_DURATION: u32 = 0x23E383;
    pub const VIDEO: u32 = 0xE0;
    pub const PIXEL_WIDTH: u32 = 0xB0;
    pub const PIXEL_HEIGHT: u32 = 0xBA;
    pub const PIXEL_CROP_BOTTOM: u32 = 0x54AA;
    pub const PIXEL_CROP_RIGHT: u32 = 0x54DD;
    pub const COLOUR: u32 = 0x55B0;
    pub const MATRIX_COEFFICIENTS: u32 = 0x55B1;
    pub const RANGE: u32 = 0x55B9;
    pub const TRANSFER_CHARACTERISTICS: u32 = 0x55BA;
    pub const PRIMARIES: u32 = 0x55BB;
    pub const CLUSTER: u32 = 0x1F43B675;
    pub const TIMESTAMP: u32 = 0xE7;
    pub const SIMPLE_BLOCK: u32 = 0xA3;
    pub const CUES: u32 = 0x1C53BB6B;
    pub const CUE_POINT: u32 = 0xBB;
    pub const CUE_TIME: u32 = 0xB3;
    pub const CUE_TRACK_POSITIONS: u32 = 0xB7;
    pub const CUE_TRACK: u32 = 0xF7;
    pub const CUE_CLUSTER_POSITION: u32 = 0xF1;
}

fn put_id(out: &mut Vec<u8>, id: u32) {
    let b = id.to_be_bytes();
    let skip = b.iter().position(|&x| x != 0).unwrap_or(3);
    out.extend_from_slice(&b[skip..]);
}

/// EBML variable-size integer for an element data size (shortest form).
fn put_size(out: &mut Vec<u8>, n: u64) {
    let mut len = 1;
    // 2^(7*len) - 1 is reserved ("unknown size"), so stay strictly below it.
    while len < 8 && n >= (1u64 << (7 * len)) - 1 {
        len += 1;
    }
    let v = n | (1u64 << (7 * len));
    out.extend_from_slice(&v.to_be_bytes()[8 - len..]);
}

/// Size as a fixed 8-byte vint (used where the value is patched later).
fn put_size8(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(&(n | (1u64 << 56)).to_be_bytes());
}

fn el(out: &mut Vec<u8>, id: u32, body: &[u8]) {
    put_id(out, id);
    put_size(out, body.len() as u64);
    out.extend_from_slice(body);
}

fn el_uint(out: &mut Vec<u8>, id: u32, v: u64) {
    let b = v.to_be_bytes();
    let skip = b.iter().position(|&x| x != 0).unwrap_or(7);
    el(out, id, &b[skip..]);
}

fn el_str(out: &mut Vec<u8>, id: u32, s: &str) {
    el(out, id, s.as_bytes());
}

fn el_f64(out: &mut Vec<u8>, id: u32, v: f64) {
    el(out, id, &v.to_be_bytes());
}

fn master(out: &mut Vec<u8>, id: u32, f: impl FnOnce(&mut Vec<u8>)) {
    let mut body = Vec::new();
    f(&mut body);
    el(out, id, &body);
}

pub enum Codec<'a> {
    /// `V_AV1` with its av1C record.
    Av1 { av1c: &'a [u8] },
}

/// One frame to mux: `data` in the codec's block format.
pub struct Frame<'a> {
    pub data: &'a [u8],
    pub keyframe: bool,
}

pub struct WebmParams<'a> {
    pub codec: Codec<'a>,
    /// Coded (even, padded) size.
    pub width: u32,
    pub height: u32,
    /// Source size; if smaller than coded, PixelCrop* is written.
    pub display_width: u32,
    pub display_height: u32,
    /// Frame duration in milliseconds (constant frame rate).
    pub delay_ms: u32,
}

/// Remove temporal-delimiter OBUs from an AV1 temporal unit (Matroska
/// mapping: blocks must not carry them).
pub fn strip_av1_td(tu: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(tu.len());
    for o in super::av1::obus(tu) {
        if super::av1::obu_type(o) != 2 {
            v.extend_from_slice(o);
        }
    }
    v
}

/// Write a complete .webm file into a byte vector.
pub fn write_webm(p: &WebmParams, frames: &[Frame]) -> Vec<u8> {
    let delay = p.delay_ms as u64;
    let duration_ms = delay * frames.len() as u64;

    // --- EBML header
    let mut out = Vec::new();
    master(&mut out, id::EBML, |b| {
        el_uint(b, id::EBML_VERSION, 1);
        el_uint(b, id::EBML_READ_VERSION, 1);
        el_uint(b, id::EBML_MAX_ID_LENGTH, 4);
        el_uint(b, id::EBML_MAX_SIZE_LENGTH, 8);
        el_str(b, id::DOC_TYPE, "webm");
        el_uint(b, id::DOC_TYPE_VERSION, 4);
        el_uint(b, id::DOC_TYPE_READ_VERSION, 2);
    });

    // --- Segment children, each built separately so offsets are known.
    let mut info = Vec::new();
    master(&mut info, id::INFO, |b| {
        el_uint(b, id::TIMESTAMP_SCALE, 1_000_000); // 1 ms ticks
        el_f64(b, id::DURATION, duration_ms as f64); // in TimestampScale units
        el_str(b, id::MUXING_APP, "assetgen");
        el_str(b, id::WRITING_APP, "assetgen");
    });
    let mut tracks = Vec::new();
    master(&mut tracks, id::TRACKS, |b| {
        master(b, id::TRACK_ENTRY, |t| {
            el_uint(t, id::TRACK_NUMBER, 1);
            el_uint(t, id::TRACK_UID, 1);
            el_uint(t, id::TRACK_TYPE, 1); // video
            el_uint(t, id::FLAG_LACING, 0);
            match p.codec {
                Codec::Av1 { av1c } => {
                    el_str(t, id::CODEC_ID, "V_AV1");
                    el(t, id::CODEC_PRIVATE, av1c);
                }
            }
            el_uint(t, id::DEFAULT_DURATION, delay * 1_000_000); // ns
            master(t, id::VIDEO, |v| {
                el_uint(v, id::PIXEL_WIDTH, p.width as u64);
                el_uint(v, id::PIXEL_HEIGHT, p.height as u64);
                if p.display_height < p.height {
                    el_uint(
                        v,
                        id::PIXEL_CROP_BOTTOM,
                        (p.height - p.display_height) as u64,
                    );
                }
                if p.display_width < p.width {
                    el_uint(v, id::PIXEL_CROP_RIGHT, (p.width - p.display_width) as u64);
                }
                master(v, id::COLOUR, |c| {
                    el_uint(c, id::MATRIX_COEFFICIENTS, 1); // BT.709
                    el_uint(c, id::RANGE, 1); // broadcast (limited) range
                    el_uint(c, id::TRANSFER_CHARACTERISTICS, 1);
                    el_uint(c, id::PRIMARIES, 1);
                });
            });
        });
    });

    // Clusters. Positions are relative to the Segment data start, which we
    // fix below (SeekHead has a constant size, see `seek_head`).
    let mut clusters = Vec::new();
    let mut cue_points: Vec<(u64, usize)> = Vec::new(); // (time ms, offset in `clusters`)
    let mut cluster: Vec<u8> = Vec::new();
    let mut cluster_ts = 0u64;
    let flush = |clusters: &mut Vec<u8>, cluster: &mut Vec<u8>| {
        if !cluster.is_empty() {
            el(clusters, id::CLUSTER, cluster);
            cluster.clear();
        }
    };
    for (i, f) in frames.iter().enumerate() {
        let ts = i as u64 * delay;
        if cluster.is_empty() || f.keyframe || ts - cluster_ts > 30_000 {
            flush(&mut clusters, &mut cluster);
            cluster_ts = ts;
            if f.keyframe {
                cue_points.push((ts, clusters.len()));
            }
            el_uint(&mut cluster, id::TIMESTAMP, ts);
        }
        // SimpleBlock: track number vint, int16 relative timestamp, flags.
        let mut blk = Vec::with_capacity(f.data.len() + 4);
        put_size(&mut blk, 1);
        blk.extend_from_slice(&((ts - cluster_ts) as i16).to_be_bytes());
        blk.push(if f.keyframe { 0x80 } else { 0x00 });
        blk.extend_from_slice(f.data);
        el(&mut cluster, id::SIMPLE_BLOCK, &blk);
    }
    flush(&mut clusters, &mut cluster);

    // SeekHead with fixed-width (8-byte) positions so its size does not
    // depend on the values it holds.
    let seek_head = |info_pos: u64, tracks_pos: u64, cues_pos: u64| {
        let mut s = Vec::new();
        master(&mut s, id::SEEK_HEAD, |b| {
            for (eid, pos) in [
                (id::INFO, info_pos),
                (id::TRACKS, tracks_pos),
                (id::CUES, cues_pos),
            ] {
                master(b, id::SEEK, |k| {
                    let mut idb = Vec::new();
                    put_id(&mut idb, eid);
                    el(k, id::SEEK_ID, &idb);
                    el(k, id::SEEK_POSITION, &pos.to_be_bytes());
                });
            }
        });
        s
    };
    let sh_len = seek_head(0, 0, 0).len() as u64;
    let info_pos = sh_len;
    let tracks_pos = info_pos + info.len() as u64;
    let clusters_pos = tracks_pos + tracks.len() as u64;
    let cues_pos = clusters_pos + clusters.len() as u64;
    let mut cues = Vec::new();
    master(&mut cues, id::CUES, |b| {
        for &(t, off) in &cue_points {
            master(b, id::CUE_POINT, |c| {
                el_uint(c, id::CUE_TIME, t);
                master(c, id::CUE_TRACK_POSITIONS, |tp| {
                    el_uint(tp, id::CUE_TRACK, 1);
                    el_uint(tp, id::CUE_CLUSTER_POSITION, clusters_pos + off as u64);
                });
            });
        }
    });

    let seg_len = sh_len
        + info.len() as u64
        + tracks.len() as u64
        + clusters.len() as u64
        + cues.len() as u64;
    put_id(&mut out, id::SEGMENT);
    put_size8(&mut out, seg_len);
    out.extend_from_slice(&seek_head(info_pos, tracks_pos, cues_pos));
    out.extend_from_slice(&info);
    out.extend_from_slice(&tracks);
    out.extend_from_slice(&clusters);
    out.extend_from_slice(&cues);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn vint_sizes() {
        let mut v = Vec::new();
        put_size(&mut v, 0);
        put_size(&mut v, 126);
        put_size(&mut v, 127); // 0x7F alone would mean "unknown size"
        assert_eq!(v, vec![0x80, 0xFE, 0x40, 0x7F]);
    }
}
