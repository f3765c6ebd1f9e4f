#!/usr/bin/env bash
# Whole-job comparison against the peer tools, on the example renders:
# bytes, fidelity (mean/min SSIM against the source frames, both on white)
# and wall time / peak memory, side by side, in one run on this machine.
#
# Peers are used only where installed (nothing is linked):
#   cargo install gifski oxipng
#   apt-get install ffmpeg imagemagick python3-skimage python3-pil
# Usage: benches/peers.sh [STEM...]   (default: every gallery in assets-src)
set -uo pipefail
cd "$(dirname "$0")/.."
SRC=assets-src/muscles/png
OUT=$(mktemp -d /tmp/assetgen-peers.XXXXXX)
JOBS=${JOBS:-2}
cargo build --release -q || exit 1
BIN=$PWD/target/release/assetgen
HAVE_PY=0
/usr/bin/python3 -c 'import skimage, PIL' 2>/dev/null && HAVE_PY=1

stems=("$@")
if [ ${#stems[@]} -eq 0 ]; then
  mapfile -t stems < <(ls $SRC | sed -n 's/-1\.png$//p' | sort)
fi

# run NAME OUTFILE CMD... : time a command, print one table row.
row() {
  local name=$1 out=$2; shift 2
  local t
  if ! /usr/bin/time -f '%e %M' -o "$OUT/time" "$@" >/dev/null 2>"$OUT/err"; then
    printf '| %-28s | failed: %s |\n' "$name" "$(tail -1 "$OUT/err")"
    return
  fi
  read -r secs kb < <(tail -1 "$OUT/time")
  local q="n/a"
  if [ "$HAVE_PY" = 1 ] && [ -n "${FRAMES:-}" ]; then
    q=$(/usr/bin/python3 "$GIFQ" "$out" $FRAMES | sed -E 's/.*ssim_mean=([0-9.]+) ssim_min=([0-9.]+).*/\1 (min \2)/')
  fi
  printf '| %-28s | %9s | %-17s | %6s s | %6s MB |\n' "$name" "$(stat -c %s "$out")" "$q" "$secs" "$((kb / 1024))"
}

# gifq.py ships with the fixtures' tools; a copy lives in benches/ so the
# project does not depend on anything outside it.
GIFQ=benches/gifq.py

for stem in "${stems[@]}"; do
  FRAMES=$(for i in $(seq 1 16); do echo "$SRC/$stem-$i.png"; done)
  [ -f "$SRC/$stem-1.png" ] || { echo "no frames for $stem"; continue; }
  echo
  echo "### $stem (16 frames, $(file -b "$SRC/$stem-1.png" | cut -d, -f2-3 | tr -d ' '), -j $JOBS)"
  echo
  echo "| GIF                          |     bytes | SSIM              |   wall   |   peak    |"
  echo "|------------------------------|-----------|-------------------|----------|-----------|"
  row "assetgen (default)" "$OUT/a.gif" "$BIN" gif -j "$JOBS" -o "$OUT/a.gif" $FRAMES
  row "assetgen --gif-lossy 0" "$OUT/a0.gif" "$BIN" gif -j "$JOBS" --gif-lossy 0 -o "$OUT/a0.gif" $FRAMES
  if command -v gifski >/dev/null; then
    row "gifski --quality 90" "$OUT/g.gif" gifski --quality 90 -o "$OUT/g.gif" $FRAMES
  fi
  if command -v ffmpeg >/dev/null; then
    row "ffmpeg palettegen/paletteuse" "$OUT/f.gif" ffmpeg -loglevel error -y -threads "$JOBS" -framerate 10 -i "$SRC/$stem-%d.png" \
      -filter_complex "[0:v]split[a][b];[a]palettegen=reserve_transparent=1[p];[b][p]paletteuse" "$OUT/f.gif"
  fi
  if [ -x /usr/bin/convert ] && /usr/bin/convert -version 2>/dev/null | grep -q ImageMagick; then
    row "ImageMagick -layers Optimize" "$OUT/m.gif" /usr/bin/convert -delay 10 -loop 0 -dispose background $FRAMES -layers Optimize "$OUT/m.gif"
  fi
done

# Lossless PNGs and thumbnails of every frame of every gallery.
ALL=$(for stem in "${stems[@]}"; do ls $SRC/$stem-*.png; done)
echo
echo "### All frames: lossless PNGs and thumbnails (-j $JOBS)"
echo
echo "| PNG / thumbnails             |     bytes | wall     | peak      |"
echo "|------------------------------|-----------|----------|-----------|"
prow() {
  local name=$1 dir=$2; shift 2
  /usr/bin/time -f '%e %M' -o "$OUT/time" "$@" >/dev/null 2>&1 || { printf '| %-28s | failed |\n' "$name"; return; }
  read -r secs kb < <(tail -1 "$OUT/time")
  printf '| %-28s | %9s | %6s s | %6s MB |\n' "$name" "$(cat $dir/*.png | wc -c)" "$secs" "$((kb / 1024))"
}
echo "| sources                      | $(printf %9s "$(cat $ALL | wc -c)") |          |           |"
if command -v oxipng >/dev/null; then
  rm -rf "$OUT/ox" && mkdir -p "$OUT/ox" && cp $ALL "$OUT/ox/"
  prow "oxipng -o2 --strip safe" "$OUT/ox" oxipng -q -o2 --strip safe -t "$JOBS" $OUT/ox/*.png
fi
if command -v vipsthumbnail >/dev/null; then
  rm -rf "$OUT/vt" && mkdir -p "$OUT/vt"
  printf '%s\n' $ALL > "$OUT/list"
  prow "vipsthumbnail -s 320" "$OUT/vt" bash -c 'xargs -P "$2" -n 8 vipsthumbnail -s 320 -o "$0/%s-thumb.png" < "$1"' "$OUT/vt" "$OUT/list" "$JOBS"
fi
# assetgen: a throwaway site holding just these frames.
SITE="$OUT/site"; mkdir -p "$SITE/assets-src/muscles/png" "$SITE/pages"
cp $ALL "$SITE/assets-src/muscles/png/"
echo "title: bench" > "$SITE/_config.yml"
for stem in "${stems[@]}"; do
  { echo "---"; echo "images:"; echo "  - image_name: muscles/gif/$stem.gif"; echo "gallery:";
    for i in $(seq 1 16); do echo "  - image_url: muscles/png/$stem-$i.png"; done; echo "---"; } > "$SITE/pages/$stem.md"
done
/usr/bin/time -f '%e %M' -o "$OUT/time" "$BIN" build -q -j "$JOBS" --site "$SITE" || true
read -r secs kb < <(tail -1 "$OUT/time")
P=$(find "$SITE/assets/images" -name '*.png' ! -name '*-thumb.png' -exec cat {} + | wc -c)
T=$(find "$SITE/assets/images" -name '*-thumb.png' -exec cat {} + | wc -c)
G=$(find "$SITE/assets/images" -name '*.gif' -exec cat {} + | wc -c)
printf '| %-28s | %9s | %6s s | %6s MB |\n' "assetgen build (whole job)" "$P png" "$secs" "$((kb / 1024))"
printf '| %-28s | %9s |          |           |\n' "  of which thumbnails" "$T"
printf '| %-28s | %9s |          |           |\n' "  of which GIFs" "$G"
rm -rf "$OUT"
