//! Build script: records the versions of the encoders whose output
//! assetgen publishes, and the cargo features it was built with, so that
//! `--version` can print them and each output kind's cache key can hold
//! them (a new oxipng may make other bytes: its outputs must be rebuilt).
//! The versions come from Cargo.lock; without one (assetgen built as a
//! dependency elsewhere) they read "unknown" and only assetgen's own
//! version guards the cache.

use std::path::Path;

/// The crates that shape output bytes.
const ENCODERS: &[&str] = &[
    "oxipng",
    "libdeflater",
    "quantizr",
    "fast_image_resize",
    "quantette",
    "gif",
    "openh264-sys2",
    "rav1e",
];

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let lock_path = Path::new(&manifest).join("Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock_path.display());
    let lock = std::fs::read_to_string(&lock_path).unwrap_or_default();
    for name in ENCODERS {
        let version = locked_version(&lock, name).unwrap_or_else(|| "unknown".into());
        let var = name.to_uppercase().replace('-', "_");
        println!("cargo:rustc-env=ASSETGEN_ENCODER_{var}={version}");
    }
    let mut features: Vec<String> = std::env::vars()
        .filter_map(|(k, _)| {
            k.strip_prefix("CARGO_FEATURE_")
                .map(|f| f.to_lowercase().replace('_', "-"))
        })
        .filter(|f| f != "default")
        .collect();
    features.sort();
    println!("cargo:rustc-env=ASSETGEN_FEATURES={}", features.join(", "));
}

/// The version Cargo.lock pins for `name` (the first, if several).
fn locked_version(lock: &str, name: &str) -> Option<String> {
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == format!("name = \"{name}\"") {
            let version = lines.next()?.trim();
            return version
                .strip_prefix("version = \"")
                .and_then(|v| v.strip_suffix('"'))
                .map(str::to_string);
        }
    }
    None
}
