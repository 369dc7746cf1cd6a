#!/bin/sh
# Real llama.cpp copies of the real all-MiniLM-L6-v2: llama.cpp's own convert_hf_to_gguf.py
# (F32), then its llama-quantize in every preset a copier would pick, each scanned against the
# bundled MiniLM fingerprint. Prints one row per preset: the GGML types llama.cpp stored (MiniLM's
# rows of 384 are not whole 256-value super-blocks, so llama.cpp falls back to Q5_0/IQ4_NL/… for
# all but the FFN down matrices), the verdict and the rounding check.
#
# Builds llama.cpp from the sources llama-cpp-python 0.3.36 vendors (commit 0c1e570, about 5
# minutes on 2 cores) into .eval/llama-cpp/ (git-ignored; kept between runs). Needs PyPI, and
# torch for convert_hf_to_gguf.py: TORCH_WHEEL=path/to/torch-*.whl if you have one, else torch's
# CPU wheel from download.pytorch.org, else (that host unreachable) PyPI's much larger torch.
# Usage: sh eval/llama_cpp_minilm.sh PROVENANCE_BINARY MINILM_DIR
set -eu
BIN=$1
MINILM=$2
WORK=$(pwd)/.eval/llama-cpp
VENV=$WORK/venv
VERSION=0.3.36
LLAMA=$WORK/src/llama_cpp_python-$VERSION/vendor/llama.cpp
OUT=$WORK/minilm
PRESETS="Q8_0 Q6_K Q5_K_M Q5_0 Q4_K_M Q4_K_S Q4_0 Q4_1 IQ4_NL IQ4_XS Q3_K_M Q3_K_S IQ3_XXS IQ3_S Q2_K TQ2_0 Q2_0 Q1_0"

mkdir -p "$WORK/src" "$OUT"
if [ ! -f "$VENV/.installed" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check scikit-build-core cmake ninja numpy transformers sentencepiece
    if [ -n "${TORCH_WHEEL:-}" ]; then
        "$VENV/bin/pip" install -q --disable-pip-version-check "$TORCH_WHEEL"
    else
        "$VENV/bin/pip" install -q --disable-pip-version-check torch --index-url https://download.pytorch.org/whl/cpu \
            || "$VENV/bin/pip" install -q --disable-pip-version-check torch
    fi
    touch "$VENV/.installed"
fi
if [ ! -d "$LLAMA" ]; then
    "$VENV/bin/pip" download -q --no-deps --no-build-isolation --no-binary llama-cpp-python "llama-cpp-python==$VERSION" -d "$WORK/src"
    tar xzf "$WORK/src/llama_cpp_python-$VERSION.tar.gz" -C "$WORK/src"
    "$VENV/bin/pip" install -q --disable-pip-version-check "$LLAMA/gguf-py"
fi
if [ ! -x "$LLAMA/build/bin/llama-quantize" ]; then
    (cd "$LLAMA" && PATH="$VENV/bin:$PATH" && export PATH \
        && cmake -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF \
             -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF > build.log \
        && cmake --build build --target llama-quantize -j2 >> build.log)
fi

"$VENV/bin/python" "$LLAMA/convert_hf_to_gguf.py" "$MINILM" --outtype f32 --outfile "$OUT/minilm-F32.gguf" > "$OUT/convert.log" 2>&1
rm -f "$OUT/registry.sqlite"*
"$BIN" import Fingerprints/all-MiniLM-L6-v2@pypi-0.1.0.fingerprint.safetensors --registry "$OUT/registry.sqlite" > /dev/null
echo "| preset | tensors llama.cpp converted, by type | verdict | rounding check |"
echo "|---|---|---|---|"
for preset in F32 $PRESETS; do
    if [ "$preset" != F32 ]; then
        "$LLAMA/build/bin/llama-quantize" "$OUT/minilm-F32.gguf" "$OUT/minilm-$preset.gguf" "$preset" > "$OUT/quantize-$preset.log" 2>&1
    else
        : > "$OUT/quantize-F32.log"
    fi
    status=0
    "$BIN" scan "$OUT/minilm-$preset.gguf" --registry "$OUT/registry.sqlite" --json > "$OUT/scan-$preset.json" || status=$?
    [ $status -le 1 ]
    python3 - "$OUT" "$preset" <<'PY'
import collections, json, re, sys
out, preset = sys.argv[1], sys.argv[2]
log = open(f"{out}/quantize-{preset}.log").read()
stored = collections.Counter(t.upper() for t in re.findall(r"converting to (\w+)", log))
types = ", ".join(f"{n} {t}" for t, n in sorted(stored.items(), key=lambda item: -item[1])) or "F32"
verdict = json.load(open(f"{out}/scan-{preset}.json"))["result"]["candidates"][0]["verdict"]
rounding = verdict.get("rounding")
check = "—" if rounding is None else "deviation %.4f, expected %.4f, allowed %.4f" % (
    rounding["deviation"], rounding["expectedRounding"], rounding["allowedRounding"])
print(f"| {preset} | {types} | {verdict['kind']} | {check} |")
PY
done
