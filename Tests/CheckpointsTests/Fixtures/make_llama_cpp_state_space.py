#!/usr/bin/env python3
"""Regenerates Fixtures/LlamaCppStateSpace/: tiny random Mamba and Mamba-2 models (Hugging Face
`MambaForCausalLM`, `Mamba2ForCausalLM`; Mamba-2 with two groups, so its gated norm is reshaped) and
the BF16 GGUFs REAL llama.cpp's `convert_hf_to_gguf.py` writes of them, built and converted as
make_llama_cpp_architectures.py does (same venv, llama.cpp tree and minimal vocabulary):

    PYTHONPATH=$LLAMA_CPP_DIR/gguf-py /tmp/llamacpp/bin/python Tests/CheckpointsTests/Fixtures/make_llama_cpp_state_space.py

Kept: <name>/config.json and <name>/model.safetensors (what the converter read) and <name>.gguf.
Checked here, from the data: every GGUF tensor holds an HF tensor's values (reshaped at most), or
−exp of them (`A_log` → `ssm_a`, computed in F32 as torch computes it) — the script fails otherwise.
"""
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_llama_cpp_architectures as M  # noqa: E402

OUT = Path(__file__).resolve().parent / "LlamaCppStateSpace"


def specs():
    import transformers as T
    return {
        "mamba": (T.MambaConfig, T.MambaForCausalLM, dict(state_size=16, expand=2, conv_kernel=4, time_step_rank=8)),
        "mamba2": (T.Mamba2Config, T.Mamba2ForCausalLM, dict(num_heads=8, head_dim=8, expand=2, n_groups=2, state_size=16, conv_kernel=4)),
    }


def main():
    import numpy as np
    import torch
    from gguf import GGUFReader
    OUT.mkdir(exist_ok=True)
    for name, spec in specs().items():
        with tempfile.TemporaryDirectory() as temporary:
            directory = Path(temporary) / name
            state = M.build(name, spec, directory)
            target = OUT / name
            if target.exists():
                shutil.rmtree(target)
            target.mkdir()
            for file in M.ORIGINAL_FILES:
                shutil.copyfile(directory / file, target / file)
        output = OUT / f"{name}.gguf"
        M.convert(target, output)
        hf = {k: v.float().numpy() for k, v in state.items()}
        counts = {}
        for tensor in GGUFReader(output).tensors:
            values = M.gguf_values(tensor).ravel()
            how = next((("none", k) for k, v in hf.items() if v.size == values.size and np.array_equal(v.ravel(), values)), None) \
                or next((("negated-exp", k) for k, v in hf.items() if v.size == values.size
                         and np.array_equal((-torch.exp(torch.from_numpy(v))).numpy().ravel(), values)), None)
            if how is None:
                raise SystemExit(f"{name}: {tensor.name} holds nothing the HF model has")
            counts[how[0]] = counts.get(how[0], 0) + 1
        print(f"{name:7s} {output.stat().st_size:6d} B  {counts}")


if __name__ == "__main__":
    main()
