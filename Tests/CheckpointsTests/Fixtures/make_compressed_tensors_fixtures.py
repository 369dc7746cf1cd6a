"""Writes CompressedTensors/ with compressed-tensors itself (run offline; torch's CPU wheel is enough):

    python3 -m venv /tmp/ct && /tmp/ct/bin/pip install torch --index-url https://download.pytorch.org/whl/cpu
    /tmp/ct/bin/pip install compressed-tensors==0.20.1
    /tmp/ct/bin/python Tests/CheckpointsTests/Fixtures/make_compressed_tensors_fixtures.py

For each scheme, a tiny model of two linears (`model.layers.0.mlp.up_proj` 20 × 80 and
`model.layers.0.mlp.down_proj` 12 × 80 — rows and columns that do not fill whole words at the odd
widths) is quantized by compressed-tensors' own `apply_quantization_config`, given min–max scales
and zero points, compressed by `ModelCompressor.compress_model` in the scheme's format and saved
as `<scheme>/model/model.safetensors` with the `config.json` `ModelCompressor.update_config` writes
(format, `config_groups`, `version`). `<scheme>/expected.safetensors` holds the weights
`ModelCompressor.decompress_model` gives back — compressed-tensors' own dequantization.
"""
import json
import pathlib

import compressed_tensors
import torch
from compressed_tensors.compressors import ModelCompressor
from compressed_tensors.quantization import QuantizationArgs, QuantizationConfig, QuantizationScheme, apply_quantization_config
from safetensors.torch import save_file

OUT = pathlib.Path(__file__).parent / "CompressedTensors"

SCHEMES = {
    "w4a16-group": ("pack-quantized", dict(num_bits=4, type="int", symmetric=True, strategy="group", group_size=16)),
    "w4a16-asym": ("pack-quantized", dict(num_bits=4, type="int", symmetric=False, strategy="group", group_size=16)),
    "w3a16-group": ("pack-quantized", dict(num_bits=3, type="int", symmetric=True, strategy="group", group_size=16)),
    "w3a16-asym": ("pack-quantized", dict(num_bits=3, type="int", symmetric=False, strategy="group", group_size=16)),
    "w5a16-channel": ("pack-quantized", dict(num_bits=5, type="int", symmetric=True, strategy="channel")),
    "w6a16-asym-channel": ("pack-quantized", dict(num_bits=6, type="int", symmetric=False, strategy="channel")),
    "w7a16-channel": ("pack-quantized", dict(num_bits=7, type="int", symmetric=True, strategy="channel")),
    "w2a16-group": ("pack-quantized", dict(num_bits=2, type="int", symmetric=True, strategy="group", group_size=16)),
    "w8a16-channel": ("pack-quantized", dict(num_bits=8, type="int", symmetric=True, strategy="channel")),
    "w8a8-int": ("int-quantized", dict(num_bits=8, type="int", symmetric=True, strategy="channel")),
    "fp8-channel": ("float-quantized", dict(num_bits=8, type="float", symmetric=True, strategy="channel")),
    "nvfp4": ("nvfp4-pack-quantized", dict(num_bits=4, type="float", symmetric=True, strategy="tensor_group", group_size=16)),
}


class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.model = torch.nn.Module()
        self.model.layers = torch.nn.ModuleList([torch.nn.Module()])
        self.model.layers[0].mlp = torch.nn.Module()
        self.model.layers[0].mlp.up_proj = torch.nn.Linear(80, 20, bias=False)
        self.model.layers[0].mlp.down_proj = torch.nn.Linear(80, 12, bias=False)


def set_parameters(linear, args):
    """Min–max scales (and zero points), as an observer would set them."""
    weight = linear.weight.data
    rows, columns = weight.shape
    if args["type"] == "float" and hasattr(linear, "weight_global_scale"):
        # NVFP4: value = code × scale / global_scale, global = 448 · 6 / the tensor's largest magnitude.
        global_scale = 448.0 * 6.0 / weight.abs().amax()
        linear.weight_global_scale.data = global_scale.reshape(linear.weight_global_scale.shape)
        blocks = weight.reshape(rows, -1, args["group_size"]).abs().amax(-1)
        linear.weight_scale.data = (blocks / 6.0 * global_scale).reshape(linear.weight_scale.shape)
        return
    if args["type"] == "float":
        linear.weight_scale.data = (weight.abs().amax(-1, keepdim=True) / 448.0).reshape(linear.weight_scale.shape)
        return
    size = args.get("group_size") or columns
    grouped = weight.reshape(rows, -1, size)
    levels = 2 ** args["num_bits"] - 1
    if args["symmetric"]:
        scale = grouped.abs().amax(-1) / (levels / 2)
        linear.weight_scale.data = scale.reshape(linear.weight_scale.shape)
    else:
        low, high = grouped.amin(-1).clamp(max=0), grouped.amax(-1).clamp(min=0)
        scale = (high - low) / levels
        zero = (-(2 ** (args["num_bits"] - 1)) - torch.round(low / scale)).clamp(-(2 ** (args["num_bits"] - 1)), 2 ** (args["num_bits"] - 1) - 1)
        linear.weight_scale.data = scale.reshape(linear.weight_scale.shape)
        linear.weight_zero_point.data = zero.reshape(linear.weight_zero_point.shape).to(linear.weight_zero_point.dtype)


def main():
    for name, (format, args) in SCHEMES.items():
        torch.manual_seed(2026)
        model = Tiny()
        config = QuantizationConfig(config_groups={"group_0": QuantizationScheme(targets=["Linear"], weights=QuantizationArgs(**args))}, format=format)
        apply_quantization_config(model, config)
        for linear in (model.model.layers[0].mlp.up_proj, model.model.layers[0].mlp.down_proj):
            set_parameters(linear, args)
        compressor = ModelCompressor.from_pretrained_model(model, quantization_format=format)
        compressor.compress_model(model)
        directory = OUT / name / "model"
        directory.mkdir(parents=True, exist_ok=True)
        save_file({key: value.contiguous() for key, value in model.state_dict().items()}, directory / "model.safetensors")
        (directory / "config.json").write_text(json.dumps({"model_type": "llama"}) + "\n")
        compressor.update_config(str(directory))
        compressor.decompress_model(model)
        weights = {key: value.contiguous().float() for key, value in model.state_dict().items() if key.endswith(".weight")}
        save_file(weights, OUT / name / "expected.safetensors")
        print(name, sorted((key, tuple(value.shape)) for key, value in weights.items()))
    print(f"compressed-tensors {compressed_tensors.__version__}")


if __name__ == "__main__":
    main()
