#!/usr/bin/python3
"""Fidelity of PNG outputs against their sources.

usage: pngq.py same SRC_DIR OUT_DIR [SUFFIX]
         every OUT_DIR/<name><SUFFIX>.png against SRC_DIR/<name>.png
         (lossy PNGs; SUFFIX empty)
       pngq.py thumbs SRC_DIR OUT_DIR [SUFFIX]
         every OUT_DIR/<name><SUFFIX>.png (default SUFFIX -thumb) against a
         Lanczos3 resize of SRC_DIR/<name>.png made on premultiplied alpha
         (Pillow's RGBa mode) to the thumbnail's size
Prints files, total bytes and mean/min SSIM, each image composited on white
and on black (so colour hidden under partial alpha counts) and the worse of
the two kept.
"""
import sys, os, glob
import numpy as np
from PIL import Image
from skimage.metrics import structural_similarity

def on(im, bg):
    im = im.convert("RGBA")
    back = Image.new("RGBA", im.size, bg + (255,))
    return np.asarray(Image.alpha_composite(back, im).convert("RGB"), dtype=np.uint8)

def ssim(a, b):
    return min(structural_similarity(on(a, c), on(b, c), channel_axis=2, data_range=255)
               for c in [(255, 255, 255), (0, 0, 0)])

def main():
    mode, src_dir, out_dir = sys.argv[1:4]
    suffix = sys.argv[4] if len(sys.argv) > 4 else ("-thumb" if mode == "thumbs" else "")
    scores, total = [], 0
    for src in sorted(glob.glob(os.path.join(src_dir, "*.png"))):
        name = os.path.splitext(os.path.basename(src))[0]
        out = os.path.join(out_dir, name + suffix + ".png")
        if not os.path.exists(out):
            continue
        total += os.path.getsize(out)
        got = Image.open(out)
        ref = Image.open(src).convert("RGBA")
        if mode == "thumbs":
            ref = ref.convert("RGBa").resize(got.size, Image.LANCZOS).convert("RGBA")
        scores.append(ssim(ref, got))
    if not scores:
        sys.exit(f"no outputs in {out_dir}")
    print(f"files={len(scores)} bytes={total} ssim_mean={np.mean(scores):.4f} ssim_min={np.min(scores):.4f}")

main()
