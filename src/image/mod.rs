//! Pixels in and out: decoding any PNG to RGBA8, resampling, the optimised
//! PNG copies (lossless, or opt-in palette) and thumbnails.

pub mod decode;
pub mod frames;
pub mod lossy;
pub mod png;
pub mod resize;
pub mod ssim;
pub mod thumb;
