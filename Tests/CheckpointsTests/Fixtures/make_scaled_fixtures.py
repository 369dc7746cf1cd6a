"""Writes the scaled-weight fixtures in Scaled/ (run offline; needs numpy and ml_dtypes).

deepseek-fp8.safetensors holds weights quantized the way DeepSeek-V3's `weight_quant` does
(F8_E4M3 codes, one F32 factor = block maximum / 448 per 128 × 128 block, stored as
`weight_scale_inv`) and one compressed-tensors INT8 weight with per-channel `weight_scale`.
The .expected.f32 files are the dequantized values as DeepSeek's `weight_dequant` and
compressed-tensors compute them: codes as float32 times the factor, multiplied in float32.
Both sides are computed here by numpy/ml_dtypes, independently of the Swift reader.

    .eval/venv/bin/python Tests/CheckpointsTests/Fixtures/make_scaled_fixtures.py
"""
import pathlib

import ml_dtypes
import numpy as np
from safetensors_file import write_safetensors

OUT = pathlib.Path(__file__).parent / "Scaled"
BLOCK = 128


def block_quantize(x):
    rows, cols = x.shape
    grid = (-(-rows // BLOCK), -(-cols // BLOCK))
    factors = np.zeros(grid, dtype=np.float32)
    codes = np.zeros(x.shape, dtype=ml_dtypes.float8_e4m3fn)
    for i in range(grid[0]):
        for j in range(grid[1]):
            tile = x[i * BLOCK:(i + 1) * BLOCK, j * BLOCK:(j + 1) * BLOCK]
            factor = np.float32(np.abs(tile).max()) / np.float32(448)
            factors[i, j] = factor
            codes[i * BLOCK:(i + 1) * BLOCK, j * BLOCK:(j + 1) * BLOCK] = (tile / factor).astype(ml_dtypes.float8_e4m3fn)
    return codes, factors


def block_dequantize(codes, factors):
    expanded = np.repeat(np.repeat(factors, BLOCK, axis=0), BLOCK, axis=1)[:codes.shape[0], :codes.shape[1]]
    return codes.astype(np.float32) * expanded


def main():
    rng = np.random.default_rng(2024)
    OUT.mkdir(exist_ok=True)
    weight = (rng.standard_normal((130, 140)) * 0.02).astype(np.float32)
    codes, factors = block_quantize(weight)
    channel = (rng.standard_t(4, (6, 40)) * 0.05).astype(np.float32)
    channel_factors = (np.abs(channel).max(axis=1, keepdims=True) / 127).astype(np.float32)
    integers = np.round(channel / channel_factors).astype(np.int8)
    write_safetensors(OUT / "deepseek-fp8.safetensors", [
        (name, dtype, array.shape, np.ascontiguousarray(array).tobytes()) for name, dtype, array in [
            ("model.layers.0.mlp.down_proj.weight", "F8_E4M3", codes.view(np.uint8)),
            ("model.layers.0.mlp.down_proj.weight_scale_inv", "F32", factors),
            ("model.layers.0.self_attn.o_proj.weight", "I8", integers),
            ("model.layers.0.self_attn.o_proj.weight_scale", "F32", channel_factors),
        ]
    ])
    block_dequantize(codes, factors).astype("<f4").tofile(OUT / "down_proj.expected.f32")
    (integers.astype(np.float32) * channel_factors).astype("<f4").tofile(OUT / "o_proj.expected.f32")


if __name__ == "__main__":
    main()
