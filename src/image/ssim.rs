//! SSIM, the fidelity measure the GIF quality target is stated in.
//!
//! The encoder chooses how much loss to allow by measuring trial results
//! against the frames, so it needs the same number users see when they
//! check a GIF: `skimage.metrics.structural_similarity(a, b,
//! channel_axis=2, data_range=255)` (as `benches/gifq.py` does). That is a
//! 7x7 uniform window, sample covariance (N/(N-1)), K1 = 0.01, K2 = 0.03,
//! computed per RGB channel, averaged over every window that lies wholly
//! inside the image and over the three channels. This is that, written for
//! speed: the window sums are exact integers kept as running column sums,
//! so the only floating-point work is the per-window ratio.

/// Window side (skimage's default `win_size`).
const WIN: usize = 7;
#[cfg(test)]
const HALF: usize = WIN / 2;
const NP: i64 = (WIN * WIN) as i64;

/// (K1 * 255)^2 and (K2 * 255)^2, scaled like the integer sums below.
const C1: f64 = (0.01 * 255.0) * (0.01 * 255.0);
const C2: f64 = (0.03 * 255.0) * (0.03 * 255.0);

/// Sum of per-window SSIM over every window wholly inside `a` and `b`
/// (interleaved RGB, `width` pixels a row, as many rows as the slices
/// hold), over the three channels, and the number of terms summed.
///
/// Summing rather than averaging lets a caller combine bands of rows or
/// several frames into one mean without re-weighting.
pub fn ssim_sum(a: &[u8], b: &[u8], width: usize) -> (f64, u64) {
    let row = width * 3;
    if width < WIN || a.len() != b.len() {
        return (0.0, 0);
    }
    let height = a.len() / row;
    if height < WIN {
        return (0.0, 0);
    }
    // Terms summed: `n` window positions (one per channel sample) a row
    // of windows, `height - WIN + 1` rows of windows.
    let n = row - 3 * (WIN - 1);
    let count = (n * (height - WIN + 1)) as u64;
    if a == b {
        // Each term below would be exactly 1 (its numerator and
        // denominator are the same products, rounded alike) and each
        // partial sum an exact integer: the count is the loop's result to
        // the bit. The quality search scores many tiles of flat background
        // that the palette holds exactly, so this skips real work.
        return (count as f64, count);
    }
    // Column sums over the current 7 rows, per interleaved sample, one
    // array per moment so every pass below is a plain vector loop.
    let mut cols = Moments::new(row);
    for r in 0..WIN {
        cols.add(&a[r * row..(r + 1) * row], &b[r * row..(r + 1) * row], 1);
    }
    // Window sums: sample k's window is k, k+3, ..., k+18 (same channel).
    let mut win = Moments::new(n);
    let mut vals = vec![0f32; n];
    let c1 = (C1 * (NP * NP) as f64) as f32;
    let c2 = (C2 * (NP * (NP - 1)) as f64) as f32;
    let np = NP as i32;
    let mut sum = 0.0f64;
    for top in 0..=height - WIN {
        if top > 0 {
            let (old, new) = (top - 1, top + WIN - 1);
            cols.add(
                &a[old * row..(old + 1) * row],
                &b[old * row..(old + 1) * row],
                -1,
            );
            cols.add(
                &a[new * row..(new + 1) * row],
                &b[new * row..(new + 1) * row],
                1,
            );
        }
        win.windows_of(&cols);
        // With mu = S/N and the sample variance v = (N*Sxx - Sx^2) / (N*(N-1)),
        // multiplying the usual formula through by N^2 * N*(N-1) leaves
        // integers (exact in i32 for 8-bit samples) but for the constants.
        let terms = win.x[..n]
            .iter()
            .zip(&win.y[..n])
            .zip(win.xx[..n].iter().zip(&win.yy[..n]))
            .zip(&win.xy[..n]);
        for ((((&sx, &sy), (&sxx, &syy)), &sxy), v) in terms.zip(vals.iter_mut()) {
            let vx = np * sxx - sx * sx;
            let vy = np * syy - sy * sy;
            let cxy = np * sxy - sx * sy;
            let num = (2.0 * (sx * sy) as f32 + c1) * (2.0 * cxy as f32 + c2);
            let den = ((sx * sx + sy * sy) as f32 + c1) * ((vx + vy) as f32 + c2);
            *v = num / den;
        }
        // Eight running sums in a fixed order: vectorises, and the
        // result does not depend on anything but the data.
        let mut lanes = [0f32; 8];
        let chunks = vals.chunks_exact(8);
        let tail: f32 = chunks.remainder().iter().sum();
        for c in chunks {
            for (l, &v) in lanes.iter_mut().zip(c) {
                *l += v;
            }
        }
        sum += f64::from(lanes.iter().sum::<f32>() + tail);
    }
    (sum, count)
}

/// Sums of x, y, x^2, y^2 and xy, one array each.
struct Moments {
    x: Vec<i32>,
    y: Vec<i32>,
    xx: Vec<i32>,
    yy: Vec<i32>,
    xy: Vec<i32>,
}

impl Moments {
    fn new(n: usize) -> Self {
        Moments {
            x: vec![0; n],
            y: vec![0; n],
            xx: vec![0; n],
            yy: vec![0; n],
            xy: vec![0; n],
        }
    }

    /// Adds (or with `sign` -1 removes) a row of samples; one pass per
    /// moment, each a plain vector loop.
    fn add(&mut self, a: &[u8], b: &[u8], sign: i32) {
        let n = self.x.len().min(a.len()).min(b.len());
        let (a, b) = (&a[..n], &b[..n]);
        for (o, &p) in self.x[..n].iter_mut().zip(a) {
            *o += sign * i32::from(p);
        }
        for (o, &q) in self.y[..n].iter_mut().zip(b) {
            *o += sign * i32::from(q);
        }
        for (o, &p) in self.xx[..n].iter_mut().zip(a) {
            *o += sign * i32::from(p) * i32::from(p);
        }
        for (o, &q) in self.yy[..n].iter_mut().zip(b) {
            *o += sign * i32::from(q) * i32::from(q);
        }
        for (o, (&p, &q)) in self.xy[..n].iter_mut().zip(a.iter().zip(b)) {
            *o += sign * i32::from(p) * i32::from(q);
        }
    }

    /// Horizontal 7-window sums of column sums (stride 3: one channel).
    fn windows_of(&mut self, cols: &Moments) {
        let n = self.x.len();
        for (out, src) in [
            (&mut self.x, &cols.x),
            (&mut self.y, &cols.y),
            (&mut self.xx, &cols.xx),
            (&mut self.yy, &cols.yy),
            (&mut self.xy, &cols.xy),
        ] {
            out.copy_from_slice(&src[..n]);
            for d in 1..WIN {
                for (o, &v) in out.iter_mut().zip(&src[3 * d..3 * d + n]) {
                    *o += v;
                }
            }
        }
    }
}

/// Mean SSIM of two interleaved RGB images of the same size, as skimage
/// computes it. Images smaller than the window are compared as one
/// window (skimage refuses them; a frame that small still needs a score).
pub fn mean_ssim(a: &[u8], b: &[u8], width: usize) -> f64 {
    let (sum, count) = ssim_sum(a, b, width);
    if count > 0 {
        return sum / count as f64;
    }
    whole_image(a, b)
}

fn whole_image(a: &[u8], b: &[u8]) -> f64 {
    if a.len() != b.len() || a.len() < 6 {
        return if a == b { 1.0 } else { 0.0 };
    }
    let n = (a.len() / 3) as i64;
    let (c1, c2) = (C1 * (n * n) as f64, C2 * (n * (n - 1)) as f64);
    let mut total = 0.0;
    for ch in 0..3 {
        let mut s = [0i64; 5];
        for (x, y) in a
            .iter()
            .skip(ch)
            .step_by(3)
            .zip(b.iter().skip(ch).step_by(3))
        {
            let (x, y) = (i64::from(*x), i64::from(*y));
            s[0] += x;
            s[1] += y;
            s[2] += x * x;
            s[3] += y * y;
            s[4] += x * y;
        }
        let [sx, sy, sxx, syy, sxy] = s;
        let vx = n * sxx - sx * sx;
        let vy = n * syy - sy * sy;
        let cxy = n * sxy - sx * sy;
        total += (2.0 * (sx * sy) as f64 + c1) * (2.0 * cxy as f64 + c2)
            / (((sx * sx + sy * sy) as f64 + c1) * ((vx + vy) as f64 + c2));
    }
    total / 3.0
}

/// Rows of window centres that [`ssim_sum`] scores in a buffer of `rows`
/// rows: the first and last `HALF` rows only serve as context.
#[cfg(test)]
pub const MARGIN: usize = HALF;

#[cfg(test)]
mod tests {
    use super::*;

    /// A direct transcription of skimage's formula (float means, per
    /// window), to check the integer bookkeeping against.
    fn reference(a: &[u8], b: &[u8], w: usize, h: usize) -> f64 {
        let np = (WIN * WIN) as f64;
        let cov = np / (np - 1.0);
        let mut total = 0.0;
        let mut n = 0;
        for ch in 0..3 {
            for cy in HALF..h - HALF {
                for cx in HALF..w - HALF {
                    let (mut ux, mut uy, mut uxx, mut uyy, mut uxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
                    for y in cy - HALF..=cy + HALF {
                        for x in cx - HALF..=cx + HALF {
                            let p = (y * w + x) * 3 + ch;
                            let (xv, yv) = (f64::from(a[p]), f64::from(b[p]));
                            ux += xv / np;
                            uy += yv / np;
                            uxx += xv * xv / np;
                            uyy += yv * yv / np;
                            uxy += xv * yv / np;
                        }
                    }
                    let vx = cov * (uxx - ux * ux);
                    let vy = cov * (uyy - uy * uy);
                    let vxy = cov * (uxy - ux * uy);
                    total += (2.0 * ux * uy + C1) * (2.0 * vxy + C2)
                        / ((ux * ux + uy * uy + C1) * (vx + vy + C2));
                    n += 1;
                }
            }
        }
        total / f64::from(n)
    }

    fn image(w: usize, h: usize, seed: u32) -> Vec<u8> {
        let mut x = seed;
        (0..w * h * 3)
            .map(|i| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                ((i % 97) as u32 * 2 + (x >> 24) % 16) as u8
            })
            .collect()
    }

    #[test]
    fn matches_the_float_formula() {
        let (w, h) = (23, 17);
        let a = image(w, h, 1);
        let b = image(w, h, 2);
        let got = mean_ssim(&a, &b, w);
        let want = reference(&a, &b, w, h);
        assert!((got - want).abs() < 1e-6, "{got} vs {want}");
        assert!((mean_ssim(&a, &a, w) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn bands_add_up_to_the_whole() {
        let (w, h) = (19, 30);
        let a = image(w, h, 3);
        let b = image(w, h, 4);
        let (whole, n) = ssim_sum(&a, &b, w);
        // Bands overlapping by the window's context rows score each
        // window centre exactly once.
        let split = 14;
        let (s1, n1) = ssim_sum(
            &a[..(split + MARGIN) * w * 3],
            &b[..(split + MARGIN) * w * 3],
            w,
        );
        let (s2, n2) = ssim_sum(
            &a[(split - MARGIN) * w * 3..],
            &b[(split - MARGIN) * w * 3..],
            w,
        );
        assert_eq!(n1 + n2, n);
        assert!((s1 + s2 - whole).abs() < 1e-6);
    }

    #[test]
    fn identical_images_score_exactly_their_window_count() {
        let (w, h) = (64, 40);
        let a = image(w, h, 5);
        let (sum, n) = ssim_sum(&a, &a, w);
        assert_eq!(n, ssim_sum(&a, &image(w, h, 6), w).1);
        assert_eq!(sum, n as f64);
        // The loop itself, on the same rows (a trailing byte past the last
        // whole row differs, so the shortcut is not taken), gives the
        // same to the bit.
        let (mut x, mut y) = (a.clone(), a);
        x.push(0);
        y.push(1);
        assert_eq!(ssim_sum(&x, &y, w), (sum, n));
    }

    #[test]
    fn tiny_images_get_a_score() {
        let a = vec![10u8; 4 * 4 * 3];
        assert_eq!(mean_ssim(&a, &a, 4), 1.0);
        let b = vec![200u8; 4 * 4 * 3];
        assert!(mean_ssim(&a, &b, 4) < 0.5);
    }
}
