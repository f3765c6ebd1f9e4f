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
//! Bit packing and code-width growth follow the classic UNIX `compress` /
//! GIF encoder (Welch 1984; as in every GIF encoder since): codes are
//! written LSB first, the width grows after a code is written once the next
//! free code no longer fits, and a clear code resets the table at 4096.

const MAX_CODES: usize = 4096;
const NONE: u16 = u16::MAX;

/// Which palette entries may stand in for which: `close[a * 256 + b]`.
pub struct Tolerance {
    close: Vec<bool>,
}

impl Tolerance {
    /// Entries `a` and `b` are interchangeable when `distance(a, b) <= limit`;
    /// `exact` (the transparent index) only matches itself.
    pub fn new(
        entries: usize,
        exact: u8,
        limit: f32,
        distance: impl Fn(usize, usize) -> f32,
    ) -> Self {
        let mut close = vec![false; 256 * 256];
        for a in 0..entries.min(256) {
            for b in 0..entries.min(256) {
                close[a * 256 + b] = a == b
                    || (a != usize::from(exact)
                        && b != usize::from(exact)
                        && distance(a, b) <= limit);
            }
        }
        Tolerance { close }
    }

    pub fn ok(&self, have: u8, want: u8) -> bool {
        have == want || self.close[usize::from(have) * 256 + usize::from(want)]
    }
}

/// The dictionary as a trie: each code's first child and next sibling, and
/// the pixel value that the code appends to its parent's string.
struct Trie {
    first_child: Vec<u16>,
    next_sibling: Vec<u16>,
    value: Vec<u8>,
}

impl Trie {
    fn new() -> Self {
        Trie {
            first_child: vec![NONE; MAX_CODES],
            next_sibling: vec![NONE; MAX_CODES],
            value: vec![0; MAX_CODES],
        }
    }

    fn reset(&mut self, used: usize) {
        self.first_child[..used].fill(NONE);
    }

    fn add(&mut self, parent: u16, value: u8, code: u16) {
        let (p, c) = (usize::from(parent), usize::from(code));
        self.value[c] = value;
        self.first_child[c] = NONE;
        self.next_sibling[c] = self.first_child[p];
        self.first_child[p] = code;
    }
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

/// How far the lossy search may look for one string, in trie nodes visited;
/// bounds the worst case on flat areas where every child is close.
const SEARCH_BUDGET: usize = 256;

/// Compresses palette indices. The result starts with the minimum code
/// size byte, as `gif::Encoder::write_lzw_pre_encoded_frame` expects.
///
/// `alt`, when given, is a second index that renders each pixel exactly as
/// well (frame differencing: an unchanged pixel may be sent transparent or
/// as its colour); strings may use either. With a `tolerance`, strings may
/// also use any colour close to `alt`.
pub fn compress(pixels: &[u8], alt: Option<&[u8]>, tolerance: Option<&Tolerance>) -> Vec<u8> {
    let alt = alt.filter(|a| a.len() == pixels.len()).unwrap_or(pixels);
    let max = pixels.iter().copied().max().unwrap_or(0);
    let min_size = (u32::from(max) + 1)
        .max(4)
        .next_power_of_two()
        .trailing_zeros();
    let clear = 1u16 << min_size;
    let eoi = clear + 1;
    let mut trie = Trie::new();
    let mut next = clear + 2;
    let mut width = min_size + 1;
    let mut w = BitWriter {
        out: vec![min_size as u8],
        acc: 0,
        bits: 0,
    };
    // Writes a code, then widens codes once the next free code needs it
    // (after the write, as decoders expect).
    let emit = |w: &mut BitWriter, code: u16, width: &mut u32, next: u16| {
        w.write(code, *width);
        if u32::from(next) > (1 << *width) - 1 && *width < 12 {
            *width += 1;
        }
    };

    emit(&mut w, clear, &mut width, next);
    let mut pos = 0;
    while pos < pixels.len() {
        let (code, len) = search(&trie, pixels, alt, pos, tolerance);
        emit(&mut w, code, &mut width, next);
        pos += len;
        if pos < pixels.len() {
            if usize::from(next) < MAX_CODES {
                trie.add(code, pixels[pos], next);
                next += 1;
            } else {
                trie.reset(usize::from(clear));
                next = clear + 2;
                w.write(clear, width);
                width = min_size + 1;
            }
        }
    }
    emit(&mut w, eoi, &mut width, next);
    w.finish()
}

/// Longest dictionary string at `pos` that renders acceptably: each value
/// equal to the pixel, to its alternative, or (lossy) close to the
/// alternative. The first value is always the exact pixel, because the
/// previous code's new dictionary entry already ends with it. Depth-first,
/// trying the exact child first, within a node budget.
fn search(
    trie: &Trie,
    pixels: &[u8],
    alt: &[u8],
    pos: usize,
    t: Option<&Tolerance>,
) -> (u16, usize) {
    let root = u16::from(pixels[pos]);
    let mut best = (root, 1);
    let mut budget = SEARCH_BUDGET;
    // Stack of (code, length of its string).
    let mut stack: Vec<(u16, usize)> = vec![(root, 1)];
    while let Some((code, len)) = stack.pop() {
        if len > best.1 {
            best = (code, len);
        }
        let (Some(&want), Some(&other)) = (pixels.get(pos + len), alt.get(pos + len)) else {
            continue;
        };
        if budget == 0 {
            break;
        }
        budget -= 1;
        let mut exact = None;
        let mut c = trie.first_child[usize::from(code)];
        while c != NONE {
            let v = trie.value[usize::from(c)];
            if v == want {
                exact = Some(c);
            } else if v == other || t.is_some_and(|t| t.ok(v, other)) {
                stack.push((c, len + 1));
            }
            c = trie.next_sibling[usize::from(c)];
        }
        // Pushed last, so explored first.
        if let Some(c) = exact {
            stack.push((c, len + 1));
        }
    }
    best
}

/// What a decoder reconstructs from [`compress`]'s output (for tests).
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
        let t = Tolerance::new(10, 9, 1.0, |a, b| (a as f32 - b as f32).abs());
        let px: Vec<u8> = noise(60_000, 10, 3);
        let lzw = compress(&px, None, Some(&t));
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
