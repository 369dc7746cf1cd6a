#!/usr/bin/env python3
"""Regenerates the committed llama.cpp-quantized fixture: a tiny Llama whose float32 weights
come from a closed-form hash (reproducible bit for bit in Swift), converted to GGUF the way
convert_hf_to_gguf.py does it, then quantized by REAL llama.cpp (`llama-quantize`) with one
GGML type per weight matrix and a synthetic importance matrix.

Offline only; the Swift tests never run Python. Run from anywhere:

    LLAMA_CPP_DIR=/path/to/llama.cpp python Tests/CheckpointsTests/Fixtures/make_llama_cpp_fixtures.py

Writes, under Fixtures/LlamaCpp/:
  tiny-llama-mixed.gguf  llama-quantize's output, byte for byte
  manifest.json          per tensor: stored type, SHA-256 of ggml's own dequantization (ggml
                         `to_float`, Hugging Face layout, float32 LE), relative L2 error vs
                         the generated weights; plus a few generated values as float32 bits
The F32 GGUF and the imatrix it was quantized with are written to a temporary directory only.

Set-up used to make the committed files (llama.cpp commit 0c1e57098bba43ac29e6e3b677cdceebdd22334f,
as vendored in llama-cpp-python 0.3.36; gguf-py 0.19.0 from the same tree):

    python3 -m venv /tmp/llamacpp && export PATH=/tmp/llamacpp/bin:$PATH
    pip install numpy scikit-build-core cmake ninja
    mkdir -p /tmp/llamacpp-src && cd /tmp/llamacpp-src
    pip download --no-deps --no-build-isolation --no-binary llama-cpp-python llama-cpp-python==0.3.36
    tar xzf llama_cpp_python-0.3.36.tar.gz
    cd llama_cpp_python-0.3.36/vendor/llama.cpp
    pip install ./gguf-py
    cmake -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF \\
          -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DGGML_NATIVE=ON
    cmake --build build --target llama-quantize llama-imatrix -j2

LLAMA_CPP_DIR defaults to /tmp/llamacpp-src/llama_cpp_python-0.3.36/vendor/llama.cpp; the script
uses $LLAMA_CPP_DIR/build/bin/llama-quantize and $LLAMA_CPP_DIR/build/bin/libggml-base.so.

Weight spec (all integer arithmetic mod 2^64, floating arithmetic IEEE double, in the order
written). Tensors are numbered t = 1, 2, … in Hugging Face order (embed_tokens = 1; per layer
input_layernorm, q, k, v, o, post_attention_layernorm, gate, up, down; model.norm = 29;
lm_head = 30). For flat row-major index i = r*cols + c (1-D: r = 0, c = i):
  splitmix64(x): z = x + 0x9E3779B97F4A7C15; z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
                 z = (z ^ (z >> 27)) * 0x94D049BB133111EB; return z ^ (z >> 31)
  h = splitmix64((t << 32) | i); a, b, c16, d = 16-bit fields of h (bits 0-15, …, 48-63)
  g = ((a + b + c16 + d) / 65536.0 - 2.0) * 1.7320508075688772
  tail = 4.0 if (splitmix64(h) & 63) == 0 else 1.0
  matrix: w = float32(((g * tail) * (0.02 * (1.0 + (r % 7) / 6.0))) * (6.0 if c % 61 == 5 else 1.0))
  norm:   w = float32(1.0 + 0.1 * g)
"""
import ctypes
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from importlib.metadata import version
from pathlib import Path

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T

from make_gguf_fixtures import permute, write_gguf_file  # LlamaModel.permute; gguf-py writer tail

HERE = Path(__file__).resolve().parent
OUT = HERE / "LlamaCpp"
LLAMA_CPP_DIR = Path(os.environ.get("LLAMA_CPP_DIR", "/tmp/llamacpp-src/llama_cpp_python-0.3.36/vendor/llama.cpp"))
LLAMA_CPP_COMMIT = "0c1e57098bba43ac29e6e3b677cdceebdd22334f"
LLAMA_CPP_PYTHON = "0.3.36"

N_EMBD, N_FF, N_LAYER, N_HEAD, N_HEAD_KV, N_VOCAB = 256, 256, 3, 4, 2, 32
HEAD_DIM = N_EMBD // N_HEAD
N_CTX, RMS_EPS, ROPE_THETA = 128, 1e-5, 10000.0

# Requested GGML type per GGUF weight matrix (norms stay F32).
REQUESTED = {
    "token_embd.weight": T.Q8_0,
    "blk.0.attn_q.weight": T.Q2_K, "blk.0.attn_k.weight": T.Q3_K, "blk.0.attn_v.weight": T.Q4_K,
    "blk.0.attn_output.weight": T.Q5_K, "blk.0.ffn_gate.weight": T.Q6_K,
    "blk.0.ffn_up.weight": T.IQ4_XS, "blk.0.ffn_down.weight": T.IQ4_NL,
    "blk.1.attn_q.weight": T.IQ3_S, "blk.1.attn_k.weight": T.IQ3_XXS, "blk.1.attn_v.weight": T.IQ2_S,
    "blk.1.attn_output.weight": T.IQ2_XS, "blk.1.ffn_gate.weight": T.IQ2_XXS,
    "blk.1.ffn_up.weight": T.IQ1_M, "blk.1.ffn_down.weight": T.IQ1_S,
    "blk.2.attn_q.weight": T.TQ1_0, "blk.2.attn_k.weight": T.TQ2_0, "blk.2.attn_v.weight": T.Q1_0,
    "blk.2.attn_output.weight": T.Q2_0, "blk.2.ffn_gate.weight": T.MXFP4,
    "blk.2.ffn_up.weight": T.NVFP4, "blk.2.ffn_down.weight": T.Q5_1,
    "output.weight": T.Q4_0,
}
BASE_FTYPE = "Q8_0"  # every quantized tensor is overridden, so this only sets general.file_type


# --- weights ------------------------------------------------------------------------------------

def hf_shapes() -> list:
    shapes = [("model.embed_tokens.weight", (N_VOCAB, N_EMBD))]
    for layer in range(N_LAYER):
        p = f"model.layers.{layer}."
        shapes += [
            (p + "input_layernorm.weight", (N_EMBD,)),
            (p + "self_attn.q_proj.weight", (N_HEAD * HEAD_DIM, N_EMBD)),
            (p + "self_attn.k_proj.weight", (N_HEAD_KV * HEAD_DIM, N_EMBD)),
            (p + "self_attn.v_proj.weight", (N_HEAD_KV * HEAD_DIM, N_EMBD)),
            (p + "self_attn.o_proj.weight", (N_EMBD, N_HEAD * HEAD_DIM)),
            (p + "post_attention_layernorm.weight", (N_EMBD,)),
            (p + "mlp.gate_proj.weight", (N_FF, N_EMBD)),
            (p + "mlp.up_proj.weight", (N_FF, N_EMBD)),
            (p + "mlp.down_proj.weight", (N_EMBD, N_FF)),
        ]
    shapes += [("model.norm.weight", (N_EMBD,)), ("lm_head.weight", (N_VOCAB, N_EMBD))]
    return shapes


def splitmix64(x: np.ndarray) -> np.ndarray:
    z = x + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def generate(t: int, shape: tuple) -> np.ndarray:
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        h = splitmix64((np.uint64(t) << np.uint64(32)) | i)
        h2 = splitmix64(h)
    m16 = np.uint64(0xFFFF)
    s = (h & m16) + ((h >> np.uint64(16)) & m16) + ((h >> np.uint64(32)) & m16) + (h >> np.uint64(48))
    g = (s.astype(np.float64) / 65536.0 - 2.0) * 1.7320508075688772
    if len(shape) == 1:
        return (1.0 + 0.1 * g).astype(np.float32)
    cols = shape[1]
    r = (i // np.uint64(cols)).astype(np.int64)
    c = (i % np.uint64(cols)).astype(np.int64)
    tail = np.where((h2 & np.uint64(63)) == 0, 4.0, 1.0)
    row_scale = 0.02 * (1.0 + (r % 7) / 6.0)
    col_scale = np.where(c % 61 == 5, 6.0, 1.0)
    return (((g * tail) * row_scale) * col_scale).astype(np.float32).reshape(shape)


def generate_one_python(t: int, i: int, cols: int | None) -> np.float32:
    """The same spec with Python ints, to cross-check the vectorised version."""
    mask = (1 << 64) - 1

    def sm(x):
        z = (x + 0x9E3779B97F4A7C15) & mask
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        return z ^ (z >> 31)

    h = sm(((t << 32) | i) & mask)
    g = (sum((h >> k) & 0xFFFF for k in (0, 16, 32, 48)) / 65536.0 - 2.0) * 1.7320508075688772
    if cols is None:
        return np.float32(1.0 + 0.1 * g)
    r, c = divmod(i, cols)
    tail = 4.0 if (sm(h) & 63) == 0 else 1.0
    return np.float32(((g * tail) * (0.02 * (1.0 + (r % 7) / 6.0))) * (6.0 if c % 61 == 5 else 1.0))


def unpermute(weights: np.ndarray, n_head: int, n_head_kv: int | None) -> np.ndarray:
    """Inverse of permute: GGUF row order back to Hugging Face row order."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return (weights.reshape(n_head, weights.shape[0] // n_head // 2, 2, *weights.shape[1:])
            .swapaxes(1, 2)
            .reshape(weights.shape))


def permutation_for(hf_name: str):
    if hf_name.endswith("q_proj.weight"):
        return (N_HEAD, N_HEAD)
    if hf_name.endswith("k_proj.weight"):
        return (N_HEAD, N_HEAD_KV)
    return None


# --- GGUF + imatrix -----------------------------------------------------------------------------

def write_f32_gguf(path: Path, converted: list) -> None:
    writer = gguf.GGUFWriter(path, arch="llama")
    writer.add_name("tiny-llama-mixed")
    writer.add_context_length(N_CTX)
    writer.add_embedding_length(N_EMBD)
    writer.add_block_count(N_LAYER)
    writer.add_feed_forward_length(N_FF)
    writer.add_head_count(N_HEAD)
    writer.add_head_count_kv(N_HEAD_KV)
    writer.add_rope_freq_base(ROPE_THETA)
    writer.add_layer_norm_rms_eps(RMS_EPS)
    writer.add_rope_dimension_count(HEAD_DIM)
    writer.add_vocab_size(N_VOCAB)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    # Minimal SentencePiece-style vocabulary: <unk>, <s>, </s>, then 29 plain pieces.
    tokens = ["<unk>", "<s>", "</s>"] + [f"\u2581t{i}" for i in range(3, N_VOCAB)]
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores([0.0, 0.0, 0.0] + [-float(i) for i in range(3, N_VOCAB)])
    writer.add_token_types([gguf.TokenType.UNKNOWN, gguf.TokenType.CONTROL, gguf.TokenType.CONTROL]
                           + [gguf.TokenType.NORMAL] * (N_VOCAB - 3))
    writer.add_unk_token_id(0)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    for gguf_name, data in converted:
        writer.add_tensor(gguf_name, data)
    write_gguf_file(writer)


IMATRIX_COUNT = 64


def write_imatrix(path: Path, converted: list) -> None:
    """llama.cpp's GGUF imatrix format (tools/imatrix/imatrix.cpp save_imatrix): per weight
    `<name>.in_sum2` F32 [n_per_row, 1] and `<name>.counts` F32 [1, 1]; llama-quantize uses
    in_sum2 / counts. Importance per input column: exp(N(0,1)), ×30 on the outlier columns
    (c % 61 == 5); in_sum2 = float32(importance) * 64 so the quotient is exactly float32(importance)."""
    rng = np.random.default_rng(20261130)
    writer = gguf.GGUFWriter(path, arch="llama")
    writer.add_type("imatrix")
    writer.add_array("imatrix.datasets", ["synthetic: exp(N(0,1)) per column, x30 where c % 61 == 5"])
    writer.add_uint32("imatrix.chunk_count", 1)
    writer.add_uint32("imatrix.chunk_size", IMATRIX_COUNT)
    for gguf_name, data in converted:
        if data.ndim != 2:
            continue
        cols = data.shape[1]
        importance = np.exp(rng.standard_normal(cols))
        importance[np.arange(cols) % 61 == 5] *= 30.0
        in_sum2 = importance.astype(np.float32) * np.float32(IMATRIX_COUNT)
        writer.add_tensor(gguf_name + ".in_sum2", in_sum2.reshape(1, cols))
        writer.add_tensor(gguf_name + ".counts", np.array([[IMATRIX_COUNT]], dtype=np.float32))
    write_gguf_file(writer)


def run_quantize(work: Path) -> str:
    exe = LLAMA_CPP_DIR / "build" / "bin" / "llama-quantize"
    args = [str(exe), "--imatrix", "imatrix.gguf",
            "--token-embedding-type", REQUESTED["token_embd.weight"].name,
            "--output-tensor-type", REQUESTED["output.weight"].name]
    for name, qtype in REQUESTED.items():
        if name.startswith("blk."):
            args += ["--tensor-type", "^" + re.escape(name) + "$=" + qtype.name]
    # Relative paths: quantize.imatrix.file is stored in the output, keep it path-independent.
    args += ["f32.gguf", "quantized.gguf", BASE_FTYPE, "1"]
    env = dict(os.environ, LD_LIBRARY_PATH=str(LLAMA_CPP_DIR / "build" / "bin"))
    proc = subprocess.run(args, cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          encoding="utf-8", errors="replace")
    if proc.returncode != 0:
        print(proc.stdout)
        raise SystemExit(f"llama-quantize failed with {proc.returncode}")
    return proc.stdout


# --- ggml reference dequantization ---------------------------------------------------------------

class GGMLTypeTraits(ctypes.Structure):
    _fields_ = [("type_name", ctypes.c_char_p), ("blck_size", ctypes.c_int64),
                ("blck_size_interleave", ctypes.c_int64), ("type_size", ctypes.c_size_t),
                ("is_quantized", ctypes.c_bool), ("to_float", ctypes.c_void_p),
                ("from_float_ref", ctypes.c_void_p)]


TO_FLOAT = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.POINTER(ctypes.c_float), ctypes.c_int64)


class GGML:
    def __init__(self):
        self.lib = ctypes.CDLL(str(LLAMA_CPP_DIR / "build" / "bin" / "libggml-base.so"))
        self.lib.ggml_get_type_traits.restype = ctypes.POINTER(GGMLTypeTraits)
        self.lib.ggml_get_type_traits.argtypes = [ctypes.c_int]

    def dequantize(self, raw: np.ndarray, qtype: T, n: int) -> np.ndarray:
        traits = self.lib.ggml_get_type_traits(int(qtype)).contents
        assert traits.type_name.decode().upper() == qtype.name, (traits.type_name, qtype)
        block, size = gguf.GGML_QUANT_SIZES[qtype]
        assert traits.blck_size == block and traits.type_size == size, qtype
        src = np.ascontiguousarray(raw).view(np.uint8).reshape(-1)
        assert src.size == n // block * size
        dst = np.empty(n, dtype=np.float32)
        TO_FLOAT(traits.to_float)(src.ctypes.data, dst.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), n)
        return dst


def numpy_dequantize_q1_0_q2_0(raw: np.ndarray, qtype: T) -> np.ndarray:
    """gguf-py has no Q1_0/Q2_0; a transcription of ggml-quants.c dequantize_row_q1_0/q2_0
    (f16 d, then 1-bit ±d or 2-bit (q - 1) * d, low bits first) to cross-check ggml's output."""
    block, size = gguf.GGML_QUANT_SIZES[qtype]
    blocks = np.ascontiguousarray(raw).view(np.uint8).reshape(-1, size)
    d = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    qs = blocks[:, 2:]
    if qtype == T.Q1_0:
        bits = (qs[:, :, None] >> np.arange(8, dtype=np.uint8)) & 1
        return np.where(bits.reshape(-1, block) != 0, d, -d).reshape(-1)
    q = (qs[:, :, None] >> (2 * np.arange(4, dtype=np.uint8))) & 3
    return ((q.reshape(-1, block).astype(np.int32) - 1).astype(np.float32) * d).reshape(-1)


def parse_log(log: str):
    """Per tensor: the type llama-quantize reports converting to (None: kept as is), and any
    fallback warning. llama-quantize mixes stdout and stderr, so lines can be interleaved."""
    result = {}
    pattern = r"\[\s*\d+/\s*\d+\]\s+(\S+\.weight)\s+- \[[^\]]*\], type =\s*(\w+), (?:converting to (\w+)|size)"
    for m in re.finditer(pattern, log):
        result[m.group(1)] = {"converting": m.group(3)}
    fallbacks = [line.strip() for line in log.splitlines() if "falling back" in line or "fallback" in line]
    return result, fallbacks


def main() -> None:
    shapes = hf_shapes()
    name_map = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, N_LAYER)
    hf, converted, gguf_names = {}, [], {}
    for t, (name, shape) in enumerate(shapes, start=1):
        data = generate(t, shape)
        hf[name] = data
        perm = permutation_for(name)
        if perm is not None:
            data = permute(data, *perm)
            assert np.array_equal(unpermute(data, *perm), hf[name])
        gguf_name = name_map.get_name(name, try_suffixes=(".weight", ".bias"))
        gguf_names[name] = gguf_name
        converted.append((gguf_name, np.ascontiguousarray(data)))
    assert sorted(g for g, d in converted if d.ndim == 2) == sorted(REQUESTED)

    # Cross-check the vectorised generator against scalar Python for a spread of indices.
    for t, (name, shape) in enumerate(shapes, start=1):
        flat = hf[name].reshape(-1)
        cols = shape[1] if len(shape) == 2 else None
        for i in sorted({0, 1, 5, 66, flat.size // 2, flat.size - 1}):
            assert flat[i].view(np.uint32) == generate_one_python(t, i, cols).view(np.uint32), (t, i)

    check_values = []

    def check(t, i):
        name, shape = shapes[t - 1]
        bits = int(hf[name].reshape(-1)[i].view(np.uint32))
        check_values.append({"tensor": t, "index": i, "bits": bits})
        print(f"check t={t:2d} i={i:5d} ({name}) bits=0x{bits:08X} value={hf[name].reshape(-1)[i]!r}")

    for t, i in [(1, 0), (1, 1), (2, 0), (2, 1), (2, 2), (2, 3), (3, 0), (3, 1), (3, 5), (3, 256 * 6 + 7)]:
        check(t, i)
    with np.errstate(over="ignore"):  # first index of t=3 where tail = 4
        n3 = 256 * 256
        h = splitmix64((np.uint64(3) << np.uint64(32)) | np.arange(n3, dtype=np.uint64))
        first_tail = int(np.argmax((splitmix64(h) & np.uint64(63)) == 0))
    check(3, first_tail)
    check(29, 255)
    check(30, N_VOCAB * N_EMBD - 1)

    ggml = GGML()
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        write_f32_gguf(work / "f32.gguf", converted)
        write_imatrix(work / "imatrix.gguf", converted)
        log = run_quantize(work)
        shutil.copyfile(work / "quantized.gguf", OUT / "tiny-llama-mixed.gguf")
    per_tensor_log, fallbacks = parse_log(log)
    for line in fallbacks:
        print("FALLBACK:", line)

    reader = gguf.GGUFReader(OUT / "tiny-llama-mixed.gguf")
    stored = {tensor.name: tensor for tensor in reader.tensors}
    assert sorted(stored) == sorted(gguf_names.values())
    hf_name_of = {g: h for h, g in gguf_names.items()}
    shape_of = dict(shapes)

    # Manifest order = the quantized file's order (llama-quantize reorders: output, output_norm,
    # token_embd, then each block's tensors sorted by name).
    tensors, gguf_py_diffs = [], []
    for tensor in reader.tensors:
        gname = tensor.name
        name = hf_name_of[gname]
        shape = shape_of[name]
        qtype = T(tensor.tensor_type)
        n = int(np.prod(shape))
        assert [int(x) for x in tensor.shape] == list(reversed(shape)), (gname, tensor.shape)
        if qtype == T.F32:
            deq = np.asarray(tensor.data, dtype=np.float32).reshape(-1).copy()
        else:
            deq = ggml.dequantize(np.asarray(tensor.data), qtype, n)
            if qtype in gguf.quants._type_traits or qtype in (T.Q1_0, T.Q2_0):
                if qtype in (T.Q1_0, T.Q2_0):
                    ref = numpy_dequantize_q1_0_q2_0(np.asarray(tensor.data), qtype)
                else:
                    ref = gguf.quants.dequantize(np.asarray(tensor.data).reshape(1, -1), qtype).reshape(-1)
                ref = ref.astype(np.float32)
                if not np.array_equal(ref.view(np.uint32), deq.view(np.uint32)):
                    diff = np.abs(ref.astype(np.float64) - deq.astype(np.float64))
                    gguf_py_diffs.append({"tensor": gname, "type": qtype.name,
                                          "differingElements": int(np.sum(ref.view(np.uint32) != deq.view(np.uint32))),
                                          "maxAbsDiff": float(diff.max())})
        deq = deq.reshape(shape)
        perm = permutation_for(name)
        if perm is not None:
            deq = unpermute(deq, *perm)
        original = hf[name].astype(np.float64)
        rel = float(np.linalg.norm(deq.astype(np.float64) - original) / np.linalg.norm(original))
        if qtype == T.F32:
            assert rel == 0.0, gname
        requested = REQUESTED.get(gname, T.F32)
        entry = {
            "name": name, "gguf": gname, "type": qtype.name, "requestedType": requested.name,
            "shape": list(shape),
            "dequantizedSHA256": hashlib.sha256(deq.astype("<f4").tobytes()).hexdigest(),
            "relativeError": rel, "permuted": perm is not None,
        }
        tensors.append(entry)
        logged = per_tensor_log[gname]["converting"]
        assert (logged or "f32").upper() == qtype.name, (gname, logged, qtype)
        note = "" if requested == qtype else "   <-- differs from requested " + requested.name
        print(f"{gname:26s} {qtype.name:8s} log={str(logged):8s} relErr={rel:.6f}{note}")

    manifest = {
        "llamaCpp": LLAMA_CPP_COMMIT,
        "llamaCppPython": LLAMA_CPP_PYTHON,
        "gguf": version("gguf"),
        "model": {"architecture": "llama", "hiddenSize": N_EMBD, "intermediateSize": N_FF,
                  "numHiddenLayers": N_LAYER, "numAttentionHeads": N_HEAD, "numKeyValueHeads": N_HEAD_KV,
                  "headDim": HEAD_DIM, "vocabSize": N_VOCAB, "rmsNormEps": RMS_EPS, "ropeTheta": ROPE_THETA,
                  "contextLength": N_CTX},
        "seedDescription": ("t = 1-based HF tensor index, i = row-major index; h = splitmix64((t << 32) | i); "
                            "g = ((sum of h's four 16-bit fields) / 65536.0 - 2.0) * 1.7320508075688772; "
                            "tail = 4.0 if (splitmix64(h) & 63) == 0 else 1.0; matrix w = float32(((g * tail) * "
                            "(0.02 * (1.0 + (r % 7) / 6.0))) * (6.0 if c % 61 == 5 else 1.0)); norm w = float32(1.0 + 0.1 * g)"),
        "imatrix": ("every 2-D weight: default_rng(20261130), per weight in file order exp(standard_normal(cols)), "
                    "x30 where c % 61 == 5; in_sum2 = float32(importance) * 64, counts = 64"),
        "quantizeCommand": "llama-quantize --imatrix imatrix.gguf --token-embedding-type Q8_0 --output-tensor-type Q4_0 "
                           "--tensor-type '^blk\\.N\\.NAME\\.weight$=TYPE' ... f32.gguf quantized.gguf Q8_0 1",
        "fallbacks": fallbacks,
        "ggufPyDequantizeDifferences": gguf_py_diffs,
        "checkValues": check_values,
        "tensors": tensors,
    }
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    if gguf_py_diffs:
        print("gguf-py vs ggml differences:", gguf_py_diffs)
    else:
        print("gguf-py dequantize (numpy transcription for Q1_0/Q2_0) matches ggml to_float bit for bit")
    for path in sorted(OUT.iterdir()):
        print(f"{path.relative_to(HERE)}  {path.stat().st_size} bytes  "
              f"sha256 {hashlib.sha256(path.read_bytes()).hexdigest()}")


if __name__ == "__main__":
    main()
