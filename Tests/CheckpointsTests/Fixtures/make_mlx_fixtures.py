"""Writes the MLX fixtures in MLX/ with MLX itself (run offline; MLX has Linux CPU wheels):

    python3 -m venv /tmp/mlx && /tmp/mlx/bin/pip install "mlx[cpu]==0.32.4" numpy
    /tmp/mlx/bin/python Tests/CheckpointsTests/Fixtures/make_mlx_fixtures.py

model/model.safetensors holds weights quantized by `mx.quantize` and saved by
`mx.save_safetensors`, as `mlx_lm` saves a converted model: affine 4-bit (groups of 64, the
default), affine 3-bit (a bit stream), affine 8-bit in groups of 32 (stated for that layer alone
in config.json, as mixed-precision conversions do), mxfp4, nvfp4, mxfp8, and a 4-bit affine and an
mxfp4 stack of experts `[E, N, K]` under `switch_mlp`. For each weight W, W.expected.f32 holds
`mx.dequantize` of it in float32 (MLX's own values), and originals.safetensors the float32 weights
that were quantized (so a writer can be checked against MLX's bytes).
"""
import json
import pathlib

import mlx.core as mx
import numpy as np

OUT = pathlib.Path(__file__).parent / "MLX"

# name, shape, mode, bits, group size
WEIGHTS = [
    ("model.layers.0.self_attn.q_proj.weight", (8, 128), "affine", 4, 64),
    ("model.layers.0.self_attn.k_proj.weight", (8, 128), "affine", 3, 64),
    ("model.layers.0.self_attn.v_proj.weight", (8, 128), "affine", 8, 32),
    ("model.layers.1.self_attn.q_proj.weight", (8, 128), "mxfp4", 4, 32),
    ("model.layers.1.self_attn.k_proj.weight", (8, 128), "nvfp4", 4, 16),
    ("model.layers.1.self_attn.v_proj.weight", (8, 128), "mxfp8", 8, 32),
    ("model.layers.2.mlp.switch_mlp.up_proj.weight", (3, 4, 128), "affine", 4, 64),
    ("model.layers.2.mlp.switch_mlp.down_proj.weight", (3, 4, 128), "mxfp4", 4, 32),
]


def main():
    rng = np.random.default_rng(2026)
    (OUT / "model").mkdir(parents=True, exist_ok=True)
    stored, originals = {}, {}
    for name, shape, mode, bits, group in WEIGHTS:
        weight = (rng.standard_normal(shape) * 0.02).astype(np.float32)
        # A few larger values, so some groups saturate and some codes sit at the ends.
        weight.reshape(-1)[::37] *= 6
        array = mx.array(weight)
        parts = mx.quantize(array, group_size=group, bits=bits, mode=mode)
        prefix = name[: -len("weight")]
        stored[name] = parts[0]
        stored[prefix + "scales"] = parts[1]
        if mode == "affine":
            stored[prefix + "biases"] = parts[2]
        dequantized = mx.dequantize(*parts[:2], biases=parts[2] if mode == "affine" else None,
                                    group_size=group, bits=bits, mode=mode, dtype=mx.float32)
        (OUT / (name + ".expected.f32")).write_bytes(np.array(dequantized).astype("<f4").tobytes())
        originals[name] = array
    stored["model.norm.weight"] = mx.ones((128,), dtype=mx.bfloat16)
    mx.save_safetensors(str(OUT / "model" / "model.safetensors"), stored)
    mx.save_safetensors(str(OUT / "originals.safetensors"), originals)
    config = {"model_type": "llama", "quantization": {"group_size": 64, "bits": 4,
              "model.layers.0.self_attn.v_proj": {"group_size": 32, "bits": 8}}}
    (OUT / "model" / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    print(f"MLX {mx.__version__}: wrote {len(stored)} tensors")


if __name__ == "__main__":
    main()
