//! Which palette entries may stand in for which, and how far apart they are.
//!
//! Lossy LZW and differencing both ask, millions of times a frame, whether
//! palette entry `have` may be shown for a pixel that should show `want`
//! given that pixel's own limit. The Oklab distances between entries are
//! computed once per animation into a 256x256 table of bytes (thousandths
//! of Oklab, the limits' units), with each entry's neighbours sorted by
//! distance so the lossy search can enumerate the candidates within a
//! limit without scanning the palette.

/// Colour distances between palette entries, in the units of the per-pixel
/// limits (thousandths of Oklab): `dist[a * 256 + b]`, 0 only for `a == b`,
/// 255 (more than any limit) for pairs involving the exact-only entry.
pub struct Distances {
    dist: Vec<u8>,
    /// For each entry, the other entries by increasing distance (up to
    /// 254): the candidates for a pixel's first value.
    near: Vec<Vec<(u8, u8)>>,
    /// `reach[a * 256 + limit]`: how many of `near[a]` are within `limit`.
    reach: Vec<u8>,
    pub(crate) entries: usize,
}

impl Distances {
    /// `distance(a, b)` in limit units; `exact` (the transparent index)
    /// only ever matches itself.
    pub fn new(entries: usize, exact: u8, distance: impl Fn(usize, usize) -> f32) -> Self {
        let n = entries.clamp(1, 256);
        let mut dist = vec![255u8; 256 * 256];
        for a in 0..n {
            for b in 0..n {
                dist[a * 256 + b] = if a == b {
                    0
                } else if a == usize::from(exact) || b == usize::from(exact) {
                    255
                } else {
                    // Distinct entries are never "distance 0": a limit of 0
                    // must mean exact.
                    distance(a, b).round().clamp(1.0, 254.0) as u8
                };
            }
        }
        for a in 0..256 {
            dist[a * 256 + a] = 0;
        }
        let near: Vec<Vec<(u8, u8)>> = (0..256)
            .map(|a| {
                let mut v: Vec<(u8, u8)> = (0..n)
                    .filter(|&b| b != a && dist[b * 256 + a] < 255)
                    .map(|b| (dist[b * 256 + a], b as u8))
                    .collect();
                v.sort_unstable();
                v
            })
            .collect();
        let mut reach = vec![0u8; 256 * 256];
        for (a, list) in near.iter().enumerate() {
            for limit in 0..256 {
                reach[a * 256 + limit] =
                    list.partition_point(|&(d, _)| usize::from(d) <= limit) as u8;
            }
        }
        Distances {
            dist,
            near,
            reach,
            entries: n,
        }
    }

    /// The entries within `limit` of `a` (other than `a`), nearest first.
    #[inline]
    pub(crate) fn within(&self, a: u8, limit: u8) -> &[(u8, u8)] {
        let n = self.reach[usize::from(a) * 256 + usize::from(limit)];
        &self.near[usize::from(a)][..usize::from(n)]
    }

    /// Whether any entry other than `a` is within `limit` of it.
    #[inline]
    pub(crate) fn any_within(&self, a: u8, limit: u8) -> bool {
        self.reach[usize::from(a) * 256 + usize::from(limit)] > 0
    }

    /// Whether `have` may be shown for a pixel that should show `want`
    /// and may be off by `limit` (at most 254).
    #[inline]
    pub fn ok(&self, have: u8, want: u8, limit: u8) -> bool {
        // Symmetric; indexed by `want` first so that the search, which
        // checks many `have` against one `want`, reads one 256-byte row.
        self.dist[usize::from(want) * 256 + usize::from(have)] <= limit
    }
}
