//! How much colour error each pixel of a GIF frame may take.
//!
//! Lossy LZW and frame differencing both trade exactness for bytes. A
//! fixed tolerance spends that error everywhere alike, but the eye (and
//! SSIM, which the quality target is stated in) sees it very differently:
//! on a flat background or a smooth gradient a small error is a visible
//! blotch or band, on a shaded, grainy, textured surface the same error
//! disappears in the texture. So each pixel gets its own tolerance from
//! its neighbourhood, in two parts:
//!
//! 1. a *gate*, open only inside texture: the Oklab distance between a
//!    pixel and the mean of its four neighbours (a discrete Laplacian,
//!    zero on flat areas and on linear gradients of any slope), averaged
//!    over 3x3, then the minimum over the 7x7 around the pixel. The
//!    minimum is what keeps edges exact: beside an isolated edge (or a
//!    line up to ~2 pixels wide) there is always a quiet window, while
//!    inside a texture every window is busy. Closed below [`GATE_QUIET`],
//!    fully open from [`GATE_OPEN`];
//! 2. a *scale*, the local contrast: the standard deviation of Oklab L over
//!    the 7x7 window, which is what masks error (it is the sigma in SSIM's
//!    structure term, whose window is also 7x7). A pixel takes the whole
//!    level at a contrast of [`FULL_CONTRAST`] and proportionally less below.
//!
//! The tolerance is `level * gate * min(1, contrast / FULL_CONTRAST)`:
//! `level` (the `lossy` setting, or the quality search's choice) is the
//! most any pixel may be off, flat areas, gradients and the edges of flat
//! shapes take nothing (so flat-colour frames stay pixel-exact at any
//! level), and the render's grain on a smooth surface, whose contrast is
//! tiny, next to nothing.
//!
//! The constants were chosen on the bytes/SSIM curves of the example
//! renders (see the README): a gate that opened more easily saved
//! 1-3% more bytes at the same SSIM but let edges move; scaling by the
//! Laplacian instead of the contrast cost 3-5%.
//!
//! Units are thousandths of Oklab distance throughout (a just noticeable
//! difference is about 20).

use std::ops::Range;

#[cfg(test)]
use super::palette::Lab;

/// Rows of context [`masking`] needs above and below the rows it scores:
/// one for the Laplacian, one for the 3x3 mean, three for the 7x7 minimum.
pub(crate) const HALO: usize = 5;

/// Texture (mean Laplacian, thousandths) at or below which the gate is shut.
const GATE_QUIET: f32 = 0.5;
/// Texture from which the gate is fully open.
const GATE_OPEN: f32 = 2.0;
/// Contrast (standard deviation of L over 7x7, thousandths) at which a
/// pixel takes the whole level.
const FULL_CONTRAST: f32 = 80.0;

/// Oklab rows as three planes (thousandths), the layout the filters
/// below vectorise on.
#[derive(Default)]
pub(crate) struct LabRows {
    pub(crate) l: Vec<i16>,
    pub(crate) a: Vec<i16>,
    pub(crate) b: Vec<i16>,
}

impl LabRows {
    #[cfg(test)]
    pub(crate) fn with_capacity(n: usize) -> Self {
        LabRows {
            l: Vec::with_capacity(n),
            a: Vec::with_capacity(n),
            b: Vec::with_capacity(n),
        }
    }

    pub(crate) fn resize(&mut self, n: usize) {
        self.l.resize(n, 0);
        self.a.resize(n, 0);
        self.b.resize(n, 0);
    }

    #[cfg(test)]
    pub(crate) fn push(&mut self, lab: Lab) {
        self.l.push(lab[0]);
        self.a.push(lab[1]);
        self.b.push(lab[2]);
    }
}

/// How much error each pixel of rows `first..first + count` of `lab`
/// (`width` a row) can hide: `gate * contrast` in thousandths, saturating
/// at 255. `lab` holds up to [`HALO`] rows of context on each side of
/// those rows (fewer at the image's top and bottom, where edge pixels are
/// repeated, as they are at the left and right); `first` is the index,
/// within `lab`, of the first row scored.
pub(crate) fn masking(lab: &LabRows, width: usize, first: usize, count: usize) -> Vec<u8> {
    let rows = lab.l.len() / width.max(1);
    if width == 0 || count == 0 || rows == 0 {
        return Vec::new();
    }
    let at = |r: isize| r.clamp(0, rows as isize - 1) as usize;
    // Laplacian magnitude for rows first-4 .. first+count+4, in
    // quarter-thousandths (|4c - sum of neighbours|), saturating.
    let d_rows = count + 8;
    let mut detail = vec![0u16; d_rows * width];
    let mut acc = vec![0i32; width];
    for (k, out) in detail.chunks_exact_mut(width).enumerate() {
        let r = at(first as isize - 4 + k as isize);
        let (up, down) = (at(r as isize - 1), at(r as isize + 1));
        acc.fill(0);
        for p in [&lab.l, &lab.a, &lab.b] {
            laplacian_squared(
                row(p, width, r),
                row(p, width, up),
                row(p, width, down),
                &mut acc,
            );
        }
        for (o, &s) in out.iter_mut().zip(&acc) {
            *o = (s as f32).sqrt().min(7000.0) as u16;
        }
    }
    // 3x3 sums (quarter-thousandths x 9) for rows first-3 .. first+count+3.
    let b_rows = count + 6;
    let mut boxed = vec![0u16; b_rows * width];
    let mut vsum = vec![0u16; width];
    for (k, out) in boxed.chunks_exact_mut(width).enumerate() {
        vsum.copy_from_slice(&detail[k * width..(k + 1) * width]);
        for dy in 1..3 {
            let src = &detail[(k + dy) * width..(k + dy + 1) * width];
            for (v, &d) in vsum.iter_mut().zip(src) {
                // 9 * 7000 fits in u16.
                *v += d;
            }
        }
        sum3(&vsum, out);
    }
    let mut out = vec![0u8; count * width];
    let (mut vmin, mut hmin, mut scratch) =
        (vec![0u16; width], vec![0u16; width], vec![0u16; width]);
    // Contrast: column sums of L and L^2 over the 7 rows around the
    // current one, slid down a row at a time.
    let (mut s1, mut s2) = (vec![0i32; width], vec![0i32; width]);
    let (mut sum_l, mut sum_l2) = (vec![0i32; width], vec![0i32; width]);
    for dy in -3..=3 {
        add_rows(
            row(&lab.l, width, at(first as isize + dy)),
            &mut s1,
            &mut s2,
            1,
        );
    }
    for (k, o) in out.chunks_exact_mut(width).enumerate() {
        if k > 0 {
            let r = (first + k) as isize;
            add_rows(row(&lab.l, width, at(r - 4)), &mut s1, &mut s2, -1);
            add_rows(row(&lab.l, width, at(r + 3)), &mut s1, &mut s2, 1);
        }
        // Gate: 7x7 minimum of the 3x3 means, vertical then horizontal.
        vmin.copy_from_slice(&boxed[k * width..(k + 1) * width]);
        for dy in 1..7 {
            let src = &boxed[(k + dy) * width..(k + dy + 1) * width];
            for (m, &v) in vmin.iter_mut().zip(src) {
                *m = (*m).min(v);
            }
        }
        min7(&vmin, &mut hmin, &mut scratch);
        // From quarter-thousandths summed over 9 to thousandths.
        let quiet = (GATE_QUIET * 36.0) as u16;
        if hmin.iter().all(|&m| m <= quiet) {
            continue;
        }
        // Window columns x-3 ..= x+3 (clipped to the row) of the column sums.
        sum7(&s1, &mut sum_l);
        sum7(&s2, &mut sum_l2);
        contrast_row(&hmin, &sum_l, &sum_l2, o);
    }
    out
}

/// Row `r` of a plane.
#[inline]
fn row(p: &[i16], width: usize, r: usize) -> &[i16] {
    &p[r * width..(r + 1) * width]
}

/// Adds (4c - left - right - up - down)^2 of one plane to `acc`, edge
/// pixels repeated.
fn laplacian_squared(row: &[i16], up: &[i16], down: &[i16], acc: &mut [i32]) {
    let w = row.len();
    let at = |x: isize| x.clamp(0, w as isize - 1) as usize;
    let one = |x: usize| {
        let v = 4 * i32::from(row[x])
            - i32::from(row[at(x as isize - 1)])
            - i32::from(row[at(x as isize + 1)])
            - i32::from(up[x])
            - i32::from(down[x]);
        v * v
    };
    if w < 3 {
        for (x, a) in acc.iter_mut().enumerate() {
            *a += one(x);
        }
        return;
    }
    acc[0] += one(0);
    acc[w - 1] += one(w - 1);
    let inner = acc[1..w - 1]
        .iter_mut()
        .zip(row[1..w - 1].iter().zip(&row[..w - 2]).zip(&row[2..]))
        .zip(up[1..w - 1].iter().zip(&down[1..w - 1]));
    for ((a, ((&c, &l), &r)), (&u, &d)) in inner {
        let v = 4 * i32::from(c) - i32::from(l) - i32::from(r) - i32::from(u) - i32::from(d);
        *a += v * v;
    }
}

/// Sums of each value and its two neighbours (edge values repeated).
fn sum3(src: &[u16], out: &mut [u16]) {
    let w = src.len();
    if w < 3 {
        for x in 0..w {
            out[x] = src[x.saturating_sub(1)] + src[x] + src[(x + 1).min(w - 1)];
        }
        return;
    }
    out[0] = 2 * src[0] + src[1];
    out[w - 1] = src[w - 2] + 2 * src[w - 1];
    for (o, ((&l, &c), &r)) in out[1..w - 1]
        .iter_mut()
        .zip(src[..w - 2].iter().zip(&src[1..w - 1]).zip(&src[2..]))
    {
        *o = l + c + r;
    }
}

/// Adds (or with `sign` -1 removes) a row of L to the column sums of L and L^2.
fn add_rows(l: &[i16], s1: &mut [i32], s2: &mut [i32], sign: i32) {
    for ((a, b), &v) in s1.iter_mut().zip(s2.iter_mut()).zip(l) {
        let v = i32::from(v);
        *a += sign * v;
        *b += sign * v * v;
    }
}

/// `gate * contrast` of each pixel of a row (see [`masking`]), from its
/// 7x7 minimum texture `hmin` and the 7x7 sums of L and L^2. Written as
/// independent lanes rather than a running sum along the row, so the
/// compiler vectorises it (the whole masking 15% faster on a 1024-wide
/// render band). The variance is exact (in f64, whose 53 bits hold n^2 *
/// variance of 8-bit-range L), so the result is the integer formula's to
/// the bit.
fn contrast_row(hmin: &[u16], sum_l: &[i32], sum_l2: &[i32], out: &mut [u8]) {
    let w = out.len();
    let one = |x: usize, n: f64| {
        let texture = f32::from(hmin[x]) / 36.0;
        let gate = ((texture - GATE_QUIET) / (GATE_OPEN - GATE_QUIET)).clamp(0.0, 1.0);
        let (sa, sb) = (f64::from(sum_l[x]), f64::from(sum_l2[x]));
        let var = (n * sb - sa * sa).max(0.0) as f32;
        let contrast = var.sqrt() / n as f32;
        // A shut gate gives 0, as it must: 0.5 truncates to 0.
        (gate * contrast + 0.5).min(255.0) as u8
    };
    let inner = inner7(w);
    // Pixels within 3 of the row's ends see fewer columns.
    for x in (0..w).filter(|x| !inner.contains(x)) {
        out[x] = one(x, (7 * window7(x, w).len()) as f64);
    }
    for x in inner {
        out[x] = one(x, 49.0);
    }
}

/// The 7-wide window around `x` in a row of `n`, clipped to the row.
fn window7(x: usize, n: usize) -> Range<usize> {
    x.saturating_sub(3)..(x + 4).min(n)
}

/// The positions of a row of `n` whose 7-wide window is whole.
fn inner7(n: usize) -> Range<usize> {
    3..n.saturating_sub(3).max(3)
}

/// Sums of each value's 7-wide neighbourhood, clipped at the ends.
fn sum7(src: &[i32], out: &mut [i32]) {
    let n = src.len();
    let inner = inner7(n);
    for x in (0..n).filter(|x| !inner.contains(x)) {
        out[x] = src[window7(x, n)].iter().sum();
    }
    if inner.is_empty() {
        return;
    }
    let inner = &mut out[inner];
    inner.copy_from_slice(&src[..n - 6]);
    for d in 1..7 {
        for (o, &v) in inner.iter_mut().zip(&src[d..n - 6 + d]) {
            *o += v;
        }
    }
}

/// Minimum over each value's 7-wide neighbourhood (clipped at the ends):
/// minima of pairs, then of fours, then two overlapping fours.
fn min7(src: &[u16], out: &mut [u16], m4: &mut [u16]) {
    let n = src.len();
    if n < 8 {
        for (x, o) in out.iter_mut().enumerate().take(n) {
            *o = src[window7(x, n)].iter().copied().min().unwrap_or(0);
        }
        return;
    }
    // m4[x] = min(src[x ..= x+3]) (clipped), built from pairs in `out`.
    for x in 0..n {
        out[x] = src[x].min(src[(x + 1).min(n - 1)]);
    }
    for x in 0..n {
        m4[x] = out[x].min(out[(x + 2).min(n - 1)]);
    }
    for x in 0..n {
        out[x] = m4[x.saturating_sub(3)].min(m4[x]);
    }
}

/// Tolerance (thousandths of Oklab, at most 254) of each masking value at
/// a given level: a table, so applying it costs one load a pixel.
pub(crate) struct Ramp([u8; 256]);

impl Ramp {
    pub(crate) fn new(level: u16) -> Self {
        Ramp(std::array::from_fn(|m| {
            let share = (m as f32 / FULL_CONTRAST).min(1.0);
            (f32::from(level) * share).round().min(254.0) as u8
        }))
    }

    #[inline]
    pub(crate) fn at(&self, masking: u8) -> u8 {
        self.0[usize::from(masking)]
    }

    /// Whether every pixel stays exact at this level.
    pub(crate) fn is_exact(&self) -> bool {
        self.0.iter().all(|&t| t == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texture_of(w: usize, h: usize, mut f: impl FnMut(usize, usize) -> Lab) -> Vec<u8> {
        let mut lab = LabRows::with_capacity(w * h);
        for y in 0..h {
            for x in 0..w {
                lab.push(f(x, y));
            }
        }
        masking(&lab, w, 0, h)
    }

    #[test]
    fn flat_and_gradients_are_quiet() {
        assert!(texture_of(30, 20, |_, _| [500, 10, -20])
            .iter()
            .all(|&t| t == 0));
        let t = texture_of(30, 20, |x, y| {
            [(100 + 20 * x + 7 * y) as i16, (x as i16) - 15, 3]
        });
        // Linear everywhere except where edge pixels repeat at the border.
        for y in 5..15 {
            for x in 5..25 {
                assert_eq!(t[y * 30 + x], 0, "({x}, {y})");
            }
        }
    }

    #[test]
    fn hard_edges_and_thin_lines_are_quiet() {
        let t = texture_of(40, 30, |x, y| {
            if x == 20 || (y > 10 && x > 30) {
                [900, 0, 0]
            } else {
                [200, 50, -50]
            }
        });
        assert!(t.iter().all(|&t| t == 0), "{:?}", t.iter().max());
    }

    #[test]
    fn noisy_contrast_is_busy() {
        let mut s = 1u32;
        // Render-like: shading with strong grain (+-30 thousandths of L).
        let t = texture_of(40, 30, |x, _| {
            s = s.wrapping_mul(1_103_515_245).wrapping_add(12345);
            [(400 + 8 * x + (s >> 16) as usize % 60) as i16, 0, 0]
        });
        let busy = t[7 * 40..23 * 40].iter().filter(|&&v| v >= 20).count();
        assert!(busy > 16 * 40 / 2, "{busy} of {}", 16 * 40);
        // The same grain at a tenth of the amplitude (a render's noise on
        // a smooth surface) takes next to nothing.
        let mut s = 1u32;
        let t = texture_of(40, 30, |x, _| {
            s = s.wrapping_mul(1_103_515_245).wrapping_add(12345);
            [(400 + x + (s >> 16) as usize % 6) as i16, 0, 0]
        });
        assert!(t.iter().all(|&v| v <= 4), "{:?}", t.iter().max());
    }

    #[test]
    fn bands_match_the_whole() {
        let mut s = 7u32;
        let (w, h) = (25, 40);
        let mut lab = LabRows::with_capacity(w * h);
        for i in 0..w * h {
            s = s.wrapping_mul(1_103_515_245).wrapping_add(12345);
            lab.push([
                (i % 300) as i16 + ((s >> 16) % 30) as i16,
                0,
                ((s >> 20) % 9) as i16,
            ]);
        }
        let whole = masking(&lab, w, 0, h);
        assert!(whole.iter().any(|&m| m > 0));
        for (y0, y1) in [(0usize, 13usize), (13, 27), (27, 40)] {
            let lo = y0.saturating_sub(HALO);
            let hi = (y1 + HALO).min(h);
            let band = LabRows {
                l: lab.l[lo * w..hi * w].to_vec(),
                a: lab.a[lo * w..hi * w].to_vec(),
                b: lab.b[lo * w..hi * w].to_vec(),
            };
            assert_eq!(
                masking(&band, w, y0 - lo, y1 - y0),
                whole[y0 * w..y1 * w],
                "rows {y0}..{y1}"
            );
        }
    }

    #[test]
    fn sum7_matches_the_definition() {
        for n in [1, 2, 5, 7, 8, 9, 30] {
            let src: Vec<i32> = (0..n).map(|i| ((i * 7919) % 23) as i32 - 11).collect();
            let mut out = vec![0; n];
            sum7(&src, &mut out);
            for x in 0..n {
                let want: i32 = src[x.saturating_sub(3)..(x + 4).min(n)].iter().sum();
                assert_eq!(out[x], want, "n={n} x={x}");
            }
        }
    }

    #[test]
    fn min7_matches_the_definition() {
        for n in [1, 2, 5, 7, 8, 9, 30] {
            let src: Vec<u16> = (0..n).map(|i| ((i * 7919) % 23) as u16).collect();
            let (mut out, mut m4) = (vec![0; n], vec![0; n]);
            min7(&src, &mut out, &mut m4);
            for x in 0..n {
                let want = src[x.saturating_sub(3)..(x + 4).min(n)]
                    .iter()
                    .min()
                    .copied();
                assert_eq!(Some(out[x]), want, "n={n} x={x}");
            }
        }
    }

    #[test]
    fn ramp_scales_with_contrast_up_to_the_level() {
        let r = Ramp::new(40);
        assert_eq!(r.at(0), 0);
        assert_eq!(r.at(FULL_CONTRAST as u8 / 2), 20);
        assert_eq!(r.at(FULL_CONTRAST as u8), 40);
        assert_eq!(r.at(255), 40);
        assert!(Ramp::new(0).is_exact());
        assert_eq!(Ramp::new(1000).at(255), 254);
    }
}
