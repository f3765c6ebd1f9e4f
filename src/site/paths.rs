//! Path safety, the lexical half: which paths from a page may be touched
//! at all. The on-disk half (symlinks) is `Site::check_on_disk`, which
//! every read and write goes through.

use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};

/// Checks a path written in a page (relative to the output root) and
/// returns it as a clean relative path. Refuses absolute paths, `..`,
/// URLs and anything else that could name a file outside the site.
pub fn front_matter_path(value: &str, page: &Path) -> Result<PathBuf> {
    let refuse = |reason: &str| Error::UnsafePath {
        page: page.to_path_buf(),
        value: value.to_string(),
        reason: reason.to_string(),
    };
    if value.contains("://") || value.starts_with("//") {
        return Err(refuse("a URL, not a file of this site"));
    }
    if value.contains('\\') || value.contains('\0') {
        return Err(refuse("backslashes and NUL are not allowed in paths"));
    }
    let path = Path::new(value);
    if path.is_absolute() || value.starts_with('/') {
        return Err(refuse(
            "absolute paths are not allowed; write it relative to the image folder",
        ));
    }
    if !is_plain_relative(path) {
        return Err(refuse("'..' would leave the site root"));
    }
    Ok(path
        .components()
        .filter(|c| matches!(c, Component::Normal(_)))
        .collect())
}

/// Where a write to `path` lands: its folder, canonical, and its name (an
/// atomic write replaces a symlink itself, never what it points to).
/// `None` when the folder does not exist yet, so nothing can sit there.
/// Two paths land on one file exactly when their places are equal.
pub fn place_of(path: &Path) -> Option<PathBuf> {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Some(folder.canonicalize().ok()?.join(path.file_name()?))
}

/// The places a file is found at: where it sits, and, when it is a
/// symlink, the file it points to. Writing at either loses it.
pub fn places_of(path: &Path) -> Vec<PathBuf> {
    let mut places: Vec<PathBuf> = place_of(path).into_iter().collect();
    if let Ok(target) = path.canonicalize() {
        if !places.contains(&target) {
            places.push(target);
        }
    }
    places
}

/// A path made only of normal components (no root, no `..`, not empty).
pub fn is_plain_relative(p: &Path) -> bool {
    p.components().next().is_some()
        && p.components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_paths_may_not_leave_the_site() {
        let page = Path::new("p.md");
        assert!(front_matter_path("muscles/png/A-1.png", page).is_ok());
        for bad in [
            "../secret.png",
            "/etc/passwd",
            "a/../../b.png",
            "https://x/y.png",
            "a\\b.png",
        ] {
            let e = front_matter_path(bad, page).unwrap_err();
            assert!(e.to_string().starts_with("p.md: refusing path"), "{e}");
        }
        assert_eq!(
            front_matter_path("./a/b.png", page).unwrap(),
            PathBuf::from("a/b.png")
        );
    }
}
