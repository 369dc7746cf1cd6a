"""Writes PyTorch/real/ with torch itself (run offline; the CPU wheel is enough):

    python3 -m venv /tmp/torch && /tmp/torch/bin/pip install torch --index-url https://download.pytorch.org/whl/cpu
    /tmp/torch/bin/python Tests/CheckpointsTests/Fixtures/make_torch_fixtures.py

make_pytorch_fixtures.py reproduces torch.save's stream with stand-ins; these files are what
torch.save (2.13) really writes, so the restricted unpickler is checked against the real thing:

  real/pytorch_model.bin    a module's state_dict (OrderedDict with _metadata): F32 linears, an
                            embedding tied to the head (one storage), LayerNorm, buffers (I64
                            position ids, BOOL mask), and tensors of F16, BF16, F64, I8, U8, I16,
                            I32, F8_E4M3, F8_E5M2, a row slice (storage offset), a scalar, an empty tensor
  real/expected.safetensors the same tensors as contiguous copies, their bytes taken from torch
  real/training.pt          {"epoch", "model": state_dict(keep_vars=True) (nn.Parameter),
                            "optimizer": an Adam state_dict} — a training checkpoint
  real/whole_module.pt      torch.save(model): the module object itself, whose pickle names
                            __main__.Tiny and torch.nn classes — which must be refused
"""
import collections
import pathlib

import torch
from safetensors_file import write_safetensors

OUT = pathlib.Path(__file__).parent / "PyTorch" / "real"

SAFETENSORS_DTYPES = {
    torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
    torch.int8: "I8", torch.uint8: "U8", torch.int16: "I16", torch.int32: "I32", torch.int64: "I64",
    torch.bool: "BOOL", torch.float8_e4m3fn: "F8_E4M3", torch.float8_e5m2: "F8_E5M2",
}


class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(16, 8)
        self.norm = torch.nn.LayerNorm(8)
        self.proj = torch.nn.Linear(8, 12)
        self.head = torch.nn.Linear(8, 16, bias=False)
        self.head.weight = self.embed.weight  # tied: one storage, saved once
        self.register_buffer("position_ids", torch.arange(6).unsqueeze(0))
        self.register_buffer("mask", torch.tensor([True, False, True, True]))


def safetensors_records(tensors):
    """(name, dtype, shape, bytes) of each tensor, its bytes as torch holds them."""
    return [(name, SAFETENSORS_DTYPES[tensor.dtype], tensor.shape,
             tensor.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes() if tensor.numel() else b"")
            for name, tensor in tensors.items()]


def main():
    torch.manual_seed(2026)
    OUT.mkdir(parents=True, exist_ok=True)
    model = Tiny()
    state = model.state_dict()
    base = torch.randn(6, 8)
    extra = collections.OrderedDict([
        ("half.weight", torch.randn(3, 5).half()),
        ("brain.weight", torch.randn(4, 3).bfloat16()),
        ("double.weight", torch.randn(2, 3, dtype=torch.float64)),
        ("int8.weight", torch.randint(-128, 128, (2, 4), dtype=torch.int8)),
        ("uint8.weight", torch.randint(0, 256, (5,), dtype=torch.uint8)),
        ("int16.weight", torch.randint(-30000, 30000, (3,), dtype=torch.int16)),
        ("int32.weight", torch.randint(-2**31, 2**31 - 1, (3,), dtype=torch.int32)),
        ("fp8.weight", (torch.randn(4, 4) * 50).to(torch.float8_e4m3fn)),
        ("fp8e5.weight", (torch.randn(4, 4) * 500).to(torch.float8_e5m2)),
        ("slice.weight", base[2:5]),  # a view into a 6 × 8 storage at offset 16
        ("scalar", torch.tensor(3.25)),
        ("empty", torch.zeros(0, 4)),
    ])
    state.update(extra)
    torch.save(state, OUT / "pytorch_model.bin")
    write_safetensors(OUT / "expected.safetensors", safetensors_records(state))

    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss = model.proj(model.norm(model.embed(torch.tensor([1, 2])))).sum()
    loss.backward()
    optimizer.step()
    torch.save({"epoch": 3, "model": model.state_dict(keep_vars=True), "optimizer": optimizer.state_dict()}, OUT / "training.pt")
    write_safetensors(OUT / "training.expected.safetensors",
                      safetensors_records({"model." + name: tensor.detach() for name, tensor in model.state_dict().items()}))
    torch.save(model, OUT / "whole_module.pt")
    print(f"torch {torch.__version__}: wrote {len(state)} tensors")


if __name__ == "__main__":
    main()
