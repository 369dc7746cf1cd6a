#!/usr/bin/env python3
"""How rounding to llama.cpp's ternary grids (−d, 0, +d with d the block's largest magnitude:
TQ1_0/TQ2_0 in blocks of 256, Q2_0 in blocks of 64; ggml's reference quantizers) compares with
what provenance predicts, Σ d²/12, on a real checkpoint's weight matrices (embeddings left out):
the measurement behind the ternary rounding energies and their 2× margin (docs/MATCHING.md §5,
docs/FINGERPRINT_FORMAT.md §5) and the typical errors of VerdictRules.expectedRoundingError.

Per block size it prints the relative error ‖q − w‖ / ‖w‖, the real error energy over Σ d²/12,
and per matrix the ratio the matching rule compares: the deviation off the original's direction
relative to the aligned part, (1 − ρ²) / ρ², over the prediction q = E / (‖q‖² − E) (min, median,
max; ρ the cosine of original and quantized matrix).

    python3 eval/ternary_rounding.py .cache/models/all-MiniLM-L6-v2/model.safetensors
"""
import sys

import numpy as np

from mx_rounding import matrices  # the F32 matrices of a safetensors file


def ternary(w, block):
    """ggml's quantize_row_tq2_0_ref / quantize_row_q2_0_ref, dequantized: codes round(x / amax)
    (half away from zero) with the F32 amax, values code × the F16-stored amax."""
    x = w.reshape(-1, block).astype(np.float32)
    amax = np.abs(x).max(axis=1, keepdims=True)
    inverse = np.where(amax > 0, np.float32(1) / np.where(amax > 0, amax, 1), 0).astype(np.float32)
    scaled = x * inverse
    codes = np.clip(np.sign(scaled) * np.floor(np.abs(scaled) + 0.5), -1, 1)
    d = amax.astype(np.float16).astype(np.float32)
    return (codes * d).reshape(-1).astype(np.float64), d.astype(np.float64)


def main(path):
    weights = list(matrices(path, keep=lambda name, shape: "embeddings" not in name))
    for block, types in ((64, "Q2_0"), (256, "TQ1_0, TQ2_0")):
        error = norm = predicted = 0.0
        ratios = []
        for w in weights:
            q, d = ternary(w, block)
            original = w.reshape(-1).astype(np.float64)
            energy = float((d ** 2).sum()) * block / 12
            error += float(((q - original) ** 2).sum())
            norm += float((original ** 2).sum())
            predicted += energy
            cosine = original @ q / (np.linalg.norm(original) * np.linalg.norm(q))
            observed = (1 - cosine ** 2) / cosine ** 2
            expected = energy / (q @ q - energy) if q @ q > energy else 1.0
            ratios.append(observed / expected)
        print(f"blocks of {block} ({types}), {len(weights)} matrices: relative error {np.sqrt(error / norm):.3f}, "
              f"real / predicted energy {error / predicted:.2f}; deviation / prediction per matrix "
              f"min {min(ratios):.2f}, median {np.median(ratios):.2f}, max {max(ratios):.2f}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".cache/models/all-MiniLM-L6-v2/model.safetensors")
