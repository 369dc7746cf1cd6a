#!/usr/bin/env python3
"""Regenerates Fixtures/LlamaCppStateSpace/: tiny random Mamba, Mamba-2, Jamba and Granite 4.0-H models
(Hugging Face `MambaForCausalLM`, `Mamba2ForCausalLM`, `JambaForCausalLM`, `GraniteMoeHybridForCausalLM`;
Mamba-2 and Granite 4.0-H with two groups, so their gated norms are reshaped) and
the BF16 GGUFs REAL llama.cpp's `convert_hf_to_gguf.py` writes of them, built and converted as
make_llama_cpp_architectures.py does (same venv, llama.cpp tree and minimal vocabulary):

    PYTHONPATH=$LLAMA_CPP_DIR/gguf-py /tmp/llamacpp/bin/python Tests/CheckpointsTests/Fixtures/make_llama_cpp_state_space.py

Kept: <name>/config.json and <name>/model.safetensors (what the converter read) and <name>.gguf.
Checked here, from the data: every GGUF tensor holds an HF tensor's values (reshaped at most), or
−exp of them (`A_log` → `ssm_a`, computed in F32 as torch computes it), or rows of one (Granite's
fused `shared_mlp.input_linear`, split), or permuted for RoPE (Granite's attention) — the script fails otherwise.
"""
import json
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
        # A Mamba layer, then an attention layer; one expert (a dense MLP under feed_forward).
        "jamba": (T.JambaConfig, T.JambaForCausalLM, dict(num_experts=1, mamba_d_state=16, mamba_d_conv=4, mamba_expand=2, mamba_dt_rank=8,
                                                        attn_layer_period=2, attn_layer_offset=1, expert_layer_period=2, expert_layer_offset=1)),
        # Granite 4.0-H's dense layout: a Mamba-2 layer (two groups), then an attention layer, each with the fused shared MLP.
        "granitehybrid": (T.GraniteMoeHybridConfig, T.GraniteMoeHybridForCausalLM, dict(
            num_local_experts=0, shared_intermediate_size=64, mamba_n_heads=8, mamba_d_head=8, mamba_n_groups=2, mamba_d_state=16,
            mamba_d_conv=4, mamba_expand=2, layer_types=["mamba", "attention"])),
    }


# transformers 5 writes layer_types as ["linear_attention", "full_attention"]; the converter reads the hub's
# ["mamba", "attention"] (with the former every layer gets 0 key/value heads). Written as the hub has it.
HUB_CONFIG = {"granitehybrid": {"layer_types": ["mamba", "attention"], "layers_block_type": ["mamba", "attention"]}}


def main():
    import numpy as np
    import torch
    from gguf import GGUFReader
    OUT.mkdir(exist_ok=True)
    for name, spec in specs().items():
        with tempfile.TemporaryDirectory() as temporary:
            directory = Path(temporary) / name
            state = M.build(name, spec, directory)
            if name in HUB_CONFIG:
                config = json.loads((directory / "config.json").read_text())
                (directory / "config.json").write_text(json.dumps({**config, **HUB_CONFIG[name]}, indent=2, sort_keys=True) + "\n")
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
            shaped = M.gguf_values(tensor)
            values = shaped.ravel()
            how = next((("none", k) for k, v in hf.items() if v.size == values.size and np.array_equal(v.ravel(), values)), None) \
                or next((("negated-exp", k) for k, v in hf.items() if v.size == values.size
                         and np.array_equal((-torch.exp(torch.from_numpy(v))).numpy().ravel(), values)), None)
            how = how or next((("split", k) for k, v in hf.items() if v.ndim == 2 and v.size == 2 * values.size
                               and any(np.array_equal(half.ravel(), values) for half in np.split(v, 2))), None)
            # Granite's attention query/key rows, permuted for RoPE (LlamaModel.permute) by 4 heads, or 2 key/value heads.
            how = how or next((("rope-permuted", k) for k, v in hf.items() if shaped.ndim == 2 and v.size == values.size
                               and any(shaped.shape[0] % (2 * n) == 0 and np.array_equal(M.unpermute(shaped, n, None), v.reshape(shaped.shape))
                                       for n in (4, 2))), None)
            if how is None:
                raise SystemExit(f"{name}: {tensor.name} holds nothing the HF model has")
            counts[how[0]] = counts.get(how[0], 0) + 1
        print(f"{name:7s} {output.stat().st_size:6d} B  {counts}")


if __name__ == "__main__":
    main()
