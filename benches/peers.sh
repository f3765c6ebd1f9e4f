#!/usr/bin/env bash
# Comparison against the peer tools on the example renders, stage by stage
# (GIF, lossless and lossy PNG, thumbnails) and for the whole job: bytes,
# fidelity (SSIM against the sources, or against a Lanczos3 premultiplied
# resize for thumbnails) and wall time / peak memory, in one run.
#
# Peers are used only where installed (nothing is linked):
#   cargo install gifski oxipng
#   apt-get install ffmpeg imagemagick pngquant libvips-tools python3-skimage python3-pil
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
    q=$(/usr/bin/python3 "${QTOOL:-$GIFQ}" "$out" $FRAMES | sed -E 's/.*ssim_mean=([0-9.]+) ssim_min=([0-9.]+).*/\1 (min \2)/')
  fi
  printf '| %-28s | %9s | %-19s | %6s s | %6s MB |\n' "$name" "$(stat -c %s "$out")" "$q" "$secs" "$((kb / 1024))"
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
  echo "| GIF                          |     bytes | SSIM                |   wall   |   peak    |"
  echo "|------------------------------|-----------|---------------------|----------|-----------|"
  row "assetgen (default)" "$OUT/a.gif" "$BIN" gif -j "$JOBS" -o "$OUT/a.gif" $FRAMES
  row "assetgen, no loss" "$OUT/a0.gif" "$BIN" gif -j "$JOBS" --gif-quality off --gif-lossy 0 -o "$OUT/a0.gif" $FRAMES
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

  # The videos beside the GIF: assetgen's in-process encoders against
  # ffmpeg's x264, VP9 and SVT-AV1 on the same frames flattened on white.
  # assetgen's rows include its GIF (the command makes both).
  QTOOL=benches/vidq.py
  echo
  echo "| Video                        |     bytes | SSIM                |   wall   |   peak    |"
  echo "|------------------------------|-----------|---------------------|----------|-----------|"
  row "assetgen .webm (AV1) + GIF" "$OUT/v.webm" "$BIN" gif -j "$JOBS" --video webm -o "$OUT/v.gif" $FRAMES
  row "assetgen .mp4 (H.264) + GIF" "$OUT/v.mp4" "$BIN" gif -j "$JOBS" --video mp4 -o "$OUT/v.gif" $FRAMES
  if command -v ffmpeg >/dev/null; then
    size=$(file -b "$SRC/$stem-1.png" | sed -E 's/.* ([0-9]+) x ([0-9]+).*/\1x\2/')
    flat="color=white:s=$size:r=10,format=rgb24[bg];[bg][0:v]overlay=shortest=1,format=yuv420p"
    ff=(ffmpeg -loglevel error -y -threads "$JOBS" -framerate 10 -i "$SRC/$stem-%d.png" -filter_complex "$flat")
    row "ffmpeg x264 slow crf 20" "$OUT/x.mp4" "${ff[@]}" -c:v libx264 -preset slow -crf 20 "$OUT/x.mp4"
    row "ffmpeg vp9 crf 32 cpu-used 2" "$OUT/x.webm" "${ff[@]}" -c:v libvpx-vp9 -crf 32 -b:v 0 -cpu-used 2 "$OUT/x.webm"
    row "ffmpeg svt-av1 crf 35 p6" "$OUT/s.webm" "${ff[@]}" -c:v libsvtav1 -crf 35 -preset 6 -svtav1-params loglevel=0 "$OUT/s.webm"
  fi
  unset QTOOL
done

# PNGs and thumbnails of every frame of every gallery, each stage on its
# own: `assetgen png` / `assetgen thumb` against oxipng, pngquant and
# vipsthumbnail, all on fresh copies of the same files.
ALL=$(for stem in "${stems[@]}"; do ls $SRC/$stem-*.png; done)
PNGQ=benches/pngq.py
echo
echo "### All frames: PNGs and thumbnails (-j $JOBS)"
echo
echo "| PNG / thumbnails             |     bytes | SSIM                |   wall   |   peak    |"
echo "|------------------------------|-----------|---------------------|----------|-----------|"
# prow NAME DIR MODE CMD... : MODE is lossless (no SSIM), same or thumbs.
prow() {
  local name=$1 dir=$2 mode=$3; shift 3
  /usr/bin/time -f '%e %M' -o "$OUT/time" "$@" >/dev/null 2>&1 || { printf '| %-28s | failed |\n' "$name"; return; }
  read -r secs kb < <(tail -1 "$OUT/time")
  local q="exact"
  if [ "$mode" != lossless ]; then
    q="n/a"
    [ "$HAVE_PY" = 1 ] && q=$(/usr/bin/python3 "$PNGQ" "$mode" "$OUT/srcs" "$dir" | sed -E 's/.*ssim_mean=([0-9.]+) ssim_min=([0-9.]+).*/\1 (min \2)/')
  fi
  printf '| %-28s | %9s | %-19s | %6s s | %6s MB |\n' "$name" "$(cat $dir/*.png | wc -c)" "$q" "$secs" "$((kb / 1024))"
}
fresh() { rm -rf "$1" && mkdir -p "$1" && cp $ALL "$1/"; }
fresh "$OUT/srcs"
echo "| sources                      | $(printf %9s "$(cat $ALL | wc -c)") |                     |          |           |"
if command -v oxipng >/dev/null; then
  fresh "$OUT/ox"
  prow "oxipng -o2 --strip safe" "$OUT/ox" lossless oxipng -q -o2 --strip safe -t "$JOBS" $OUT/ox/*.png
fi
for e in 1 2; do
  prow "assetgen png --png-effort $e" "$OUT/ap$e" lossless "$BIN" png -j "$JOBS" --png-effort $e -o "$OUT/ap$e" $ALL
done
prow "assetgen png --png-lossy" "$OUT/al" same "$BIN" png -j "$JOBS" --png-lossy -o "$OUT/al" $ALL
if command -v pngquant >/dev/null; then
  fresh "$OUT/pq"
  prow "pngquant (256 colours)" "$OUT/pq" same bash -c 'ls "$0"/*.png | xargs -P "$1" -n 8 pngquant --force --ext .png' "$OUT/pq" "$JOBS"
fi
if command -v vipsthumbnail >/dev/null; then
  mkdir -p "$OUT/vt"
  prow "vipsthumbnail -s 320" "$OUT/vt" thumbs bash -c 'ls "$0"/*.png | xargs -P "$2" -n 8 vipsthumbnail -s 320 -o "$1/%s-thumb.png"' "$OUT/srcs" "$OUT/vt" "$JOBS"
fi
prow "assetgen thumb (320)" "$OUT/at" thumbs "$BIN" thumb -j "$JOBS" -o "$OUT/at" $ALL
prow "assetgen thumb --png-lossy" "$OUT/atl" thumbs "$BIN" thumb -j "$JOBS" --png-lossy -o "$OUT/atl" $ALL
# assetgen: a throwaway site holding just these frames.
SITE="$OUT/site"; mkdir -p "$SITE/assets-src/muscles/png" "$SITE/pages"
cp $ALL "$SITE/assets-src/muscles/png/"
echo "title: bench" > "$SITE/_config.yml"
for stem in "${stems[@]}"; do
  { echo "---"; echo "images:"; echo "  - image_name: muscles/gif/$stem.gif"; echo "gallery:";
    for i in $(seq 1 16); do echo "  - image_url: muscles/png/$stem-$i.png"; done; echo "---"; } > "$SITE/pages/$stem.md"
done
# Like for like first (the peers make no videos), then the videos alone.
/usr/bin/time -f '%e %M' -o "$OUT/time" "$BIN" build -q -j "$JOBS" --video none --site "$SITE" || true
read -r secs kb < <(tail -1 "$OUT/time")
/usr/bin/time -f '%e %M' -o "$OUT/vtime" "$BIN" build -q -j "$JOBS" --site "$SITE" || true
read -r vsecs vkb < <(tail -1 "$OUT/vtime")
WEBM=$(find "$SITE/assets/images" -name '*.webm' -exec cat {} + | wc -c)
MP4=$(find "$SITE/assets/images" -name '*.mp4' -exec cat {} + | wc -c)
P=$(find "$SITE/assets/images" -name '*.png' ! -name '*-thumb.png' -exec cat {} + | wc -c)
T=$(find "$SITE/assets/images" -name '*-thumb.png' -exec cat {} + | wc -c)
G=$(find "$SITE/assets/images" -name '*.gif' -exec cat {} + | wc -c)
echo
echo "### The whole job: every GIF, PNG and thumbnail (-j $JOBS)"
echo
echo "| whole job                    |  PNG bytes | thumb bytes |  GIF bytes |   wall   |   peak    |"
echo "|------------------------------|------------|-------------|------------|----------|-----------|"
printf '| %-28s | %10s | %11s | %10s | %6s s | %6s MB |\n' "assetgen build --video none" "$P" "$T" "$G" "$secs" "$((kb / 1024))"
if command -v gifski >/dev/null && command -v oxipng >/dev/null && command -v vipsthumbnail >/dev/null; then
  fresh "$OUT/sh" && mkdir -p "$OUT/sh/t" "$OUT/sh/g"
  cat > "$OUT/pipeline.sh" <<EOS
set -e
for stem in ${stems[*]}; do
  gifski --quality 90 -o "$OUT/sh/g/\$stem.gif" \$(for i in \$(seq 1 16); do echo "$OUT/sh/\$stem-\$i.png"; done)
done
ls "$OUT"/sh/*.png | xargs -P $JOBS -n 8 vipsthumbnail -s 320 -o "$OUT/sh/t/%s-thumb.png"
oxipng -q -o2 --strip safe -t $JOBS "$OUT"/sh/*.png
EOS
  /usr/bin/time -f '%e %M' -o "$OUT/time" bash "$OUT/pipeline.sh" >/dev/null 2>&1
  read -r secs kb < <(tail -1 "$OUT/time")
  printf '| %-28s | %10s | %11s | %10s | %6s s | %6s MB |\n' "gifski + vipsthumbnail + oxipng" \
    "$(cat "$OUT"/sh/*.png | wc -c)" "$(cat "$OUT"/sh/t/*.png | wc -c)" "$(cat "$OUT"/sh/g/*.gif | wc -c)" "$secs" "$((kb / 1024))"
fi
echo
echo "The next \`assetgen build\` (default settings) adds the videos: .webm $WEBM bytes, .mp4 $MP4 bytes, in $vsecs s, peak $((vkb / 1024)) MB."
rm -rf "$OUT"
