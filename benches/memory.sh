#!/usr/bin/env bash
# Peak memory of a build per raw-frame byte (not a timed test: it prints).
#
# Generates one gallery of FRAMES frames of WxH RGBA (default 16 x
# 2048x2048, 268 MB of raw pixels) and measures the peak RSS (/usr/bin/time
# -f %M) of builds of it: cold (GIF, videos, PNGs and thumbnails), cold
# without the videos, then each output kind made again alone (a setting
# that shapes only that kind changed): the frame outputs (thumb_size), the
# GIF (gif_quality), the .mp4 (mp4_quality) and the .webm (webm_quality).
# Each line gives the peak and the peak divided by the raw bytes of the
# whole gallery.
#
# Usage: benches/memory.sh     (env: FRAMES W H JOBS PNG_EFFORT BIN)
set -euo pipefail
cd "$(dirname "$0")/.."
FRAMES=${FRAMES:-16}
W=${W:-2048}
H=${H:-2048}
JOBS=${JOBS:-2}
PNG_EFFORT=${PNG_EFFORT:-2}
if [ -z "${BIN:-}" ]; then
    cargo build --release -q
    BIN=$PWD/target/release/assetgen
fi
SITE=$(mktemp -d /tmp/assetgen-mem.XXXXXX)
trap 'rm -rf "$SITE" "$SITE.mem"' EXIT
cargo run --release -q --example gen_gallery -- "$SITE" "$FRAMES" "$W" "$H"
RAW=$((FRAMES * W * H * 4))
echo "gallery: $FRAMES x ${W}x${H} RGBA = $RAW raw bytes; -j $JOBS, png_effort $PNG_EFFORT"
measure() {
    local label=$1
    shift
    /usr/bin/time -f '%M' -o "$SITE.mem" \
        "$BIN" build -q -j "$JOBS" --png-effort "$PNG_EFFORT" --site "$SITE" "$@"
    local kb
    kb=$(tail -1 "$SITE.mem")
    awk -v l="$label" -v kb="$kb" -v raw="$RAW" \
        'BEGIN { printf "%-28s peak %8.1f MB  %.2f x raw\n", l, kb / 1024, kb * 1024 / raw }'
}
cold() { rm -rf "$SITE/assets/images" "$SITE/.assetgen-cache.json"; }
cold; measure "cold build, no videos" --video none
cold; measure "cold build"
measure "frame outputs only" --thumb-size 200
measure "GIF only" --thumb-size 200 --gif-quality 0.99
measure ".mp4 only" --thumb-size 200 --gif-quality 0.99 --mp4-quality 30
measure ".webm only" --thumb-size 200 --gif-quality 0.99 --mp4-quality 30 --webm-quality 150
