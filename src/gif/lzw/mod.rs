//! GIF's LZW compressor, with an optional lossy mode.
//!
//! Written by hand because no maintained crate does lossy LZW (`weezl`,
//! which the `gif` crate uses, is exact only). The lossy idea is the
//! published one behind gifsicle's `--lossy` (its code is GPL and is not
//! used here): when extending the current dictionary string, accept a
//! dictionary entry whose next colour is merely *close* to the next pixel,
//! not equal. Longer strings mean fewer codes; the decoder reproduces the
//! dictionary's colours, so the image changes by at most the tolerance per
//! pixel. The transparent index only ever matches itself, so frame
//! differencing stays exact.
//!
//! Bit packing and code-width growth follow the GIF decoder's rules
//! (Welch 1984, as in every GIF codec since): codes are written LSB first,
//! an entry is added after every code but the first since a clear, the
//! width grows once the next free code no longer fits, and a clear code
//! resets the table at 4096. Unlike exact encoders, which fix each new
//! entry's last value to the next pixel, entries are added as the decoder
//! adds them, once the next string is chosen, so in lossy mode even a
//! string's first value may be a close colour.

mod search;
mod trie;

use super::distance::Distances;
use search::{Search, SEARCH_BUDGET};
use trie::Trie;

pub(super) const MAX_CODES: usize = 4096;
pub(super) const NONE: u16 = u16::MAX;

/// Lossy mode: the distances, and how far each pixel may be off.
#[derive(Clone, Copy)]
pub struct Lossy<'a> {
    pub tolerance: &'a Distances,
    /// One limit a pixel, as long as the pixels; 0 = exact.
    pub limits: &'a [u8],
}

/// Bits out, least significant first.
struct BitWriter {
    out: Vec<u8>,
    acc: u64,
    bits: u32,
}

impl BitWriter {
    fn write(&mut self, code: u16, width: u32) {
        self.acc |= u64::from(code) << self.bits;
        self.bits += width;
        while self.bits >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.bits -= 8;
        }
    }

    fn finish(mut self) -> Vec<u8> {
        if self.bits > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// Compresses palette indices. The result starts with the minimum code
/// size byte, as `gif::Encoder::write_lzw_pre_encoded_frame` expects.
///
/// `alt`, when given, is a second index that renders each pixel exactly as
/// well (frame differencing: an unchanged pixel may be sent transparent or
/// as its colour); strings may use either. With `lossy`, strings may also
/// use any colour within the pixel's limit of `alt`.
pub fn compress(pixels: &[u8], alt: Option<&[u8]>, lossy: Option<Lossy<'_>>) -> Vec<u8> {
    compress_into(pixels, alt, lossy, None)
}

/// [`compress`], also writing to `shown` (as long as `pixels`) the index
/// a decoder will produce for each pixel, so a caller can tell what a
/// lossy frame really looks like without decoding it.
pub fn compress_shown(
    pixels: &[u8],
    alt: Option<&[u8]>,
    lossy: Option<Lossy<'_>>,
    shown: &mut [u8],
) -> Vec<u8> {
    compress_into(pixels, alt, lossy, Some(shown))
}

fn compress_into(
    pixels: &[u8],
    alt: Option<&[u8]>,
    lossy: Option<Lossy<'_>>,
    mut shown: Option<&mut [u8]>,
) -> Vec<u8> {
    let alt = alt.filter(|a| a.len() == pixels.len()).unwrap_or(pixels);
    let lossy = lossy.filter(|l| l.limits.len() == pixels.len());
    // A limit closer than any other palette entry to the pixel's colour
    // accepts nothing more than a limit of 0, and 0 is what lets the search
    // take its exact, one-lookup steps: cut such limits to 0 once here.
    let useful: Vec<u8>;
    let lossy = match lossy {
        Some(l) => {
            useful = l
                .limits
                .iter()
                .zip(alt)
                .map(|(&limit, &a)| {
                    if l.tolerance.any_within(a, limit) {
                        limit
                    } else {
                        0
                    }
                })
                .collect();
            Some(Lossy {
                tolerance: l.tolerance,
                limits: &useful,
            })
        }
        None => None,
    };
    // Every value a string may hold must be a root code.
    let max = pixels
        .iter()
        .chain(alt)
        .copied()
        .max()
        .unwrap_or(0)
        .max(lossy.map_or(0, |l| (l.tolerance.entries - 1) as u8));
    let min_size = (u32::from(max) + 1)
        .max(4)
        .next_power_of_two()
        .trailing_zeros();
    let clear = 1u16 << min_size;
    let eoi = clear + 1;
    let mut s = Search {
        trie: Trie::new(),
        stack: Vec::with_capacity(64),
        string: Vec::with_capacity(64),
        budget: SEARCH_BUDGET,
        clear,
        pixels,
        alt,
        lossy,
    };
    let mut next = clear + 2;
    let mut width = min_size + 1;
    let mut w = BitWriter {
        out: vec![min_size as u8],
        acc: 0,
        bits: 0,
    };
    w.write(clear, width);
    // Dictionary entries are added the way a decoder adds them: after each
    // code but the first since a clear, the previous code's string plus
    // this code's first value. Adding them only once the next string is
    // chosen (rather than fixing its first value to the exact pixel, as
    // exact encoders may) lets a lossy string start with a close colour.
    let mut prev: Option<(u16, usize)> = None;
    let mut pos = 0;
    while pos < pixels.len() {
        let (mut code, mut len) = s.run(pos);
        if let Some((p, plen)) = prev {
            // The entry about to be added may itself be the best string
            // (the decoder's "KwKwK" case): the previous string again,
            // plus its own first value. Runs grow by it.
            if plen + 1 > len && s.repeats(p, plen, pos) {
                (code, len) = (next, plen + 1);
            }
        }
        w.write(code, width);
        if let Some((p, _)) = prev {
            let first = if code == next {
                s.trie.first(p)
            } else {
                s.trie.first(code)
            };
            s.trie.add(p, first, next);
            next += 1;
            if u32::from(next) == 1 << width && width < 12 {
                width += 1;
            }
        }
        if let Some(shown) = shown.as_deref_mut() {
            s.write_string(code, &mut shown[pos..pos + len], clear);
        }
        prev = Some((code, len));
        pos += len;
        if usize::from(next) == MAX_CODES && pos < pixels.len() {
            w.write(clear, width);
            s.trie.reset(usize::from(clear));
            next = clear + 2;
            width = min_size + 1;
            prev = None;
        }
    }
    w.write(eoi, width);
    w.finish()
}

/// What a decoder reconstructs from [`compress`]'s output (for tests and
/// for keeping track of the pixels a lossy frame really shows).
#[cfg(test)]
pub fn decompress(data: &[u8]) -> Option<Vec<u8>> {
    let (&min_size, data) = data.split_first()?;
    let min_size = u32::from(min_size);
    let clear = 1usize << min_size;
    let eoi = clear + 1;
    let mut prefix = vec![0usize; MAX_CODES];
    let mut suffix = vec![0u8; MAX_CODES];
    let mut first = vec![0u8; MAX_CODES];
    for i in 0..clear {
        suffix[i] = i as u8;
        first[i] = i as u8;
    }
    let (mut acc, mut bits, mut bytes) = (0u64, 0u32, data.iter());
    let mut width = min_size + 1;
    let mut next = clear + 2;
    let mut prev: Option<usize> = None;
    let mut out = Vec::new();
    let mut string = Vec::new();
    loop {
        while bits < width {
            acc |= u64::from(*bytes.next()?) << bits;
            bits += 8;
        }
        let code = (acc & ((1 << width) - 1)) as usize;
        acc >>= width;
        bits -= width;
        if code == clear {
            width = min_size + 1;
            next = clear + 2;
            prev = None;
            continue;
        }
        if code == eoi {
            return Some(out);
        }
        let Some(p) = prev else {
            out.push(suffix[code]);
            prev = Some(code);
            continue;
        };
        let known = code < next;
        let start = if known { code } else { p };
        string.clear();
        let mut c = start;
        while c >= clear + 2 {
            string.push(suffix[c]);
            c = prefix[c];
        }
        string.push(suffix[c]);
        string.reverse();
        if !known {
            string.push(first[p]);
        }
        if next < MAX_CODES {
            prefix[next] = p;
            suffix[next] = string[0];
            first[next] = first[p];
            next += 1;
            if next == 1 << width && width < 12 {
                width += 1;
            }
        }
        out.extend_from_slice(&string);
        prev = Some(code);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(n: usize, colours: u8, seed: u32) -> Vec<u8> {
        let mut x = seed;
        (0..n)
            .map(|i| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                // Runs and noise, like a render: long stretches, then detail.
                if (i / 97) % 3 == 0 {
                    (i / 500) as u8 % colours
                } else {
                    ((x >> 16) as u8) % colours
                }
            })
            .collect()
    }

    /// Decodes with the `gif` crate (weezl), an independent decoder.
    fn decode_with_gif_crate(lzw: Vec<u8>, width: u16, height: u16) -> Vec<u8> {
        let palette = vec![0u8; 256 * 3];
        let mut out = Vec::new();
        {
            let mut enc = gif::Encoder::new(&mut out, width, height, &palette).unwrap();
            let frame = gif::Frame {
                width,
                height,
                buffer: std::borrow::Cow::Owned(lzw),
                ..gif::Frame::default()
            };
            enc.write_lzw_pre_encoded_frame(&frame).unwrap();
        }
        let mut opts = gif::DecodeOptions::new();
        opts.set_color_output(gif::ColorOutput::Indexed);
        let mut d = opts.read_info(&out[..]).unwrap();
        d.read_next_frame().unwrap().unwrap().buffer.to_vec()
    }

    #[test]
    fn exact_round_trips_through_an_independent_decoder() {
        for (n, colours) in [
            (1, 2),
            (7, 2),
            (5000, 4),
            (300 * 200, 200),
            (200_000, 255),
            (100_000, 16),
        ] {
            let px = noise(n, colours, n as u32);
            let lzw = compress(&px, None, None);
            assert_eq!(decompress(&lzw).unwrap(), px, "own decoder, n={n}");
            let (w, h) = if n % 200 == 0 {
                (200, (n / 200) as u16)
            } else {
                (n as u16, 1)
            };
            assert_eq!(decode_with_gif_crate(lzw, w, h), px, "gif crate, n={n}");
        }
    }

    #[test]
    fn exact_is_as_small_as_weezl() {
        let px = noise(300 * 200, 64, 7);
        let ours = compress(&px, None, None).len();
        let mut frame = gif::Frame {
            width: 300,
            height: 200,
            buffer: std::borrow::Cow::Owned(px),
            ..gif::Frame::default()
        };
        frame.make_lzw_pre_encoded();
        let theirs = frame.buffer.len();
        assert!(ours <= theirs + theirs / 100, "{ours} vs {theirs}");
    }

    #[test]
    fn lossy_stays_within_tolerance_and_keeps_transparency_exact() {
        // Neighbouring indices are "close"; index 9 is transparent.
        let t = Distances::new(10, 9, |a, b| (a as f32 - b as f32).abs());
        let px: Vec<u8> = noise(60_000, 10, 3);
        let limits = vec![1u8; px.len()];
        let lossy = Lossy {
            tolerance: &t,
            limits: &limits,
        };
        let lzw = compress(&px, None, Some(lossy));
        let exact = compress(&px, None, None);
        assert!(lzw.len() < exact.len(), "{} vs {}", lzw.len(), exact.len());
        let out = decode_with_gif_crate(lzw, 300, 200);
        assert_eq!(out.len(), px.len());
        for (&o, &p) in out.iter().zip(&px) {
            assert!((o as i32 - p as i32).abs() <= 1, "{o} for {p}");
            assert_eq!(o == 9, p == 9, "transparency changed");
        }
    }

    #[test]
    fn each_pixel_keeps_its_own_limit() {
        // The first half may be off by 2, the second half must be exact.
        let t = Distances::new(16, 15, |a, b| (a as f32 - b as f32).abs());
        let px: Vec<u8> = noise(40_000, 15, 11);
        let limits: Vec<u8> = (0..px.len())
            .map(|i| if i < 20_000 { 2 } else { 0 })
            .collect();
        let lossy = Lossy {
            tolerance: &t,
            limits: &limits,
        };
        let mut shown = vec![0u8; px.len()];
        let lzw = compress_shown(&px, None, Some(lossy), &mut shown);
        let out = decompress(&lzw).unwrap();
        assert_eq!(out, shown, "shown is what a decoder sees");
        let mut changed = 0;
        for (i, (&o, &p)) in out.iter().zip(&px).enumerate() {
            assert!(
                (o as i32 - p as i32).abs() <= i32::from(limits[i]),
                "{o} for {p} at {i}"
            );
            changed += usize::from(o != p);
        }
        assert!(changed > 1000, "lossy mode did nothing ({changed})");
        // All-zero limits are exact.
        let zero = vec![0u8; px.len()];
        let exact = compress(
            &px,
            None,
            Some(Lossy {
                tolerance: &t,
                limits: &zero,
            }),
        );
        assert_eq!(decompress(&exact).unwrap(), px);
        assert_eq!(exact, compress(&px, None, None));
    }

    #[test]
    fn alternatives_are_used_and_nothing_else() {
        // Every other pixel may also be sent as 0: runs of 0 get longer.
        let px = noise(40_000, 8, 5);
        let alt: Vec<u8> = px
            .iter()
            .enumerate()
            .map(|(i, &p)| if i % 2 == 0 { 0 } else { p })
            .collect();
        let with_alt = compress(&px, Some(&alt), None);
        assert!(with_alt.len() < compress(&px, None, None).len());
        let out = decompress(&with_alt).unwrap();
        for ((&o, &p), &a) in out.iter().zip(&px).zip(&alt) {
            assert!(o == p || o == a, "{o} is neither {p} nor {a}");
        }
    }
}
