# Everyday commands. `make build` builds the example site in this folder.
CARGO ?= cargo

.PHONY: build test test-tools lint fmt bench bench-peers bench-large bench-incremental bench-watch fuzz check clean man

# The main job on the bundled example site (outputs in assets/images/).
build:
	$(CARGO) run --release -- build

# Everything CI runs: unit, integration and PngSuite tests, plus lints.
test: test-tools
	$(CARGO) test --all-targets
	$(MAKE) lint

# The tests decode the videos with ffmpeg (assetgen itself never runs it):
# installed with apt-get when missing.
test-tools:
	@bash .ci/install-test-tools

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings

fmt:
	$(CARGO) fmt

# Criterion benchmarks of the pipeline stages.
bench:
	$(CARGO) bench

check:
	$(CARGO) run --release -- check

clean:
	$(CARGO) run --release -- clean

# The man page, generated from the same definitions as --help.
man:
	mkdir -p target/man
	$(CARGO) run --release -- man > target/man/assetgen.1

# Side-by-side with gifski, ffmpeg, ImageMagick, oxipng, vipsthumbnail
# (those installed): bytes, SSIM, wall time, peak memory.
bench-peers:
	benches/peers.sh

# The GIF against gifski over issue #12's range (the example renders, and
# synthetic and enlarged 800-1080 px turntables): bytes, SSIM, median wall
# time of alternate runs, and bytes at gifski's SSIM.
bench-large:
	benches/gif-large.sh

# Cold, no-op and one-frame builds of a generated 200-page site, and the
# cold build again as 4 shards plus `cache merge`.
bench-incremental:
	benches/incremental.sh 200

# `watch`: from a render's last frame landing to its page's outputs.
bench-watch:
	benches/watch.sh

# Fuzz the front-matter parser and editor (needs a nightly toolchain and
# `cargo install cargo-fuzz`); seeded with the real pages. FUZZ_TIME seconds.
FUZZ_TIME ?= 300
fuzz:
	mkdir -p fuzz/corpus/frontmatter
	cd fuzz && cargo +nightly fuzz run frontmatter corpus/frontmatter ../tests/fixtures/site/pages -- -max_total_time=$(FUZZ_TIME)
