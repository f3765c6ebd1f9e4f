#!/usr/bin/env bash
# `assetgen watch` latency: a renderer writes a new 16-frame turntable of
# one page of the example site (480x720 frames, one every PACE seconds);
# measured from the last frame landing to watch's status line saying the
# page's outputs are written, against that build's own time plus the
# debounce.
# Usage: benches/watch.sh   (JOBS, DEBOUNCE ms, PACE s from the environment)
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-2}
DEBOUNCE=${DEBOUNCE:-300}
PACE=${PACE:-0.5}
cargo build --release -q
BIN=$PWD/target/release/assetgen
SITE=$(mktemp -d /tmp/assetgen-watch.XXXXXX)
cp -a _config.yml pages assets-src "$SITE/"
"$BIN" build -q -j "$JOBS" --site "$SITE"
SRC=$SITE/assets-src/muscles/png
# The new render: the scapularis's frames, written over the gastrocnemius's
# (all its outputs must be made again).
mkdir "$SITE/new"
for n in $(seq 1 16); do cp "$SRC/Back-Scapularis-$n.png" "$SITE/new/$n.png"; rm "$SRC/Leg-Gastrocnemius-$n.png"; done
LOG=$SITE/watch.log
"$BIN" watch -j "$JOBS" --debounce "$DEBOUNCE" --site "$SITE" 2>"$LOG" &
PID=$!
trap 'kill -INT $PID 2>/dev/null || true; rm -rf "$SITE"' EXIT
until grep -q '^watching' "$LOG"; do sleep 0.05; done
for n in $(seq 1 16); do
  cp "$SITE/new/$n.png" "$SRC/Leg-Gastrocnemius-$n.png"
  LAST=$(date +%s.%N)
  [ "$n" -lt 16 ] && sleep "$PACE"
done
PAGE=pages/muscles/muscle_leg-gastrocnemius.md
until grep -q "^built $PAGE" "$LOG"; do sleep 0.01; done
DONE=$(date +%s.%N)
LINE=$(grep "^built $PAGE" "$LOG" | tail -1)
BUILD=$(echo "$LINE" | sed -E 's/.* in ([0-9.]+) s.*/\1/')
grep -v '^watching' "$LOG" | sed 's/^/  watch: /'
python3 - "$LAST" "$DONE" "$BUILD" "$DEBOUNCE" <<'PY'
import sys
last, done, build, debounce = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]) / 1000
latency = done - last
print(f"last frame -> outputs written: {latency:.2f} s")
print(f"page's own build {build:.2f} s + debounce {debounce:.2f} s = {build + debounce:.2f} s")
print(f"overhead beyond that: {latency - build - debounce:+.2f} s")
PY
