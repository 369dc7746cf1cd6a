#!/usr/bin/env python3
"""Quantizes a MiniLM checkpoint with the GPTQ algorithm itself, to check how provenance judges a
real GPTQ file (its rounding budget assumes round-to-nearest errors; GPTQ trades weight error for
output error).

GPTQ as AutoGPTQ's `GPTQ.fasterquant` runs it (Frantar et al. 2023): per linear layer, the Hessian
H = 2/n Σ x xᵀ of its calibration inputs, dampened by 1 % of its mean diagonal; columns in
descending order of diag(H) (`desc_act=True`); blocks of 128 columns; per group of 128 columns
the symmetric quantizer of `Quantizer.find_params` (`sym=True`; `--bits` 2, 3, 4 or 8, default 4:
maxq = 2^bits − 1, scale = 2·max|w| / maxq, zero = 2^(bits−1)) on the already-updated weights;
each column's error spread over the remaining columns through the Cholesky factor of H⁻¹.
Layers are quantized in order, each on the outputs of the already-quantized layers before it,
as AutoGPTQ does. Calibration: 128 windows of 64 tokens of /usr/share/common-licenses,
tokenised with the model's own WordPiece (eval/train_minilm.py).

The output is what AutoGPTQ saves: every linear layer `P` of the encoder as `P.qweight`
(I32 [K·bits/32, N]), `P.qzeros` (I32 [G, N·bits/32], each zero − 1), `P.scales` (F16 [G, N]),
`P.g_idx` (I32 [K]) and `P.bias` (F16); every other tensor as F16 (position ids as I64), plus
the model's config and tokenizer files. `QuantLinear.pack` packs each column of codes [K, N]
(and each group's row of zeros along N) as a little-endian bit stream over I32 words, code k at
bits k·bits … k·bits + bits − 1: at 2, 4 and 8 bits 32/bits codes per word, the first in the
lowest bits; at 3 bits 32 codes per 3 words, codes 10 and 21 of each 32 split across two words
(so K and N must be multiples of 32). It also prints, per run, the weight-space error of GPTQ
against that of rounding each weight to nearest on the same groups (Σ scale²/12 is what the
tool predicts for the latter).

    python eval/gptq_minilm.py --model .cache/models/all-MiniLM-L6-v2 --out /tmp/minilm-gptq-real

With `--layout compressed-tensors` it runs GPTQ as llm-compressor's `GPTQModifier` does by
default (W4A16, `actorder` static): each contiguous group's symmetric scale (largest magnitude /
((2^bits − 1)/2), 7.5 at 4 bits) from the original weights, stored as F32 (the model's dtype),
codes −2^(bits−1) … 2^(bits−1) − 1, columns still processed in descending order of diag(H) with
the same error feedback, and saves what llm-compressor saves: `P.weight_packed` (I32
[N, ceil(K/pf)]: compressed-tensors' `pack_to_int32`, pf = 32 // bits codes + 2^(bits−1) per word
along a row, code c in word c // pf at bit bits·(c % pf) — 16 at 2 bits, 10 at 3 bits with the
top two bits of each word unused, 8 at 4, 4 at 8 — each row padded with zero bits to whole
words), `P.weight_scale` (F32 [N, G]), `P.weight_shape` (I64 [2], [N, K]) and a `recipe.yaml`
naming the GPTQModifier (scheme W4A16 at 4 bits, else a config group stating `num_bits`). With
`--actorder group` as well, it runs GPTQModifier's `actorder: group`: the columns ranked by
diag(H) first, each run of 128 ranks a group whose scale comes from the original weights, and
each column's group saved as `P.weight_g_idx` (I32 [K]).

Before writing, every layer's packed words are read back bit by bit by an independent decoder
and must give the codes that were packed (else the script stops with an error).

    python eval/gptq_minilm.py --model .cache/models/all-MiniLM-L6-v2 --out /tmp/gptq-3bit --bits 3
"""

import argparse
import json
import math
import os
import shutil
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_minilm import COMPANIONS, LAYERS, HIDDEN, HEADS, EPS, WordPiece, licenses_corpus, read_safetensors  # noqa: E402

GROUP, BLOCK, DAMP, BITS = 128, 128, 0.01, 4
WIDTHS = (2, 3, 4, 8)                                       # the widths AutoGPTQ's QuantLinear packs


def signed_range(bits):
    """The symmetric codes −2^(bits−1) … 2^(bits−1) − 1 (compressed-tensors' int range)."""
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def erf(x):
    # Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7): enough for calibration activations.
    sign = np.sign(x)
    x = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * x)
    y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * np.exp(-x * x)
    return sign * y


def gelu(x):
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def layer_norm(x, weight, bias):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + EPS) * weight + bias


def quantizer(x, bits=BITS):
    """AutoGPTQ's symmetric `find_params` per row of x [rows, group]: scale and zero per row."""
    maxq = 2 ** bits - 1
    xmin = np.minimum(x.min(1), 0)
    xmax = np.maximum(x.max(1), 0)
    xmax = np.maximum(np.abs(xmin), xmax)
    xmin = np.where(xmin < 0, -xmax, xmin)
    both_zero = (xmin == 0) & (xmax == 0)
    xmin = np.where(both_zero, -1, xmin)
    xmax = np.where(both_zero, 1, xmax)
    scale = (xmax - xmin) / maxq
    zero = np.full_like(scale, (maxq + 1) / 2)
    return scale, zero


def quantize(w, scale, zero, bits=BITS):
    q = np.clip(np.round(w / scale) + zero, 0, 2 ** bits - 1)
    return scale * (q - zero)


def ordered(weight, hessian):
    """The weight (dead columns zeroed) with its columns in descending order of diag(H), the
    upper Cholesky factor of the dampened H⁻¹ in that order, and the order."""
    W = weight.astype(np.float64).copy()
    H = hessian.copy()
    columns = W.shape[1]
    dead = np.diag(H) == 0
    H[dead, dead] = 1
    W[:, dead] = 0
    perm = np.argsort(-np.diag(H), kind="stable")
    W = W[:, perm]
    H = H[perm][:, perm]
    H[np.diag_indices(columns)] += DAMP * np.mean(np.diag(H))
    L = np.linalg.cholesky(H)
    Hinv = np.linalg.inv(L).T @ np.linalg.inv(L)           # H⁻¹ (cholesky_inverse)
    return W, np.linalg.cholesky(Hinv).T, perm               # upper factor


def error_feedback(W, Hinv, quantize_column):
    """GPTQ's loop over blocks of 128 columns: `quantize_column(k, w, upcoming)` rounds column k
    (`upcoming()` gives the current weights from column k on), and the error is spread over the
    columns still to come. The quantized weight, in W's column order."""
    columns = W.shape[1]
    Q = np.zeros_like(W)
    for i1 in range(0, columns, BLOCK):
        i2 = min(i1 + BLOCK, columns)
        W1 = W[:, i1:i2].copy()
        Err1 = np.zeros_like(W1)
        Hinv1 = Hinv[i1:i2, i1:i2]
        for i in range(i2 - i1):
            w = W1[:, i]
            q = quantize_column(i1 + i, w, lambda: np.concatenate([W1[:, i:], W[:, i2:]], axis=1))
            Q[:, i1 + i] = q
            err = (w - q) / Hinv1[i, i]
            W1[:, i:] -= np.outer(err, Hinv1[i, i:])
            Err1[:, i] = err
        W[:, i2:] -= Err1 @ Hinv[i1:i2, i2:]
    return Q


def gptq(weight, hessian, bits=BITS):
    """`fasterquant(blocksize=128, percdamp=.01, groupsize=128, actorder=True)`: the dequantized
    weight Q [rows, columns], per-group scales and zeros [groups, rows] in processing order, g_idx."""
    W, Hinv, perm = ordered(weight, hessian)
    scales, zeros = [], []

    def quantize_column(k, w, upcoming):
        if k % GROUP == 0:
            # The group's parameters from the current (updated) weights, as AutoGPTQ reads W[:, k : k+group].
            scale, zero = quantizer(upcoming()[:, :GROUP], bits)
            scales.append(scale)
            zeros.append(zero)
        return quantize(w, scales[-1], zeros[-1], bits)

    Q = error_feedback(W, Hinv, quantize_column)
    invperm = np.argsort(perm)
    g_idx = (np.arange(W.shape[1]) // GROUP)[invperm]
    return Q[:, invperm], np.array(scales), np.array(zeros), g_idx


def gptq_static(weight, hessian, bits=BITS):
    """llm-compressor's GPTQ with `actorder` static: the scale of each contiguous group of 128
    columns from the original weights (symmetric, largest magnitude / ((2^bits − 1)/2), F32),
    columns processed in descending order of diag(H) with AutoGPTQ's error feedback. The
    dequantized weight Q and the scales [N, G]."""
    rows, columns = weight.shape
    largest = np.abs(weight.astype(np.float64).reshape(rows, columns // GROUP, GROUP)).max(2)
    scales = np.where(largest > 0, largest / ((2 ** bits - 1) / 2), 1.0).astype(np.float32).astype(np.float64)   # [N, G]
    low, high = signed_range(bits)
    W, Hinv, perm = ordered(weight, hessian)
    column_scale = scales[:, perm // GROUP]                                                # [N, K] in processing order

    def quantize_column(k, w, upcoming):
        return np.clip(np.round(w / column_scale[:, k]), low, high) * column_scale[:, k]

    return error_feedback(W, Hinv, quantize_column)[:, np.argsort(perm)], scales


def gptq_group(weight, hessian, bits=BITS):
    """llm-compressor's GPTQ with `actorder` group: columns in descending order of diag(H), each
    run of 128 of them a group whose symmetric scale (largest magnitude / ((2^bits − 1)/2), F32)
    comes from the original weights, AutoGPTQ's error feedback in that order. The dequantized weight Q, the
    scales [N, G] (groups in rank order) and g_idx [K] (each column's group)."""
    rows, columns = weight.shape
    W, Hinv, perm = ordered(weight, hessian)
    largest = np.abs(W.reshape(rows, columns // GROUP, GROUP)).max(2)
    scales = np.where(largest > 0, largest / ((2 ** bits - 1) / 2), 1.0).astype(np.float32).astype(np.float64)   # [N, G]
    low, high = signed_range(bits)
    column_scale = np.repeat(scales, GROUP, axis=1)                                        # [N, K] in processing order

    def quantize_column(k, w, upcoming):
        return np.clip(np.round(w / column_scale[:, k]), low, high) * column_scale[:, k]

    invperm = np.argsort(perm)
    g_idx = (np.arange(columns) // GROUP)[invperm]
    return error_feedback(W, Hinv, quantize_column)[:, invperm], scales, g_idx


def pack_stream(codes, bits):
    """AutoGPTQ's `QuantLinear.pack` of unsigned `bits`-bit codes [K, N] along K: I32
    [K·bits/32, N], each column a little-endian bit stream with code k at bits k·bits … At 2, 4
    and 8 bits that is 32/bits codes per word, the first in the lowest bits; at 3 bits a band of
    32 codes fills 3 words and codes 10 and 21 straddle two."""
    band = 32 // math.gcd(32, bits)                         # codes per whole number of words
    if codes.shape[0] % band:
        raise ValueError(f"{bits}-bit packing needs a multiple of {band} codes along the packed axis, not {codes.shape[0]}")
    c = codes.astype(np.uint64).reshape(codes.shape[0] // band, band, *codes.shape[1:])
    packed = np.zeros((c.shape[0], band * bits // 32) + c.shape[2:], dtype=np.uint64)
    for i in range(band):
        word, offset = divmod(i * bits, 32)
        packed[:, word] |= (c[:, i] << offset) & 0xFFFFFFFF
        if offset + bits > 32:                              # the high bits spill into the next word
            packed[:, word + 1] |= c[:, i] >> (32 - offset)
    return packed.reshape(-1, *codes.shape[1:]).astype(np.uint32).view(np.int32)


def pack_to_int32(unsigned, bits):
    """compressed-tensors' `pack_to_int32(packed_dim=1)` of unsigned codes [N, K]: pf = 32 // bits
    codes per I32 word along a row, code c in word c // pf at bit bits·(c % pf) (at 3 bits ten
    codes and two unused bits per word), each row padded with zero bits to whole words."""
    pf = 32 // bits
    rows, columns = unsigned.shape
    padded = np.zeros((rows, -(-columns // pf) * pf), dtype=np.uint32)
    padded[:, :columns] = unsigned
    packed = np.zeros((rows, padded.shape[1] // pf), dtype=np.uint32)
    for j in range(pf):
        packed |= padded[:, j::pf] << (bits * j)
    return packed.view(np.int32)


def pack_int4_rows(unsigned):
    """`pack_to_int32` of 4-bit unsigned codes [N, K] (eval/awq_minilm.py's layout)."""
    return pack_to_int32(unsigned, 4)


def read_bits(words, starts, bits):
    """The independent decoder of the self-check: `bits`-bit values starting at bit `starts`
    [count] of each column's little-endian stream over the I32 words [W, M], assembled one bit
    at a time (nothing shared with the packers). [count, M]."""
    words = words.view(np.uint32).astype(np.int64)
    values = np.zeros((len(starts), words.shape[1]), dtype=np.int64)
    for b in range(bits):
        position = starts + b
        values |= ((words[position // 32] >> (position % 32)[:, None]) & 1) << b
    return values


def check_round_trip(what, decoded, expected):
    """Stops the run when packed codes do not read back as packed: a layout bug must not reach a file."""
    if decoded.shape != expected.shape or not np.array_equal(decoded, expected):
        wrong = int((decoded != expected).sum()) if decoded.shape == expected.shape else "shape"
        raise SystemExit(f"self-check failed: {what} does not unpack to the codes packed ({wrong} differ)")


def pack_compressed(Q, scales, g_idx=None, bits=BITS, name="?"):
    """compressed-tensors' `pack_to_int32` of the codes round(Q / scale) (−2^(bits−1) …
    2^(bits−1) − 1, + 2^(bits−1)) along a row, and the F32 scales: weight_packed, weight_scale,
    weight_shape, and the values. Each column's scale is its group's: column // 128, or
    g_idx[column] in activation order."""
    rows, columns = Q.shape
    column_scale = np.repeat(scales, GROUP, axis=1) if g_idx is None else scales[:, g_idx]
    low, high = signed_range(bits)
    codes = np.clip(np.round(Q / column_scale), low, high).astype(np.int64)
    unsigned = codes - low
    weight_packed = pack_to_int32(unsigned.astype(np.uint32), bits)
    # Every slot of every word, padding and (at 3 bits) the unused top bits included.
    pf = 32 // bits
    slots = np.arange(weight_packed.shape[1] * pf)
    decoded = read_bits(weight_packed.T, (slots // pf) * 32 + bits * (slots % pf), bits).T
    check_round_trip(f"{name}.weight_packed", decoded[:, :columns], unsigned)
    check_round_trip(f"{name}.weight_packed padding", decoded[:, columns:], np.zeros((rows, len(slots) - columns), dtype=np.int64))
    if pf * bits < 32:
        check_round_trip(f"{name}.weight_packed unused bits", weight_packed.view(np.uint32) >> (pf * bits), np.zeros(weight_packed.shape, dtype=np.uint32))
    return weight_packed, scales.astype(np.float32), np.array([rows, columns], dtype=np.int64), codes * column_scale


def pack(Q, scales, zeros, g_idx, bits=BITS, name="?"):
    """AutoGPTQ's `QuantLinear.pack`: codes from the dequantized weight and F16 scales."""
    maxq = 2 ** bits - 1
    rows, columns = Q.shape                                   # [N, K]
    half = scales.astype(np.float16)                          # [G, N]
    intweight = np.round((Q + (zeros * half.astype(np.float64))[g_idx].T) / half.astype(np.float64)[g_idx].T).astype(np.int64)
    intweight = np.clip(intweight, 0, maxq).T                 # [K, N]
    qweight = pack_stream(intweight, bits)
    z = (zeros.astype(np.int64) - 1) & maxq                   # zeros − 1
    qzeros = np.ascontiguousarray(pack_stream(z.T, bits).T)   # along N, as qweight along K
    check_round_trip(f"{name}.qweight", read_bits(qweight, np.arange(columns) * bits, bits), intweight)
    check_round_trip(f"{name}.qzeros", read_bits(qzeros.T, np.arange(rows) * bits, bits).T, z)
    # The values the file holds: (code − zero) × F16 scale of each row's group.
    dequantized = ((intweight - zeros.astype(np.int64)[g_idx]) * half.astype(np.float64)[g_idx]).T
    return qweight, qzeros, half, g_idx.astype(np.int32), dequantized


def write_safetensors(path, tensors, quantized_by):
    names = {np.dtype(np.float16): "F16", np.dtype(np.float32): "F32", np.dtype(np.int32): "I32", np.dtype(np.int64): "I64"}
    header, offset, blobs = {}, 0, []
    for name, array in tensors:
        array = np.ascontiguousarray(array)
        blob = array.tobytes()
        header[name] = {"dtype": names[array.dtype], "shape": list(array.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    header = {"__metadata__": {"format": "pt", "quantized_by": quantized_by}, **header}
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as handle:
        handle.write(struct.pack("<Q", len(encoded)))
        handle.write(encoded)
        for blob in blobs:
            handle.write(blob)


def calibration_batch(model, samples, length):
    """`samples` windows of `length` tokens of /usr/share/common-licenses ([CLS] … [SEP]),
    evenly spaced through the corpus, tokenised with the model's own WordPiece."""
    tokenizer = WordPiece(os.path.join(model, "vocab.txt"))
    ids = np.array([i for text in licenses_corpus() for i in tokenizer.encode(text)], dtype=np.int64)
    windows = length - 2
    cls, sep = tokenizer.vocab["[CLS]"], tokenizer.vocab["[SEP]"]
    starts = np.linspace(0, len(ids) - windows - 1, samples).astype(np.int64)
    return np.stack([np.concatenate([[cls], ids[s:s + windows], [sep]]) for s in starts])


def embed(p, batch):
    """BERT's embeddings of `batch` before their LayerNorm."""
    x = p["embeddings.word_embeddings.weight"][batch] + p["embeddings.position_embeddings.weight"][:batch.shape[1]][None]
    return x + p["embeddings.token_type_embeddings.weight"][0]


def write_checkpoint(out, model, tensors, quantized_by):
    """`out/model.safetensors` of `tensors` and the model's companion files."""
    os.makedirs(out, exist_ok=True)
    write_safetensors(os.path.join(out, "model.safetensors"), tensors, quantized_by)
    for companion in COMPANIONS:
        source = os.path.join(model, companion)
        if os.path.exists(source):
            shutil.copyfile(source, os.path.join(out, companion))


def argument_parser(doc):
    """The quantizer scripts' common options: the model, the output and the calibration windows."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--model", required=True, help="directory of a MiniLM checkpoint (model.safetensors, vocab.txt)")
    parser.add_argument("--out", required=True)
    parser.add_argument("--samples", type=int, default=128)
    parser.add_argument("--length", type=int, default=64)
    return parser


RECIPE = """default_stage:
  default_modifiers:
    GPTQModifier:
      targets: [Linear]
      ignore: [lm_head]
      scheme: W4A16
"""

# llm-compressor has no group-128 preset at other widths (W8A16 is per channel): the scheme spelled out.
RECIPE_BITS = """default_stage:
  default_modifiers:
    GPTQModifier:
      ignore: [lm_head]
      config_groups:
        group_0:
          targets: [Linear]
          weights:
            num_bits: {bits}
            type: int
            symmetric: true
            strategy: group
            group_size: 128
"""


def main():
    parser = argument_parser(__doc__)
    parser.add_argument("--layout", choices=["autogptq", "compressed-tensors"], default="autogptq")
    parser.add_argument("--actorder", choices=["static", "group"], default="static",
                        help="llm-compressor's activation ordering (compressed-tensors layout only)")
    parser.add_argument("--bits", type=int, choices=WIDTHS, default=BITS, help="code width (default 4)")
    args = parser.parse_args()
    bits = args.bits
    compressed = args.layout == "compressed-tensors"
    grouped = compressed and args.actorder == "group"
    column_groups = {}

    tensors, order, _ = read_safetensors(os.path.join(args.model, "model.safetensors"))
    p = {k: v.astype(np.float64) for k, v in tensors.items() if v.dtype == np.float32}
    batch = calibration_batch(args.model, args.samples, args.length)
    x = layer_norm(embed(p, batch), p["embeddings.LayerNorm.weight"], p["embeddings.LayerNorm.bias"])
    dh = HIDDEN // HEADS
    quantized, report = {}, []

    def hessian(inputs):
        flat = inputs.reshape(-1, inputs.shape[-1])
        return 2.0 / flat.shape[0] * flat.T @ flat

    def run(name, inputs):
        original = p[name + ".weight"]
        if grouped:
            Q, scales, g_idx = gptq_group(original, hessian(inputs), bits)
            packed = pack_compressed(Q, scales, g_idx, bits, name)
            column_groups[name] = g_idx.astype(np.int32)
            step = packed[1].astype(np.float64)[:, g_idx]                                  # [N, K]
        elif compressed:
            Q, scales = gptq_static(original, hessian(inputs), bits)
            packed = pack_compressed(Q, scales, bits=bits, name=name)
            step = np.repeat(packed[1].astype(np.float64), GROUP, axis=1)                 # [N, K]
        else:
            Q, scales, zeros, g_idx = gptq(original, hessian(inputs), bits)
            packed = pack(Q, scales, zeros, g_idx, bits, name)
            step = packed[2].astype(np.float64)[g_idx].T
        quantized[name] = packed
        nearest = np.clip(np.round(original / step), *signed_range(bits)) * step
        predicted = float((step ** 2).sum() / 12)
        report.append((name, float(((packed[-1] - original) ** 2).sum()), float(((nearest - original) ** 2).sum()), predicted,
                       float((original ** 2).sum())))
        p[name + ".weight"] = packed[-1]                      # later layers see the quantized layer

    def dense(name, inputs):
        return inputs @ p[name + ".weight"].T + p[name + ".bias"]

    for layer in range(LAYERS):
        q = f"encoder.layer.{layer}."
        for part in ("query", "key", "value"):
            run(q + "attention.self." + part, x)
        batch_size, length = x.shape[:2]
        split = lambda t: t.reshape(batch_size, length, HEADS, dh)  # noqa: E731
        query, key, value = (split(dense(q + "attention.self." + part, x)) for part in ("query", "key", "value"))
        scores = np.einsum("bqhd,bkhd->bhqk", query, key) / np.sqrt(dh)
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        scores /= scores.sum(-1, keepdims=True)
        context = np.einsum("bhqk,bkhd->bqhd", scores, value).reshape(batch_size, length, HIDDEN)
        run(q + "attention.output.dense", context)
        x = layer_norm(x + dense(q + "attention.output.dense", context), p[q + "attention.output.LayerNorm.weight"], p[q + "attention.output.LayerNorm.bias"])
        run(q + "intermediate.dense", x)
        hidden = gelu(dense(q + "intermediate.dense", x))
        run(q + "output.dense", hidden)
        x = layer_norm(x + dense(q + "output.dense", hidden), p[q + "output.LayerNorm.weight"], p[q + "output.LayerNorm.bias"])

    out = []
    for name in order:
        base = name[: -len(".weight")] if name.endswith(".weight") else None
        if base in quantized and compressed:
            weight_packed, weight_scale, weight_shape, _ = quantized[base]
            out += [(base + ".weight_packed", weight_packed), (base + ".weight_scale", weight_scale), (base + ".weight_shape", weight_shape)]
            if grouped:
                out.append((base + ".weight_g_idx", column_groups[base]))
        elif base in quantized:
            qweight, qzeros, scales, g_idx, _ = quantized[base]
            out += [(base + ".qweight", qweight), (base + ".qzeros", qzeros), (base + ".scales", scales), (base + ".g_idx", g_idx)]
        elif tensors[name].dtype == np.float32:
            out.append((name, tensors[name].astype(np.float16)))
        else:
            out.append((name, tensors[name]))
    if compressed:
        write_checkpoint(args.out, args.model, out, f"eval/gptq_minilm.py (GPTQ as llm-compressor's GPTQModifier, W{bits}A16, actorder {args.actorder})")
        with open(os.path.join(args.out, "recipe.yaml"), "w") as handle:
            handle.write((RECIPE if bits == 4 else RECIPE_BITS.format(bits=bits)) + (f"      actorder: {args.actorder}\n" if grouped else ""))
    else:
        write_checkpoint(args.out, args.model, out, f"eval/gptq_minilm.py (GPTQ, {bits} bit, group 128, desc_act)")

    gptq_error = sum(r[1] for r in report)
    nearest_error = sum(r[2] for r in report)
    predicted = sum(r[3] for r in report)
    norm = sum(r[4] for r in report)
    print(f"{len(report)} linear layers, {args.samples} × {args.length} calibration tokens, {bits} bit, packing self-check passed")
    print(f"relative weight error: GPTQ {math.sqrt(gptq_error / norm):.4f}, round to nearest {math.sqrt(nearest_error / norm):.4f}, "
          f"Σ scale²/12 predicts {math.sqrt(predicted / norm):.4f}")
    ratios = [r[1] / r[3] for r in report]
    print(f"GPTQ error energy / Σ scale²/12 per layer: median {np.median(ratios):.2f}, min {min(ratios):.2f}, max {max(ratios):.2f}")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
