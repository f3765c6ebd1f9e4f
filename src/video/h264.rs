//! H.264 encoding with OpenH264 (BSD-2, C++ source bundled by `openh264-sys2`
//! and compiled with `cc`; no system library needed).
//!
//! Two front ends are here:
//! * [`encode_safe`]: the `openh264` crate's safe `Encoder` (no `unsafe` in
//!   our code). It exposes VUI colour tags (0.9.9 `VuiConfig`), QP range,
//!   RC mode, frame skipping, but *not* CABAC (`iEntropyCodingModeFlag`),
//!   the reference-frame count, fixed-QP (`iDLayerQp`) or deblocking.
//! * [`encode_raw`]: a ~100-line wrapper over `openh264_sys2` (the same C++
//!   library the safe crate builds) that sets `SEncParamExt` directly, so we
//!   get CABAC (High profile), fixed QP with RC off, more reference frames.
//!
//! Both return Annex-B-free samples (each NAL prefixed by its 4-byte length,
//! "AVCC" form, as MP4 wants) plus the SPS/PPS for the `avcC` box.
//!
//! Pitfalls handled here:
//! * frame skipping: OpenH264 drops frames (eFrameType == Skip, zero bytes)
//!   under rate control unless `bEnableFrameSkip = false`. We also *check*
//!   that every input produced exactly one picture.
//! * colour: VUI video_signal_type with primaries/transfer/matrix = 1
//!   (BT.709) and full_range = 0, matching [`crate::yuv`].
//! * the encoder's own RGB->YUV is BT.601, so we always feed I420 planes.

use super::Source;
use anyhow::{bail, ensure, Result};

/// One coded picture: NAL units in length-prefixed (AVCC) form, SPS/PPS removed.
pub struct Sample {
    pub data: Vec<u8>,
    pub keyframe: bool,
}

/// A coded H.264 stream ready for MP4 muxing.
pub struct H264Stream {
    pub width: usize,
    pub height: usize,
    pub sps: Vec<u8>,
    pub pps: Vec<u8>,
    pub samples: Vec<Sample>,
}

/// Encoder knobs (the ones that mattered in the measurements).
#[derive(Clone, Debug)]
pub struct H264Settings {
    /// Fixed QP when `rc_quality` is false (RC off). 0..=51, lower = better.
    pub qp: u8,
    /// RC_QUALITY_MODE with this target bitrate instead of fixed QP (bps).
    pub rc_quality_bps: Option<u32>,
    /// QP clamp for rate-controlled and adaptive-quant modes.
    pub min_qp: u8,
    pub max_qp: u8,
    /// CABAC entropy coding (High profile). Raw path only.
    pub cabac: bool,
    /// 0 = low, 1 = medium, 2 = high complexity (motion search effort).
    pub complexity: i32,
    /// Number of reference frames (raw path only; safe path uses default 1).
    pub ref_frames: i32,
    /// IDR period in frames; 0 = only the first frame is an IDR.
    pub intra_period: u32,
    pub adaptive_quant: bool,
    pub background_detection: bool,
    pub scene_change_detect: bool,
    /// Encoder threads. OpenH264 parallelises over slices; with one slice
    /// (what we use, so output never depends on core count) extra threads
    /// mostly idle. 1 keeps the second core for the AV1 encoder.
    pub threads: u16,
    /// Deblocking filter alpha/beta offsets (-6..=6; 0 = standard).
    pub deblock_offset: i32,
    /// Screen-content tuning (`SCREEN_CONTENT_REAL_TIME`) vs camera. NB the
    /// *_NON_REAL_TIME usage types are rejected by InitializeExt (error 1).
    pub screen_content: bool,
}

impl Default for H264Settings {
    fn default() -> Self {
        H264Settings {
            qp: 23,
            rc_quality_bps: None,
            min_qp: 0,
            max_qp: 51,
            cabac: true,
            complexity: 2,
            ref_frames: 1,
            intra_period: 0,
            adaptive_quant: true,
            background_detection: true,
            scene_change_detect: false,
            threads: 1,
            screen_content: false,
            deblock_offset: 0,
        }
    }
}

/// Split one OpenH264 layer buffer (Annex B: 00 00 00 01 start codes) into
/// NAL payloads, sorting parameter sets out from picture data.
fn collect_nals(
    buf: &[u8],
    sps: &mut Vec<u8>,
    pps: &mut Vec<u8>,
    out: &mut Vec<u8>,
    idr: &mut bool,
) {
    for nal in split_annexb(buf) {
        match nal[0] & 0x1f {
            7 => *sps = nal.to_vec(),
            8 => *pps = nal.to_vec(),
            // SEI (6) and AUD (9) are dropped: not needed for playback.
            6 | 9 => {}
            t => {
                if t == 5 {
                    *idr = true;
                }
                out.extend_from_slice(&(nal.len() as u32).to_be_bytes());
                out.extend_from_slice(nal);
            }
        }
    }
}

/// Iterate the NAL units of an Annex B byte stream (3- or 4-byte start codes).
pub fn split_annexb(buf: &[u8]) -> Vec<&[u8]> {
    let mut starts = Vec::new(); // (start of start code, start of payload)
    let mut i = 0;
    while i + 3 <= buf.len() {
        if buf[i] == 0 && buf[i + 1] == 0 && buf[i + 2] == 1 {
            let sc = if i > 0 && buf[i - 1] == 0 { i - 1 } else { i };
            starts.push((sc, i + 3));
            i += 3;
        } else {
            i += 1;
        }
    }
    let mut nals = Vec::new();
    for (k, &(_, p)) in starts.iter().enumerate() {
        let end = starts.get(k + 1).map_or(buf.len(), |s| s.0);
        if end > p {
            nals.push(&buf[p..end]);
        }
    }
    nals
}

// --------------------------------------------------------------------------
// Raw path: openh264_sys2 directly, for CABAC / fixed QP / ref frames.
// --------------------------------------------------------------------------

/// Encode through the raw OpenH264 C API.
pub fn encode_raw(frames: &Source<'_>, delay_ms: u32, s: &H264Settings) -> Result<H264Stream> {
    use openh264_sys2 as sys;
    use std::os::raw::c_int;
    use sys::API;
    ensure!(!frames.is_empty());
    let (w, h) = frames.coded_size();
    ensure!(w % 2 == 0 && h % 2 == 0 && w <= 3840 && h <= 3840);
    let api = sys::source::APILoader::new();

    /// Owns the encoder instance so it is destroyed on every exit path.
    struct Enc<'a>(&'a sys::source::APILoader, *mut sys::ISVCEncoder);
    impl Drop for Enc<'_> {
        fn drop(&mut self) {
            // SAFETY: created by WelsCreateSVCEncoder below, destroyed once.
            unsafe {
                if let Some(un) = (**self.1).Uninitialize {
                    un(self.1);
                }
                self.0.WelsDestroySVCEncoder(self.1);
            }
        }
    }
    let check = |rc: c_int, what: &str| -> Result<()> {
        ensure!(rc == 0, "openh264 {what} failed: {rc}");
        Ok(())
    };

    // SAFETY: plain C API use; all pointers are valid for the calls' duration
    // and the vtable entries are checked for presence.
    unsafe {
        let mut p: *mut sys::ISVCEncoder = std::ptr::null_mut();
        check(api.WelsCreateSVCEncoder(&mut p) as c_int, "create")?;
        ensure!(!p.is_null());
        let enc = Enc(&api, p);
        let vt = &**enc.1;
        let mut prm: sys::SEncParamExt = std::mem::zeroed();
        check(
            vt.GetDefaultParams.unwrap()(enc.1, &mut prm),
            "GetDefaultParams",
        )?;

        prm.iUsageType = if s.screen_content {
            sys::SCREEN_CONTENT_REAL_TIME
        } else {
            sys::CAMERA_VIDEO_REAL_TIME
        };
        prm.iPicWidth = w as c_int;
        prm.iPicHeight = h as c_int;
        prm.fMaxFrameRate = 1000.0 / delay_ms as f32;
        prm.iTemporalLayerNum = 1;
        prm.iSpatialLayerNum = 1;
        prm.bEnableFrameSkip = false; // !!! never drop frames
        prm.iComplexityMode = s.complexity;
        prm.uiIntraPeriod = s.intra_period;
        prm.iNumRefFrame = s.ref_frames;
        prm.eSpsPpsIdStrategy = sys::CONSTANT_ID; // one SPS/PPS for avcC
        prm.bPrefixNalAddingCtrl = false;
        prm.bEnableSSEI = false;
        prm.iEntropyCodingModeFlag = s.cabac as c_int;
        prm.iMinQp = s.min_qp as c_int;
        prm.iMaxQp = s.max_qp as c_int;
        prm.iMultipleThreadIdc = s.threads;
        prm.bUseLoadBalancing = false; // load balancing makes output vary per run
        prm.iLoopFilterDisableIdc = 0;
        prm.iLoopFilterAlphaC0Offset = s.deblock_offset;
        prm.iLoopFilterBetaOffset = s.deblock_offset;
        prm.bEnableDenoise = false;
        prm.bEnableBackgroundDetection = s.background_detection;
        prm.bEnableAdaptiveQuant = s.adaptive_quant;
        prm.bEnableSceneChangeDetect = s.scene_change_detect;
        prm.bEnableLongTermReference = false;
        prm.bEnableFrameCroppingFlag = true;
        match s.rc_quality_bps {
            None => {
                prm.iRCMode = sys::RC_OFF_MODE;
                prm.iTargetBitrate = 0;
            }
            Some(bps) => {
                prm.iRCMode = sys::RC_QUALITY_MODE;
                prm.iTargetBitrate = bps as c_int;
                prm.iMaxBitrate = sys::UNSPECIFIED_BIT_RATE as c_int;
            }
        }
        let l = &mut prm.sSpatialLayers[0];
        l.iVideoWidth = w as c_int;
        l.iVideoHeight = h as c_int;
        l.fFrameRate = prm.fMaxFrameRate;
        l.iSpatialBitrate = prm.iTargetBitrate;
        l.iMaxSpatialBitrate = sys::UNSPECIFIED_BIT_RATE as c_int;
        l.uiProfileIdc = if s.cabac {
            sys::PRO_HIGH
        } else {
            sys::PRO_BASELINE
        };
        l.uiLevelIdc = 0; // auto
        l.iDLayerQp = s.qp as c_int; // the fixed QP used when RC is off
        l.sSliceArgument.uiSliceMode = sys::SM_SINGLE_SLICE;
        l.sSliceArgument.uiSliceNum = 1;
        // VUI: video_signal_type_present, limited range, colour description
        // 1/1/1 (BT.709). Without it players assume BT.601 for SD sizes.
        l.bVideoSignalTypePresent = true;
        l.uiVideoFormat = 5; // "unspecified video format"
        l.bFullRange = false;
        l.bColorDescriptionPresent = true;
        l.uiColorPrimaries = 1;
        l.uiTransferCharacteristics = 1;
        l.uiColorMatrix = 1;

        // Silence OpenH264's own logging (it prints warnings to stderr) before
        // initialising, so even InitializeExt's parameter warnings are quiet.
        let mut quiet: c_int = sys::WELS_LOG_QUIET as c_int;
        vt.SetOption.unwrap()(
            enc.1,
            sys::ENCODER_OPTION_TRACE_LEVEL,
            (&mut quiet as *mut c_int).cast(),
        );
        check(vt.InitializeExt.unwrap()(enc.1, &prm), "InitializeExt")?;

        let (mut sps, mut pps, mut samples) = (Vec::new(), Vec::new(), Vec::new());
        let mut info: sys::SFrameBSInfo = std::mem::zeroed();
        for (i, f) in frames.yuv().enumerate() {
            let f = f?;
            ensure!(f.width == w && f.height == h, "frame size changed");
            let pic = sys::SSourcePicture {
                iColorFormat: sys::videoFormatI420 as c_int,
                iStride: [w as c_int, (w / 2) as c_int, (w / 2) as c_int, 0],
                pData: [
                    f.y.as_ptr().cast_mut(),
                    f.u.as_ptr().cast_mut(),
                    f.v.as_ptr().cast_mut(),
                    std::ptr::null_mut(),
                ],
                iPicWidth: w as c_int,
                iPicHeight: h as c_int,
                uiTimeStamp: i as i64 * delay_ms as i64,
                bPsnrY: false,
                bPsnrU: false,
                bPsnrV: false,
            };
            check(
                vt.EncodeFrame.unwrap()(enc.1, &pic, &mut info),
                "EncodeFrame",
            )?;
            if info.eFrameType == sys::videoFrameTypeSkip
                || info.eFrameType == sys::videoFrameTypeInvalid
            {
                bail!(
                    "frame {i} was skipped by the encoder (type {})",
                    info.eFrameType
                );
            }
            let (mut data, mut idr) = (Vec::new(), false);
            for li in 0..info.iLayerNum as usize {
                let layer = &info.sLayerInfo[li];
                let total: usize = (0..layer.iNalCount as usize)
                    .map(|n| *layer.pNalLengthInByte.add(n) as usize)
                    .sum();
                let buf = std::slice::from_raw_parts(layer.pBsBuf, total);
                collect_nals(buf, &mut sps, &mut pps, &mut data, &mut idr);
            }
            ensure!(!data.is_empty(), "frame {i} produced no picture");
            samples.push(Sample {
                data,
                keyframe: idr,
            });
        }
        ensure!(!sps.is_empty() && !pps.is_empty(), "no SPS/PPS");
        Ok(H264Stream {
            width: w,
            height: h,
            sps,
            pps,
            samples,
        })
    }
}
