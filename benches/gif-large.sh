#!/usr/bin/env bash
# The GIF against gifski across issue #12's range (480x720 to 1024x1024):
# the two example renders as they are, three synthetic turntables
# (`examples/turntable.rs`: a textured, noisy object on flat grey or on a
# transparent canvas) and the two example renders enlarged (ImageMagick,
# where installed). For each: bytes, SSIM (mean and worst frame, on
# white, `benches/gifq.py`) and median wall time of RUNS runs, assetgen
# and gifski alternating (2 threads; on a shared machine a single run is
# off by 15-30%, so the ratio is only worth a median), and then assetgen
# again at the fidelity gifski reached, so bytes can also be compared at
# equal SSIM.
#
#   cargo install gifski; apt-get install imagemagick python3-skimage python3-pil
# Usage: benches/gif-large.sh   (RUNS=5 JOBS=2 by default)
set -uo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
JOBS=${JOBS:-2}
OUT=$(mktemp -d /tmp/assetgen-large.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
command -v gifski >/dev/null || { echo "gifski is needed: cargo install gifski"; exit 1; }
/usr/bin/python3 -c 'import skimage, PIL' 2>/dev/null || { echo "python3 with skimage and PIL is needed"; exit 1; }
cargo build --release -q --bin assetgen --example turntable || exit 1
BIN=$PWD/target/release/assetgen
GIFQ=benches/gifq.py

# Sets: NAME and how to make OUT/NAME/f-1.png .. f-16.png.
make_set() {
  local name=$1; shift
  mkdir -p "$OUT/$name"
  "$@" >/dev/null 2>&1 || { rm -rf "${OUT:?}/$name"; return 1; }
}
sets=()
for stem in Back-Scapularis Leg-Gastrocnemius; do
  name="$stem"
  make_set "$name" bash -c 'for i in $(seq 1 16); do cp "$0-$i.png" "$1/f-$i.png" || exit 1; done' \
    "assets-src/muscles/png/$stem" "$OUT/$name" && sets+=("$name")
done
for spec in "rgb 1024" "rgba 1024" "rgb 800"; do
  set -- $spec
  name="synthetic-$1-$2"
  make_set "$name" target/release/examples/turntable "$OUT/$name" "$2" "$1" 16 &&
    for i in $(seq 1 16); do mv "$OUT/$name/turntable-$i.png" "$OUT/$name/f-$i.png"; done &&
    sets+=("$name")
done
if [ -x /usr/bin/convert ]; then
  for spec in "Back-Scapularis 1024x1024" "Leg-Gastrocnemius 720x1080"; do
    set -- $spec
    name="$1-$2"
    make_set "$name" bash -c 'for i in $(seq 1 16); do
        /usr/bin/convert "$0-$i.png" -filter Lanczos -resize "$1!" "$2/f-$i.png" || exit 1
      done' "assets-src/muscles/png/$1" "$2" "$OUT/$name" && sets+=("$name")
  done
fi

# median of numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
# wall seconds (to the millisecond) of one run of a command; nothing if it
# failed, so a failed run never counts as a time
wall() {
  local TIMEFORMAT=%3R t
  t=$({ time "$@" >/dev/null 2>&1; } 2>&1) && echo "$t"
}
# a / b to two decimals
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
# "bytes mean min" of a GIF against the set's frames
quality() {
  /usr/bin/python3 "$GIFQ" "$1" $FRAMES 2>/dev/null | tail -1 |
    sed -E 's/.*bytes=([0-9]+).*ssim_mean=([0-9.]+) ssim_min=([0-9.]+).*/\1 \2 \3/'
}

echo "| set | assetgen bytes, SSIM (min) | gifski bytes, SSIM (min) | bytes | wall: assetgen / gifski | assetgen at gifski's SSIM |"
echo "|---|---|---|---|---|---|"
for name in "${sets[@]}"; do
  FRAMES=$(for i in $(seq 1 16); do echo "$OUT/$name/f-$i.png"; done)
  : >"$OUT/a.t"
  : >"$OUT/g.t"
  for _ in $(seq 1 "$RUNS"); do
    wall "$BIN" gif -j "$JOBS" -o "$OUT/a.gif" $FRAMES >>"$OUT/a.t"
    # -W/-H above the frames: gifski must not downscale.
    wall gifski --quality 90 -W 4096 -H 4096 -o "$OUT/g.gif" $FRAMES >>"$OUT/g.t"
  done
  read -r ab am an < <(quality "$OUT/a.gif")
  read -r gb gm gn < <(quality "$OUT/g.gif")
  at=$(median <"$OUT/a.t")
  gt=$(median <"$OUT/g.t")
  # The quality target nearest above gifski's mean SSIM.
  target=$(awk -v m="$gm" 'BEGIN {t = int(m * 1000 + 0.999) / 1000; if (t > 0.999) t = 0.999; print t}')
  "$BIN" gif -j "$JOBS" --gif-quality "$target" -o "$OUT/e.gif" $FRAMES >/dev/null 2>&1
  read -r eb em en < <(quality "$OUT/e.gif")
  printf '| %s | %s, %s (%s) | %s, %s (%s) | %sx | %ss / %ss = %sx | %s, %s (%s): %sx |\n' \
    "$name" "$ab" "$am" "$an" "$gb" "$gm" "$gn" "$(ratio "$ab" "$gb")" \
    "$at" "$gt" "$(ratio "$at" "$gt")" "$eb" "$em" "$en" "$(ratio "$eb" "$gb")"
done
