//! The `assetgen` command: parse arguments, call the library, print, exit.
//!
//! Exit status: 0 all good; 1 some page or asset failed (every other page
//! was still built) or `check` found problems; 2 usage or configuration error.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    give_back_big_buffers();
    cli::run(cli::Cli::parse())
}

/// glibc's malloc raises its mmap threshold whenever a large block is
/// freed (up to 32 MiB), after which frame-sized buffers (a 2048x2048 RGBA
/// frame is 16 MiB) come from its heaps, where freeing them does not give
/// the memory back to the system. A gallery's frames are let go of one by
/// one while its videos are encoded (see `image::frames`), so with the
/// threshold left to move the peak RSS stays as if they were all held:
/// 16 x 2048x2048, the .webm made alone, 535 MB with it moving, 395 MB
/// with it fixed (the heap itself peaks at 388 MB). 4 MiB keeps smaller
/// frames (600x600 is 1.4 MB) on the heap. The price: a fixed threshold
/// also fixes the heap's trim threshold, so the example site's cold build
/// spends about 0.5 s more in the kernel (of 31 s CPU); raising the trim
/// threshold took back half of that for 7 MB more peak, not kept. The
/// other half is libdeflate's near-optimal compressor, 8.6 MiB, which
/// oxipng allocates once per PNG: above 4 MiB it is mapped and faulted in
/// afresh each time (125 K page faults for the example's 32 PNGs, against
/// oxipng's own 12 K). A 12 MiB threshold with a 24 MiB trim threshold
/// removed both halves (7.6 K faults; the PNG stage's kernel time went
/// from 0.55 s to 0.05 s of its 15 s wall) but put 1024x1024 frames
/// (4 MiB) back on the heap: a 16-frame gallery of them peaked at 154 MB
/// instead of 124 MB. Not kept.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn give_back_big_buffers() {
    // SAFETY: mallopt only sets a malloc parameter; no other thread runs yet.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn give_back_big_buffers() {}
