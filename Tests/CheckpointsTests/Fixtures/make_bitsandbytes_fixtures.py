"""Writes BitsAndBytes/ with bitsandbytes itself (run offline; its CPU backend is enough):

    python3 -m venv /tmp/bnb && /tmp/bnb/bin/pip install torch --index-url https://download.pytorch.org/whl/cpu
    /tmp/bnb/bin/pip install bitsandbytes==0.50.2 safetensors
    /tmp/bnb/bin/python Tests/CheckpointsTests/Fixtures/make_bitsandbytes_fixtures.py

model/model.safetensors is the state dict of a tiny model whose linears bitsandbytes quantized —
NF4 with double-quantized factors (`Linear4bit`, `compress_statistics`), FP4 with plain F32
factors, and LLM.int8 (`Linear8bitLt`) — as transformers saves a model loaded with `load_in_4bit`
/ `load_in_8bit` (the module state dicts: `W`, `W.absmax`, `W.quant_map`, `W.nested_*`,
`W.quant_state.bitsandbytes__nf4`, or `W`, `SCB`, `weight_format`). expected.safetensors holds
the weights bitsandbytes' own `dequantize_4bit` and `int8_vectorwise_dequant` give back (F32).
"""
import pathlib

import bitsandbytes as bnb
import torch
from safetensors.torch import save_file

OUT = pathlib.Path(__file__).parent / "BitsAndBytes"


def main():
    torch.manual_seed(2026)
    (OUT / "model").mkdir(parents=True, exist_ok=True)
    state, expected = {}, {}
    for name, kind, shape in [("model.layers.0.mlp.up_proj", "nf4", (24, 128)), ("model.layers.0.mlp.down_proj", "fp4", (16, 192)),
                              ("model.layers.0.self_attn.o_proj", "int8", (12, 64))]:
        weight = torch.randn(*shape) * 0.02
        weight.view(-1)[::41] *= 8
        if kind == "int8":
            linear = bnb.nn.Linear8bitLt(shape[1], shape[0], bias=False, has_fp16_weights=False)
            linear.weight = bnb.nn.Int8Params(weight, requires_grad=False, has_fp16_weights=False)
            linear = linear.to("cpu")
            expected[name + ".weight"] = bnb.functional.int8_vectorwise_dequant(linear.weight.data, linear.weight.SCB).float()
        else:
            double = kind == "nf4"
            linear = bnb.nn.Linear4bit(shape[1], shape[0], bias=False, quant_type=kind, compute_dtype=torch.float32, compress_statistics=double)
            linear.weight = bnb.nn.Params4bit(weight, requires_grad=False, quant_type=kind, compress_statistics=double)
            linear = linear.to("cpu")
            expected[name + ".weight"] = bnb.functional.dequantize_4bit(linear.weight.data, linear.weight.quant_state).float()
        for key, value in linear.state_dict().items():
            state[f"{name}.{key}"] = value.contiguous()
    state["model.norm.weight"] = torch.ones(64, dtype=torch.bfloat16)
    save_file(state, OUT / "model" / "model.safetensors")
    save_file({key: value.contiguous() for key, value in expected.items()}, OUT / "expected.safetensors")
    print(f"bitsandbytes {bnb.__version__}:", sorted((key, tuple(value.shape), str(value.dtype)) for key, value in state.items()))


if __name__ == "__main__":
    main()
