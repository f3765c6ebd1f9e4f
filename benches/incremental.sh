#!/usr/bin/env bash
# Incremental builds on a generated site of PAGES gallery pages (default 200):
# cold build (time, peak memory), no-op build, one touched frame; and the
# same cold build as 4 shards one after another plus `cache merge`, which
# must leave the same bytes as the single build.
# Usage: benches/incremental.sh [PAGES]
set -euo pipefail
cd "$(dirname "$0")/.."
PAGES=${1:-200}
JOBS=${JOBS:-2}
SITE=$(mktemp -d /tmp/assetgen-site.XXXXXX)
cargo build --release -q
cargo run --release -q --example gen_site -- "$SITE" "$PAGES"
BIN=$PWD/target/release/assetgen
SHARDED=$(mktemp -d /tmp/assetgen-sharded.XXXXXX)
cp -a "$SITE/." "$SHARDED/"
t() { /usr/bin/time -f '%e s, peak %M KB' "$@"; }
echo "site: $PAGES pages x 16 frames in $SITE"
echo -n "cold build:      "; t "$BIN" build -q -j "$JOBS" --site "$SITE" 2>&1 | tail -1
echo -n "no-op build:     "; t "$BIN" build -q -j "$JOBS" --site "$SITE" 2>&1 | tail -1
for k in 1 2 3 4; do
  echo -n "shard $k/4:       "; t "$BIN" build -q -j "$JOBS" --shard "$k/4" --site "$SHARDED" 2>&1 | tail -1
done
echo -n "cache merge:     "; t "$BIN" cache merge --site "$SHARDED" 2>&1 | tail -1
if diff -r -q "$SITE" "$SHARDED" >/dev/null; then
  echo "sharded + merge: same bytes as the single build"
else
  echo "sharded + merge: DIFFERS from the single build:"; diff -r -q "$SITE" "$SHARDED" | head
fi
echo -n "no-op after merge: "; t "$BIN" build -q -j "$JOBS" --site "$SHARDED" 2>&1 | tail -1
rm -rf "$SHARDED"
# A new render of one frame of one page.
F="$SITE/assets-src/muscles/png/Muscle0007-5.png"
cp "$SITE/assets-src/muscles/png/Muscle0009-5.png" "$F"
echo -n "one new frame:   "; t "$BIN" build -j "$JOBS" --json --site "$SITE" 2>"$SITE/err" >"$SITE/report.json" || true
tail -1 "$SITE/err"
python3 -c "import json,sys; r=json.load(open('$SITE/report.json')); print('  written:', sorted(w['path'] for w in r['written']))"
rm -rf "$SITE"
