//! Minimal "fast start" MP4 writer for one H.264 video track.
//!
//! ```text
//! ftyp  isom / iso2 avc1 mp41
//! moov
//!   mvhd                    timescale 1000
//!   trak
//!     tkhd                  display width/height (source size)
//!     mdia
//!       mdhd                timescale 1000 (ms), duration = n * delay
//!       hdlr  vide
//!       minf
//!         vmhd, dinf/dref/url
//!         stbl
//!           stsd/avc1       coded size, clap (if padded), avcC, colr nclx, pasp
//!           stts            one run: n samples x delay
//!           stss            sync samples (IDR)
//!           stsc            one chunk holding all samples
//!           stsz            per-sample sizes
//!           stco            offset of the chunk = start of mdat payload
//! mdat                      samples, length-prefixed NALs (AVCC)
//! ```
//!
//! `moov` precedes `mdat`, so browsers can start playback before the whole
//! file has arrived. Because the whole file is built in memory we know
//! `moov`'s size before writing the chunk offset: no second pass, no
//! "faststart" rewrite.
//!
//! No `edts`/`ctts`: OpenH264 emits no B-frames, so decode order equals
//! presentation order and composition offsets are all zero.

use super::h264::H264Stream;
use anyhow::{ensure, Result};

fn bx(out: &mut Vec<u8>, typ: &[u8; 4], f: impl FnOnce(&mut Vec<u8>)) {
    let start = out.len();
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(typ);
    f(out);
    let size = (out.len() - start) as u32;
    out[start..start + 4].copy_from_slice(&size.to_be_bytes());
}

/// Full box: box + version(8) + flags(24).
fn fbx(out: &mut Vec<u8>, typ: &[u8; 4], version: u8, flags: u32, f: impl FnOnce(&mut Vec<u8>)) {
    bx(out, typ, |b| {
        b.extend_from_slice(&((version as u32) << 24 | flags).to_be_bytes());
        f(b);
    });
}

fn u16b(o: &mut Vec<u8>, v: u16) {
    o.extend_from_slice(&v.to_be_bytes());
}
fn u32b(o: &mut Vec<u8>, v: u32) {
    o.extend_from_slice(&v.to_be_bytes());
}

/// Unity transformation matrix (16.16 / 2.30 fixed point).
fn matrix(o: &mut Vec<u8>) {
    for v in [0x0001_0000u32, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] {
        u32b(o, v);
    }
}

pub struct Mp4Params {
    /// Source (display) size; coded size comes from the stream.
    pub display_width: u32,
    pub display_height: u32,
    /// Duration of every frame in milliseconds.
    pub delay_ms: u32,
}

/// Build a complete .mp4 (moov before mdat) from an H.264 stream.
pub fn write_mp4(s: &H264Stream, p: &Mp4Params) -> Result<Vec<u8>> {
    ensure!(!s.samples.is_empty(), "no samples");
    ensure!(s.sps.len() >= 4, "bad SPS");
    let n = s.samples.len() as u32;
    let timescale = 1000u32;
    let duration = p.delay_ms * n;
    let mdat_payload: usize = s.samples.iter().map(|x| x.data.len()).sum();
    ensure!(
        mdat_payload < u32::MAX as usize - 1024 * 1024,
        "file too large for stco/32-bit mdat"
    );
    let (cw, chh) = (s.width as u32, s.height as u32);
    let (dw, dh) = (p.display_width.min(cw), p.display_height.min(chh));

    let mut out = Vec::with_capacity(mdat_payload + 4096);
    bx(&mut out, b"ftyp", |b| {
        b.extend_from_slice(b"isom");
        u32b(b, 0x200);
        for brand in [b"isom", b"iso2", b"avc1", b"mp41"] {
            b.extend_from_slice(brand);
        }
    });

    // moov is written with a placeholder chunk offset, which we patch once
    // we know where mdat's payload starts (its position inside moov is fixed).
    let mut stco_pos = 0usize;
    bx(&mut out, b"moov", |m| {
        fbx(m, b"mvhd", 0, 0, |b| {
            u32b(b, 0); // creation_time (0 = deterministic output)
            u32b(b, 0); // modification_time
            u32b(b, timescale);
            u32b(b, duration);
            u32b(b, 0x0001_0000); // rate 1.0
            u16b(b, 0x0100); // volume 1.0
            b.extend_from_slice(&[0; 10]);
            matrix(b);
            b.extend_from_slice(&[0; 24]); // pre_defined
            u32b(b, 2); // next_track_ID
        });
        bx(m, b"trak", |t| {
            // flags: track_enabled | track_in_movie
            fbx(t, b"tkhd", 0, 0x3, |b| {
                u32b(b, 0);
                u32b(b, 0);
                u32b(b, 1); // track_ID
                u32b(b, 0);
                u32b(b, duration); // in movie timescale (same 1000)
                b.extend_from_slice(&[0; 8]);
                u16b(b, 0); // layer
                u16b(b, 0); // alternate_group
                u16b(b, 0); // volume (0 for video)
                u16b(b, 0);
                matrix(b);
                u32b(b, dw << 16); // display size, 16.16
                u32b(b, dh << 16);
            });
            bx(t, b"mdia", |md| {
                fbx(md, b"mdhd", 0, 0, |b| {
                    u32b(b, 0);
                    u32b(b, 0);
                    u32b(b, timescale);
                    u32b(b, duration);
                    u16b(b, 0x55C4); // language "und"
                    u16b(b, 0);
                });
                fbx(md, b"hdlr", 0, 0, |b| {
                    u32b(b, 0);
                    b.extend_from_slice(b"vide");
                    b.extend_from_slice(&[0; 12]);
                    b.extend_from_slice(b"VideoHandler\0");
                });
                bx(md, b"minf", |mi| {
                    fbx(mi, b"vmhd", 0, 1, |b| b.extend_from_slice(&[0; 8]));
                    bx(mi, b"dinf", |d| {
                        fbx(d, b"dref", 0, 0, |b| {
                            u32b(b, 1);
                            fbx(b, b"url ", 0, 1, |_| {}); // self-contained
                        });
                    });
                    bx(mi, b"stbl", |st| {
                        fbx(st, b"stsd", 0, 0, |b| {
                            u32b(b, 1);
                            avc1(b, s, dw, dh);
                        });
                        fbx(st, b"stts", 0, 0, |b| {
                            u32b(b, 1);
                            u32b(b, n);
                            u32b(b, p.delay_ms);
                        });
                        let sync: Vec<u32> = s
                            .samples
                            .iter()
                            .enumerate()
                            .filter(|(_, x)| x.keyframe)
                            .map(|(i, _)| i as u32 + 1)
                            .collect();
                        if sync.len() < s.samples.len() {
                            // (absent stss = every sample is a sync sample)
                            fbx(st, b"stss", 0, 0, |b| {
                                u32b(b, sync.len() as u32);
                                for k in &sync {
                                    u32b(b, *k);
                                }
                            });
                        }
                        fbx(st, b"stsc", 0, 0, |b| {
                            u32b(b, 1);
                            u32b(b, 1); // first_chunk
                            u32b(b, n); // samples_per_chunk
                            u32b(b, 1); // sample_description_index
                        });
                        fbx(st, b"stsz", 0, 0, |b| {
                            u32b(b, 0); // sizes vary
                            u32b(b, n);
                            for x in &s.samples {
                                u32b(b, x.data.len() as u32);
                            }
                        });
                        fbx(st, b"stco", 0, 0, |b| {
                            u32b(b, 1);
                            stco_pos = b.len();
                            u32b(b, 0); // patched below
                        });
                    });
                });
            });
        });
    });
    // stco_pos was recorded relative to the moov buffer start = ftyp size.
    // (bx appends into `out`, so the recorded position is already absolute.)
    let mdat_header = 8usize;
    let chunk_offset = (out.len() + mdat_header) as u32;
    out[stco_pos..stco_pos + 4].copy_from_slice(&chunk_offset.to_be_bytes());

    u32b(&mut out, (mdat_payload + mdat_header) as u32);
    out.extend_from_slice(b"mdat");
    for x in &s.samples {
        out.extend_from_slice(&x.data);
    }
    Ok(out)
}

/// `avc1` visual sample entry with avcC, colr (nclx BT.709 limited), pasp
/// and, when the coded picture was padded to even size, clap.
fn avc1(b: &mut Vec<u8>, s: &H264Stream, dw: u32, dh: u32) {
    bx(b, b"avc1", |e| {
        e.extend_from_slice(&[0; 6]);
        u16b(e, 1); // data_reference_index
        e.extend_from_slice(&[0; 16]);
        u16b(e, s.width as u16);
        u16b(e, s.height as u16);
        u32b(e, 0x0048_0000); // 72 dpi
        u32b(e, 0x0048_0000);
        u32b(e, 0);
        u16b(e, 1); // frame_count
        e.extend_from_slice(&[0; 32]); // compressorname
        u16b(e, 0x0018); // depth
        u16b(e, 0xFFFF); // pre_defined = -1
        bx(e, b"avcC", |c| {
            let sps = &s.sps;
            c.push(1); // configurationVersion
            c.push(sps[1]); // AVCProfileIndication
            c.push(sps[2]); // profile_compatibility
            c.push(sps[3]); // AVCLevelIndication
            c.push(0xFC | 3); // lengthSizeMinusOne = 3 (4-byte lengths)
            c.push(0xE0 | 1); // one SPS
            u16b(c, sps.len() as u16);
            c.extend_from_slice(sps);
            c.push(1); // one PPS
            u16b(c, s.pps.len() as u16);
            c.extend_from_slice(&s.pps);
            if matches!(sps[1], 100 | 110 | 122 | 144) {
                // ISO/IEC 14496-15: High profiles carry chroma/bit depth.
                c.push(0xFC | 1); // chroma_format_idc = 1 (4:2:0)
                c.push(0xF8); // bit_depth_luma_minus8 = 0
                c.push(0xF8); // bit_depth_chroma_minus8 = 0
                c.push(0); // numOfSequenceParameterSetExt
            }
        });
        if dw < s.width as u32 || dh < s.height as u32 {
            // Clean aperture: show only the source size (top-left anchored).
            // Safari/QuickTime honour clap; others ignore it (then the
            // 1-px replicated edge shows, which is harmless).
            bx(e, b"clap", |c| {
                let (cw, ch) = (s.width as i64, s.height as i64);
                let (w, h) = (dw as i64, dh as i64);
                for v in [w, 1, h, 1] {
                    u32b(c, v as u32);
                }
                // horizOff/vertOff: offset of the aperture centre from the
                // picture centre, as rationals (w - cw)/2 and (h - ch)/2.
                u32b(c, (w - cw) as i32 as u32);
                u32b(c, 2);
                u32b(c, (h - ch) as i32 as u32);
                u32b(c, 2);
            });
        }
        bx(e, b"colr", |c| {
            c.extend_from_slice(b"nclx");
            u16b(c, 1); // colour_primaries BT.709
            u16b(c, 1); // transfer_characteristics BT.709
            u16b(c, 1); // matrix_coefficients BT.709
            c.push(0); // full_range_flag = 0 (limited), reserved 7 bits
        });
        bx(e, b"pasp", |c| {
            u32b(c, 1);
            u32b(c, 1);
        });
    });
}

/// Top-level box types and sizes of an MP4 file (for the tests).
#[cfg(test)]
fn top_level_boxes(data: &[u8]) -> Vec<(String, u64)> {
    let mut v = Vec::new();
    let mut i = 0usize;
    while i + 8 <= data.len() {
        let mut size = u32::from_be_bytes(data[i..i + 4].try_into().unwrap()) as u64;
        let typ = String::from_utf8_lossy(&data[i + 4..i + 8]).into_owned();
        if size == 1 && i + 16 <= data.len() {
            size = u64::from_be_bytes(data[i + 8..i + 16].try_into().unwrap());
        } else if size == 0 {
            size = (data.len() - i) as u64;
        }
        v.push((typ, size));
        if size < 8 {
            break;
        }
        i += size as usize;
    }
    v
}

#[cfg(test)]
mod tests {
    use super::super::h264::Sample;
    use super::*;
    #[test]
    fn chunk_offset_points_at_first_sample() {
        let s = H264Stream {
            width: 16,
            height: 16,
            sps: vec![0x67, 100, 0, 30, 0xAA],
            pps: vec![0x68, 0xBB],
            samples: vec![
                Sample {
                    data: vec![0, 0, 0, 2, 0x65, 1],
                    keyframe: true,
                },
                Sample {
                    data: vec![0, 0, 0, 2, 0x41, 2],
                    keyframe: false,
                },
            ],
        };
        let f = write_mp4(
            &s,
            &Mp4Params {
                display_width: 15,
                display_height: 16,
                delay_ms: 100,
            },
        )
        .unwrap();
        let boxes = top_level_boxes(&f);
        assert_eq!(
            boxes.iter().map(|b| b.0.as_str()).collect::<Vec<_>>(),
            ["ftyp", "moov", "mdat"]
        );
        let stco = f.windows(4).position(|w| w == b"stco").unwrap();
        let off = u32::from_be_bytes(f[stco + 12..stco + 16].try_into().unwrap()) as usize;
        assert_eq!(&f[off..off + 6], &[0, 0, 0, 2, 0x65, 1]);
        assert!(
            f.windows(4).any(|w| w == b"clap"),
            "odd display width gets a clap box"
        );
    }
}
