#!/usr/bin/env python3
"""Regenerates Fixtures/LlamaCppStateSpace/: tiny random Mamba, Mamba-2, Jamba, Granite 4.0-H, Nemotron-H and
Falcon-H1 models (Hugging Face `MambaForCausalLM`, `Mamba2ForCausalLM`, `JambaForCausalLM`, `GraniteMoeHybridForCausalLM`,
`NemotronHForCausalLM`, `FalconH1ForCausalLM` — the last twice, with unit multipliers and with multipliers the converter
folds in; all but Mamba and Jamba with two groups, so their gated norms are reshaped) and
the BF16 GGUFs REAL llama.cpp's `convert_hf_to_gguf.py` writes of them, built and converted as
make_llama_cpp_architectures.py does (same venv, llama.cpp tree and minimal vocabulary):

    PYTHONPATH=$LLAMA_CPP_DIR/gguf-py /tmp/llamacpp/bin/python Tests/CheckpointsTests/Fixtures/make_llama_cpp_state_space.py

Kept: <name>/config.json and <name>/model.safetensors (what the converter read) and <name>.gguf.
Checked here, from the data: every GGUF tensor holds an HF tensor's values (reshaped at most), or
−exp of them (`A_log` → `ssm_a`, computed in F32 as torch computes it), or rows of one (Granite's
fused `shared_mlp.input_linear`, split), or permuted for RoPE (Granite's and Nemotron-H's attention), or a stack of
them (Nemotron-H's routed experts), or every row a multiple of theirs (Falcon-H1's folded multipliers, rounded to
BF16 again; the factors are printed) — the script fails otherwise. Reruns give the same bytes.
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
        # Nemotron-H: one mixer per layer (Mamba-2 with two groups, attention, a ReLU² MLP, routed and shared experts).
        "nemotron_h": (T.NemotronHConfig, T.NemotronHForCausalLM, dict(
            layers_block_type=["mamba", "attention", "mlp", "moe"], head_dim=8, mamba_num_heads=8, mamba_head_dim=8, n_groups=2,
            ssm_state_size=16, conv_kernel=4, expand=2, n_routed_experts=4, num_experts_per_tok=2, moe_intermediate_size=32,
            moe_shared_expert_intermediate_size=48)),
        # Falcon-H1: attention and Mamba-2 side by side in every layer; unit multipliers, so nothing is folded.
        "falcon_h1": (T.FalconH1Config, T.FalconH1ForCausalLM, FALCON_H1),
        # The same with multipliers of the size Falcon-H1 configs carry (chosen, not copied from a release), which the
        # converter folds into the weights.
        "falcon_h1_scaled": (T.FalconH1Config, T.FalconH1ForCausalLM, dict(
            FALCON_H1, attention_in_multiplier=1.0, attention_out_multiplier=0.9375, embedding_multiplier=5.65625, key_multiplier=0.390625,
            lm_head_multiplier=0.0390625, mlp_multipliers=[0.8828125, 0.5859375], ssm_in_multiplier=1.25,
            ssm_multipliers=[0.353515625, 0.25, 0.353515625, 0.5, 0.353515625], ssm_out_multiplier=0.2353515625)),
    }


FALCON_H1 = dict(mamba_d_ssm=64, mamba_n_heads=8, mamba_d_head=8, mamba_n_groups=2, mamba_d_state=16, mamba_d_conv=4,
                 mamba_expand=2, mamba_rms_norm=True, mlp_multipliers=[1.0, 1.0], ssm_multipliers=[1.0] * 5)


# transformers 5 writes layer_types as ["linear_attention", "full_attention"]; the converter reads the hub's
# ["mamba", "attention"] (with the former every layer gets 0 key/value heads). Written as the hub has it.
# Falcon-H1's hub configs state head_dim, which the converter reads and transformers 5 does not write.
HUB_CONFIG = {"granitehybrid": {"layer_types": ["mamba", "attention"], "layers_block_type": ["mamba", "attention"]},
              "falcon_h1": {"head_dim": 8}, "falcon_h1_scaled": {"head_dim": 8}}


def merged(factors):
    """Factors within 2^-6 of each other taken as one (rounding leaves each row's estimate a little off): their means."""
    import numpy as np
    clusters = []
    for factor in np.sort(np.asarray(list(factors), dtype=np.float64)):
        if clusters and factor - clusters[-1][-1] <= 2 ** -6 * abs(factor):
            clusters[-1].append(factor)
        else:
            clusters.append([factor])
    return [float(np.mean(cluster)) for cluster in clusters]


def scaled_rows(stored, original):
    """The factors (at most five distinct, not all 1) if every row of `stored` is one of them times `original`'s row,
    within BF16's rounding; else an empty set."""
    import numpy as np
    rows = stored.reshape(stored.shape[0], -1) if stored.ndim > 1 else stored.reshape(1, -1)
    source = original.reshape(rows.shape)
    zero = ~source.any(axis=1)  # the embedding's padding row
    if rows[zero].any():
        return set()
    rows, source = rows[~zero], source[~zero]
    factors = (rows * source).sum(axis=1) / (source * source).sum(axis=1)  # least squares per row
    distinct = set(merged(factors))
    scaled = len(distinct) <= 5 and distinct != {1.0} and np.allclose(rows, factors[:, None] * source, rtol=2 ** -7, atol=0)
    return distinct if scaled else set()


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
        counts, factors_seen = {}, set()
        for tensor in GGUFReader(output).tensors:
            shaped = M.gguf_values(tensor)
            values = shaped.ravel()
            how = next((("none", k) for k, v in hf.items() if v.size == values.size and np.array_equal(v.ravel(), values)), None) \
                or next((("negated-exp", k) for k, v in hf.items() if v.size == values.size
                         and np.array_equal((-torch.exp(torch.from_numpy(v))).numpy().ravel(), values)), None)
            how = how or next((("split", k) for k, v in hf.items() if v.ndim == 2 and v.size == 2 * values.size
                               and any(np.array_equal(half.ravel(), values) for half in np.split(v, 2))), None)
            # Granite's attention query/key rows, permuted for RoPE (LlamaModel.permute) by 4 heads, or 2 key/value heads.
            how = how or next((("rope-permuted", k) for k, v in hf.items() if M.rope_permuted(shaped, v, (4, 2))), None)
            # Nemotron-H's routed experts, stacked in expert order.
            how = how or (shaped.ndim == 3 and all(
                any(v.size == part.size and np.array_equal(v.ravel(), part.ravel()) for v in hf.values()) for part in shaped)
                and ("stacked", None)) or None
            # Falcon-H1's multipliers, folded in by the converter: every row a multiple of the HF row (in_proj's
            # five row blocks each by their own factor), rounded to BF16 again.
            for k, v in ([] if how else hf.items()):
                factors = scaled_rows(shaped, v) if v.size == values.size else set()
                if factors:
                    how, factors_seen = ("scaled", k), factors_seen | factors
                    break
            if how is None:
                raise SystemExit(f"{name}: {tensor.name} holds nothing the HF model has")
            counts[how[0]] = counts.get(how[0], 0) + 1
        print(f"{name:7s} {output.stat().st_size:6d} B  {counts}")
        if factors_seen:
            print("        scale factors: " + ", ".join(f"{factor:.4g}" for factor in merged(factors_seen)))


if __name__ == "__main__":
    main()
