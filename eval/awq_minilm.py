#!/usr/bin/env python3
"""Quantizes a MiniLM checkpoint with an AWQ-style activation-aware search, to check how
provenance judges a real AWQ file: AWQ does not only round, it first scales each input channel
of a weight by a factor from the calibration activations and folds the inverse into the
operation before (a LayerNorm, or the value projection), a function-preserving change of the
stored weights that round-to-nearest emulation (`perturb --dtype awq`) does not make.

The search follows AutoAWQ's `auto_scale` and `auto_clip` (Lin et al. 2024). AutoAWQ has no BERT
recipe, and of the pairs its Llama recipe scales only one is function-preserving in BERT: value →
attention.output.dense (attention mixes tokens, not channels, so value's output rows times 1/s
and the output projection's input columns times s give the same outputs). BERT normalises after
the residual sum, so a LayerNorm's output is the residual stream itself and folding a scale into
it (Llama's input_layernorm → q/k/v, post_attention_layernorm → gate/up) would change the model;
intermediate → output.dense runs through GELU (AutoAWQ would need a `ScaledActivation`). Those
weights get AWQ's clipping and zero-point rounding only.
Per pair: x̄ = mean |x| per input channel, w̄ = mean over rows of |w| / (its group's max |w|);
for ratio r in 0, 1/20, …, 19/20, s = x̄^r / (w̄^(1−r) + 1e−4), normalised by √(max s · min s);
the s minimising the squared error of the linears' outputs with the weights fake-quantized (W·s
quantized, then / s) is applied. Then each weight except query and key gets AutoAWQ's clip
search: per group, the max |w| shrunk by i/20 for i < 10, chosen by output error on 1/16 of the
tokens. Quantization: asymmetric 4-bit, groups of 128 input features (AutoAWQ's `zero_point`:
scale = (max − min)/15, zero = round(−min/scale)). Calibration: 128 windows of 64 tokens of
/usr/share/common-licenses, as eval/gptq_minilm.py.

The output is what AutoAWQ saves (GEMM layout): each quantized linear `P` as `P.qweight`
(I32 [K, N/8], 8 columns per word in the order 0, 2, 4, 6, 1, 3, 5, 7), `P.qzeros` (I32
[G, N/8], same order), `P.scales` (F16 [G, N]) and `P.bias`; the scaled LayerNorms and value
projections folded in; every other tensor as F16; config with AWQ's quantization_config.

    python eval/awq_minilm.py --model .cache/models/all-MiniLM-L6-v2 --out /tmp/minilm-awq-real

With `--layout compressed-tensors` the same codes are saved as llm-compressor saves W4A16_ASYM
(its AWQModifier's default scheme): `P.weight_packed` (I32 [N, K/8], eight codes per word along
a row, first in the lowest bits), `P.weight_zero_point` (I32 [N/8, G], the zeros of eight
consecutive rows per word), `P.weight_scale` (the F16 scales, stored as F32 [N, G]),
`P.weight_shape` (I64 [2]), and a `recipe.yaml` naming the AWQModifier.
"""

import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_minilm import LAYERS, HIDDEN, HEADS, read_safetensors  # noqa: E402
from gptq_minilm import argument_parser, calibration_batch, embed, gelu, layer_norm, pack_int4_rows, write_checkpoint  # noqa: E402

GROUP, MAXQ, GRID = 128, 15, 20
AWQ_ORDER = [0, 2, 4, 6, 1, 3, 5, 7]


def quantize(w, max_val=None):
    """AutoAWQ's `pseudo_quantize_tensor` (zero point, 4 bit, groups along the input features):
    the fake-quantized weight, scales and zeros [rows, groups]."""
    rows, columns = w.shape
    g = w.reshape(rows, columns // GROUP, GROUP)
    if max_val is not None:
        g = np.clip(g, -max_val[..., None], max_val[..., None])
    w_max, w_min = g.max(-1), g.min(-1)
    scales = np.maximum(w_max - w_min, 1e-5) / MAXQ
    zeros = np.clip(-np.round(w_min / scales), 0, MAXQ)
    q = np.clip(np.round(g / scales[..., None]) + zeros[..., None], 0, MAXQ)
    return ((q - zeros[..., None]) * scales[..., None]).reshape(rows, columns), scales, zeros


def search_scale(weights, x):
    """AutoAWQ's `_search_best_scale` for linears sharing the input x [tokens, K]."""
    W = np.concatenate(weights, 0)
    g = np.abs(W).reshape(W.shape[0], -1, GROUP)
    w_mean = (g / (g.max(-1, keepdims=True) + 1e-6)).reshape(W.shape).mean(0)
    x_mean = np.abs(x).mean(0)
    reference = x @ W.T
    best, best_scales = math.inf, np.ones(W.shape[1])
    for ratio in np.arange(GRID) / GRID:
        s = np.maximum(x_mean ** ratio / (w_mean ** (1 - ratio) + 1e-4), 1e-4)
        s = s / math.sqrt(s.max() * s.min())
        out = x @ (quantize(W * s)[0] / s).T
        loss = float(((reference - out) ** 2).mean())
        if loss < best:
            best, best_scales = loss, s
    return best_scales


def search_clip(w, x):
    """AutoAWQ's `_compute_best_clip`: per group, the shrink of max |w| with the least output error."""
    x = x[:: max(1, len(x) // 512)]
    rows, columns = w.shape
    groups = w.reshape(rows, columns // GROUP, GROUP)
    xg = x.reshape(len(x), columns // GROUP, GROUP)
    original_max = np.abs(groups).max(-1)
    reference = np.einsum("tgk,rgk->rgt", xg, groups)
    best_error = np.full(original_max.shape, np.inf)
    best_max = original_max.copy()
    for i in range(GRID // 2):
        max_val = original_max * (1 - i / GRID)
        q = quantize(w, max_val)[0].reshape(rows, columns // GROUP, GROUP)
        error = ((np.einsum("tgk,rgk->rgt", xg, q) - reference) ** 2).mean(-1)
        better = error < best_error
        best_error = np.where(better, error, best_error)
        best_max = np.where(better, max_val, best_max)
    return best_max


def pack(w, max_val):
    """AutoAWQ's GEMM `pack`: qweight [K, N/8], qzeros [G, N/8] (interleaved order), F16 scales [G, N]."""
    _, scales, zeros = quantize(w, max_val)
    half = scales.astype(np.float16).astype(np.float64)
    rows, columns = w.shape
    g = np.clip(w.reshape(rows, -1, GROUP), -max_val[..., None], max_val[..., None]) if max_val is not None else w.reshape(rows, -1, GROUP)
    codes = np.clip(np.round(g / half[..., None]) + zeros[..., None], 0, MAXQ).astype(np.uint32).reshape(rows, columns)
    intweight = codes.T                                        # [K, N]
    qweight = np.zeros((columns, rows // 8), dtype=np.uint32)
    for i, column in enumerate(AWQ_ORDER):
        qweight |= intweight[:, column::8] << (4 * i)
    z = zeros.astype(np.uint32).T                              # [G, N]
    qzeros = np.zeros((z.shape[0], rows // 8), dtype=np.uint32)
    for i, column in enumerate(AWQ_ORDER):
        qzeros |= z[:, column::8] << (4 * i)
    dequantized = ((codes.reshape(rows, -1, GROUP) - zeros[..., None]) * half[..., None]).reshape(rows, columns)
    return qweight.view(np.int32), qzeros.view(np.int32), half.T.astype(np.float16), dequantized


def pack_compressed(w, max_val):
    """The same codes in compressed-tensors' `pack-quantized` layout (W4A16_ASYM): weight_packed
    [N, K/8], weight_zero_point [N/8, G] packed down the rows, F32 scales [N, G]; and the values."""
    _, scales, zeros = quantize(w, max_val)
    half = scales.astype(np.float16).astype(np.float64)
    rows, columns = w.shape
    g = np.clip(w.reshape(rows, -1, GROUP), -max_val[..., None], max_val[..., None]) if max_val is not None else w.reshape(rows, -1, GROUP)
    codes = np.clip(np.round(g / half[..., None]) + zeros[..., None], 0, MAXQ).astype(np.uint32).reshape(rows, columns)
    z = zeros.astype(np.uint32)                                # [N, G]: signed zero + 8 is AutoAWQ's unsigned zero
    packed_zeros = np.zeros(((rows + 7) // 8, z.shape[1]), dtype=np.uint32)
    for j in range(8):
        packed_zeros[: (rows - j + 7) // 8] |= z[j::8] << (4 * j)
    dequantized = ((codes.reshape(rows, -1, GROUP) - zeros[..., None]) * half[..., None]).reshape(rows, columns)
    return pack_int4_rows(codes), packed_zeros.view(np.int32), half.astype(np.float32), dequantized


RECIPE = """default_stage:
  default_modifiers:
    AWQModifier:
      duo_scaling: true
    QuantizationModifier:
      targets: [Linear]
      ignore: [lm_head]
      scheme: W4A16_ASYM
"""


def main():
    parser = argument_parser(__doc__)
    parser.add_argument("--no-scale", action="store_true", help="skip the activation-aware scaling (clipping and rounding only)")
    parser.add_argument("--layout", choices=["autoawq", "compressed-tensors"], default="autoawq")
    args = parser.parse_args()
    compressed = args.layout == "compressed-tensors"
    pack_layer = pack_compressed if compressed else pack

    tensors, order, _ = read_safetensors(os.path.join(args.model, "model.safetensors"))
    p = {k: v.astype(np.float64) for k, v in tensors.items() if v.dtype == np.float32}
    original = {k: v.copy() for k, v in p.items()}
    batch = calibration_batch(args.model, args.samples, args.length)
    dh = HIDDEN // HEADS

    def dense(name, inputs):
        return inputs @ p[name + ".weight"].T + p[name + ".bias"]

    x = x_before_norm = embed(p, batch)
    norm = "embeddings.LayerNorm"
    quantized, scaled = {}, []
    for layer in range(LAYERS):
        q = f"encoder.layer.{layer}."
        attention = [q + "attention.self." + part for part in ("query", "key", "value")]
        x = layer_norm(x_before_norm, p[norm + ".weight"], p[norm + ".bias"])
        batch_size, length = x.shape[:2]
        split = lambda t: t.reshape(batch_size, length, HEADS, dh)  # noqa: E731

        def context_of(x):
            query, key, value = (split(dense(n, x)) for n in attention)
            scores = np.einsum("bqhd,bkhd->bhqk", query, key) / np.sqrt(dh)
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            return np.einsum("bhqk,bkhd->bqhd", scores, value).reshape(batch_size, length, HIDDEN)

        context = context_of(x).reshape(-1, HIDDEN)
        out_name, value = q + "attention.output.dense", q + "attention.self.value"
        s = np.ones(HIDDEN) if args.no_scale else search_scale([p[out_name + ".weight"]], context)
        p[value + ".weight"] /= s[:, None]
        p[value + ".bias"] /= s
        p[out_name + ".weight"] *= s
        scaled.append(s)
        for n in attention:
            clip = None if n.endswith(("query", "key")) else search_clip(p[n + ".weight"], x.reshape(-1, HIDDEN))
            quantized[n] = pack_layer(p[n + ".weight"], clip)
            p[n + ".weight"] = quantized[n][3]
        context = context_of(x)
        quantized[out_name] = pack_layer(p[out_name + ".weight"], search_clip(p[out_name + ".weight"], context.reshape(-1, HIDDEN)))
        p[out_name + ".weight"] = quantized[out_name][3]
        x_before_norm = x + dense(out_name, context)
        norm = q + "attention.output.LayerNorm"
        x = layer_norm(x_before_norm, p[norm + ".weight"], p[norm + ".bias"])
        up = q + "intermediate.dense"
        quantized[up] = pack_layer(p[up + ".weight"], search_clip(p[up + ".weight"], x.reshape(-1, HIDDEN)))
        p[up + ".weight"] = quantized[up][3]
        hidden = gelu(dense(up, x))
        down = q + "output.dense"
        quantized[down] = pack_layer(p[down + ".weight"], search_clip(p[down + ".weight"], hidden.reshape(-1, hidden.shape[-1])))
        p[down + ".weight"] = quantized[down][3]
        x_before_norm = x + dense(down, hidden)
        norm = q + "output.LayerNorm"

    out = []
    for name in order:
        base = name[: -len(".weight")] if name.endswith(".weight") else None
        if base in quantized and compressed:
            weight_packed, weight_zero_point, weight_scale, _ = quantized[base]
            shape = np.array([weight_packed.shape[0], weight_packed.shape[1] * 8], dtype=np.int64)
            out += [(base + ".weight_packed", weight_packed), (base + ".weight_scale", weight_scale),
                    (base + ".weight_zero_point", weight_zero_point), (base + ".weight_shape", shape)]
        elif base in quantized:
            qweight, qzeros, scales, _ = quantized[base]
            out += [(base + ".qweight", qweight), (base + ".qzeros", qzeros), (base + ".scales", scales)]
        elif tensors[name].dtype == np.float32:
            out.append((name, p[name].astype(np.float16)))
        else:
            out.append((name, tensors[name]))
    write_checkpoint(args.out, args.model, out, "eval/awq_minilm.py (AWQ-style search, 4 bit, group 128, zero point)")
    config_path = os.path.join(args.out, "config.json")
    if compressed:
        with open(os.path.join(args.out, "recipe.yaml"), "w") as handle:
            handle.write(RECIPE)
    elif os.path.exists(config_path):
        with open(config_path) as handle:
            config = json.load(handle)
        config["quantization_config"] = {"quant_method": "awq", "bits": 4, "group_size": GROUP, "zero_point": True, "version": "gemm"}
        with open(config_path, "w") as handle:
            json.dump(config, handle, indent=2)

    spread = np.concatenate([np.log(s) for s in scaled])
    print(f"{len(quantized)} linear layers, {len(scaled)} scaled value → output pairs, {args.samples} × {args.length} calibration tokens")
    print(f"AWQ scales: geometric spread e^std(log s) = {math.exp(spread.std()):.2f}, range {math.exp(spread.min()):.2f}–{math.exp(spread.max()):.2f}")
    # What the tool predicts from the file's own scales (Σ scale²/12), against the real error, on the linears AWQ does not scale.
    unscaled = [n for n in quantized if not n.endswith(("value", "attention.output.dense"))]
    errors = {n: float(((p[n + ".weight"] - original[n + ".weight"]) ** 2).sum()) for n in unscaled}
    predicted = {n: float((quantized[n][2].astype(np.float64) ** 2).sum()) * GROUP / 12 for n in unscaled}
    norm2 = sum(float((original[n + ".weight"] ** 2).sum()) for n in unscaled)
    ratios = [errors[n] / predicted[n] for n in unscaled]
    print(f"unscaled linears: relative weight error {math.sqrt(sum(errors.values()) / norm2):.4f}, Σ scale²/12 predicts {math.sqrt(sum(predicted.values()) / norm2):.4f}; "
          f"error energy / prediction per layer: median {np.median(ratios):.2f}, min {min(ratios):.2f}, max {max(ratios):.2f}")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
