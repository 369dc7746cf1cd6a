#!/usr/bin/env python3
"""How far the rounding of microscaled (E8M0-exponent) formats exceeds half a step, on a real
checkpoint's matrices: the measurement behind the saturation cell of MXFP8's rounding energy
(docs/MATCHING.md §5, docs/FINGERPRINT_FORMAT.md §4a).

For every 2-D F32 weight whose rows hold whole groups of 32 (16 for NVFP4), each group is
quantized with the exponent rule given — MLX 0.29–0.30's round(log2(max / top)), OCP's
⌊log2 max⌋ − emax, or the smallest power of two ≥ max / top (MLX since) — and codes nearest,
saturating. It prints the real error energy over two predictions: Σ (step × scale)² / 12 (half a
step at each code), and the same with the largest codes counting the mean squared error of a
value spread evenly over [midpoint below, √2 × top] (what provenance predicts for E8M0-scaled
8-bit floats). Numbers below 1.35 are inside provenance's re-encoding allowance.

    python3 eval/mx_rounding.py .cache/models/all-MiniLM-L6-v2/model.safetensors
"""
import json
import struct
import sys

import numpy as np

E2M1 = np.array([0, 0.5, 1, 1.5, 2, 3, 4, 6], dtype=np.float64)
E4M3 = np.array(sorted({(m / 8) * 2.0 ** -6 if e == 0 else (1 + m / 8) * 2.0 ** (e - 7)
                        for e in range(16) for m in range(8) if not (e == 15 and m == 7)}))


def matrices(path, keep=lambda name, shape: shape[1] % 32 == 0):
    """The F32 matrices of a safetensors file that `keep(name, shape)` accepts, as float64
    (by default those whose rows hold whole blocks of 32)."""
    raw = open(path, "rb").read()
    length = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + length])
    base = 8 + length
    for name, entry in header.items():
        if name == "__metadata__" or entry["dtype"] != "F32" or len(entry["shape"]) != 2 or not keep(name, entry["shape"]):
            continue
        start, end = entry["data_offsets"]
        yield np.frombuffer(raw[base + start:base + end], dtype=np.float32).reshape(entry["shape"]).astype(np.float64)


def nearest_e2m1(x):
    index = np.argmin(np.abs(np.abs(x)[..., None] - E2M1), axis=-1)
    step = np.where(index <= 3, 0.5, np.where(index <= 5, 1.0, 2.0))
    return np.sign(x) * E2M1[index], step


def nearest_e4m3(x):
    magnitude = np.minimum(np.abs(x), 448.0)
    index = np.clip(np.searchsorted(E4M3, magnitude), 1, len(E4M3) - 1)
    low, high = E4M3[index - 1], E4M3[index]
    value = np.where(magnitude - low <= high - magnitude, low, high)
    step = 2.0 ** (np.floor(np.log2(np.maximum(value, 2.0 ** -6))) - 3)
    return np.sign(x) * value, step


def saturation_cell(top, below):
    low, high = (below + top) / 2, top * np.sqrt(2)
    return ((high - top) ** 3 + (top - low) ** 3) / (3 * (high - low))


def measure(path, codes, rule):
    top, emax, below = (6.0, 2, 4.0) if codes == "e2m1" else (448.0, 8, 416.0)
    real = half_step = with_cell = 0.0
    for weight in matrices(path):
        x = weight.reshape(-1, 32)
        largest = np.abs(x).max(axis=1, keepdims=True)
        ratio = np.where(largest > 0, largest / top, 1.0)
        if rule == "mlx-round":
            exponent = np.round(np.log2(ratio))
        elif rule == "ocp":
            exponent = np.floor(np.log2(np.where(largest > 0, largest, 1.0))) - emax
        else:
            exponent = np.ceil(np.log2(ratio))
        scale = np.where(largest > 0, 2.0 ** exponent, 2.0 ** -127)
        value, step = (nearest_e2m1 if codes == "e2m1" else nearest_e4m3)(x / scale)
        real += ((value * scale - x) ** 2).sum()
        half_step += ((step * scale) ** 2 / 12).sum()
        cell = np.where(np.abs(value) == top, saturation_cell(top, below), step ** 2 / 12)
        with_cell += (cell * scale ** 2).sum()
    return real / half_step, real / with_cell


if __name__ == "__main__":
    checkpoint = sys.argv[1] if len(sys.argv) > 1 else ".cache/models/all-MiniLM-L6-v2/model.safetensors"
    print("format  exponent rule  real/half-step  real/with-saturation-cell")
    for codes, name in (("e2m1", "mxfp4"), ("e4m3", "mxfp8")):
        for rule in ("mlx-round", "ocp", "round-up"):
            plain, cell = measure(checkpoint, codes, rule)
            print(f"{name:6}  {rule:13}  {plain:14.3f}  {cell:25.3f}")
