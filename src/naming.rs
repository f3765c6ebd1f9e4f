//! How files are named: thumbnails, fingerprints, frame numbers.
//!
//! Pure functions of the path text, shared by planning, the output kinds
//! and the page editor (which continues a gallery's numbering). The site's
//! template derives URLs by splitting on '.', so no generated name adds a dot.

use std::path::{Path, PathBuf};

/// Thumbnail name of a front-matter path: `name-thumb.ext`.
pub fn thumb_name(p: &Path) -> PathBuf {
    with_stem_suffix(p, "-thumb")
}

/// Length of the fingerprint in generated names (hex digits).
pub const FINGERPRINT_LEN: usize = 8;

/// `dir/Name-1.png` + `3fa2c9d1` -> `dir/Name-1-3fa2c9d1.png`.
pub fn with_fingerprint(p: &Path, fp: &str) -> PathBuf {
    with_stem_suffix(p, &format!("-{fp}"))
}

/// Appends to the file stem, before the extension. The site's template
/// derives URLs by splitting on '.', so generated names add no dot.
fn with_stem_suffix(p: &Path, suffix: &str) -> PathBuf {
    let stem = p
        .file_stem()
        .map(|s| s.to_string_lossy())
        .unwrap_or_default();
    let name = match p.extension() {
        Some(ext) => format!("{stem}{suffix}.{}", ext.to_string_lossy()),
        None => format!("{stem}{suffix}"),
    };
    p.with_file_name(name)
}

/// `dir/Name-1-3fa2c9d1.png` -> `dir/Name-1.png`; `None` when the name
/// carries no fingerprint.
pub fn strip_fingerprint(p: &Path) -> Option<PathBuf> {
    let stem = p.file_stem()?.to_str()?;
    let (base, fp) = stem.rsplit_once('-')?;
    let is_fp = fp.len() == FINGERPRINT_LEN
        && fp
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !is_fp || base.is_empty() {
        return None;
    }
    Some(match p.extension() {
        Some(ext) => p.with_file_name(format!("{base}.{}", ext.to_string_lossy())),
        None => p.with_file_name(base),
    })
}

/// `Leg-Gastrocnemius-12.png` -> (`Leg-Gastrocnemius`, 12).
pub fn split_frame_number(url: &Path) -> Option<(String, u32)> {
    let stem = url.file_stem()?.to_str()?;
    let (base, n) = stem.rsplit_once('-')?;
    let n = n.parse().ok()?;
    (!base.is_empty()).then(|| (base.to_string(), n))
}

/// `Name` when every path is `Name-<number>.<ext>`.
pub fn common_stem<'a>(paths: impl IntoIterator<Item = &'a Path>) -> Option<String> {
    let mut stem: Option<String> = None;
    for p in paths {
        let (base, _) = split_frame_number(p)?;
        match &stem {
            None => stem = Some(base),
            Some(s) if *s == base => {}
            Some(_) => return None,
        }
    }
    stem
}

/// Orders names as a person would: runs of digits compare as numbers, so
/// `Leg-2.png` comes before `Leg-10.png` (a shell's `*` gives 1, 10..16,
/// 2..9). Written here because it is a dozen lines and the crates that do
/// it (`natord`) are unmaintained.
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(c), Some(d)) if c.is_ascii_digit() && d.is_ascii_digit() => {
                let digits = |s: &[u8]| s.iter().take_while(|b| b.is_ascii_digit()).count();
                let (m, n) = (digits(x), digits(y));
                // Compare as numbers: leading zeros aside, longer is larger.
                let strip = |s: &[u8]| {
                    let z = s.iter().take_while(|&&b| b == b'0').count();
                    s[z..].to_vec()
                };
                let (p, q) = (strip(&x[..m]), strip(&y[..n]));
                let order = p.len().cmp(&q.len()).then_with(|| p.cmp(&q));
                if order != Ordering::Equal {
                    return order;
                }
                x = &x[m..];
                y = &y[n..];
            }
            (Some(c), Some(d)) => {
                if c != d {
                    return c.cmp(d);
                }
                x = &x[1..];
                y = &y[1..];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order_reads_numbers_as_numbers() {
        let mut names = vec![
            "L-10.png", "L-2.png", "L-1.png", "L-16.png", "L-9.png", "K-3.png",
        ];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            names,
            ["K-3.png", "L-1.png", "L-2.png", "L-9.png", "L-10.png", "L-16.png"]
        );
        assert_eq!(natural_cmp("a-02", "a-2"), std::cmp::Ordering::Less);
        assert_eq!(natural_cmp("a", "a-1"), std::cmp::Ordering::Less);
    }

    #[test]
    fn thumb_names_add_no_dot() {
        assert_eq!(
            thumb_name(Path::new("muscles/png/Leg-Gastrocnemius-1.png")),
            PathBuf::from("muscles/png/Leg-Gastrocnemius-1-thumb.png")
        );
    }

    #[test]
    fn fingerprints_round_trip_without_extra_dots() {
        let p = Path::new("muscles/png/Leg-Gastrocnemius-1.png");
        let f = with_fingerprint(p, "3fa2c9d1");
        assert_eq!(
            f,
            PathBuf::from("muscles/png/Leg-Gastrocnemius-1-3fa2c9d1.png")
        );
        assert_eq!(
            thumb_name(&f),
            PathBuf::from("muscles/png/Leg-Gastrocnemius-1-3fa2c9d1-thumb.png")
        );
        assert_eq!(strip_fingerprint(&f).as_deref(), Some(p));
        assert_eq!(strip_fingerprint(p), None);
        assert_eq!(strip_fingerprint(Path::new("a/X-3FA2C9D1.png")), None);
    }

    #[test]
    fn natural_order_puts_2_before_10() {
        let mut names = vec!["X-10.png", "X-2.png", "X-1.png", "W-3.png", "X-02.png"];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            names,
            ["W-3.png", "X-1.png", "X-02.png", "X-2.png", "X-10.png"]
        );
    }

    #[test]
    fn frame_numbers_split() {
        assert_eq!(
            split_frame_number(Path::new("a/Leg-Gastrocnemius-12.png")),
            Some(("Leg-Gastrocnemius".into(), 12))
        );
        assert_eq!(split_frame_number(Path::new("a/Leg.png")), None);
        let paths = [Path::new("a/X-1.png"), Path::new("a/X-2.png")];
        assert_eq!(common_stem(paths), Some("X".into()));
        assert_eq!(
            common_stem([Path::new("a/X-1.png"), Path::new("Y-2.png")]),
            None
        );
    }
}
