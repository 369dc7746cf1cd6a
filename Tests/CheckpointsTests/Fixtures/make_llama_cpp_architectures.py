#!/usr/bin/env python3
"""Regenerates Fixtures/LlamaCppArchitectures/: tiny random Hugging Face models of several
architectures, converted to GGUF by REAL llama.cpp (`convert_hf_to_gguf.py --outtype bf16`),
and a manifest saying, for every GGUF tensor, which Hugging Face tensors it holds, what the
converter did to their values, and the SHA-256 of the values a reader must give back.

Offline only; the Swift tests never run Python. Needs the venv and llama.cpp tree described in
make_llama_cpp_fixtures.py (with llama-quantize built: cmake -B build && cmake --build build --target
llama-quantize), plus transformers (5.24.0 was used):

    /tmp/llamacpp/bin/pip install transformers safetensors
    LLAMA_CPP_DIR=/path/to/llama.cpp /tmp/llamacpp/bin/python Tests/CheckpointsTests/Fixtures/make_llama_cpp_architectures.py

What is verified here, from the data and not from reading the converter:
  transform "none"           the GGUF tensor holds the HF tensor's values (reshaped at most)
  transform "rope-permuted"  it holds them after LlamaModel.permute (query/key rows interleaved
                             per head for RoPE); a reader undoes it
  transform "plus-one"       it holds 1 + w (Gemma's RMSNorm gains), exactly
  transform "stacked"        a [E, rows, cols] stack of the experts' tensors in expert order
  transform "split"          rows of a fused HF tensor (Granite MoE's input_linear: gate, then up)
  transform "stacked-transposed", "split-transposed"
                             the same of an HF stack stored input-major ([E, in, out]: Llama 4's
                             experts), each expert transposed by the converter
  transform "computed"       rope_freqs: factors the converter computes from the config (no HF tensor)
  transform "qkv-regrouped"  a fused query/key/value tensor whose rows the converter regrouped from
                             per-group [queries, key, value] (GPT-NeoX, BLOOM: one group per head;
                             Falcon: one per key/value head) to all queries, all keys, all values;
                             a reader undoes it
  transform "transposed"     the HF tensor transposed (GPT-2's Conv1D stores [in, out]); a reader
                             delivers the GGUF layout, which the fingerprint's canonical form equates
  transform "kv-split"       DeepSeek's multi-head latent attention: kv_b_proj [H * (n + v), L] (per head:
                             n key rows, then v value rows) split by the converter into attn_k_b [H, L, n]
                             (each head's key rows, transposed) and attn_v_b [H, v, L] (its value rows);
                             a reader delivers the GGUF layout
Every GGUF tensor must be explained by one of them or the script fails. `sha256` is over the
values as float32 little-endian in the order a reader delivers them: HF row order (RoPE
permutation undone), with the 1 of "plus-one" taken off.

The tokenizer is not what is tested: every converter's set_vocab is replaced by a minimal
llama-style vocabulary (the tensors are converted by the real code paths).

Kept beside the GGUFs (see keep_original and quantize_fixtures; the manifest lists them under
"originals" and "quantized"):
  originals/<name>/          the tiny Hugging Face original of the models in ORIGINALS, exactly the
                             config.json and model.safetensors that build() wrote and the converter
                             read (tokenizer.json and generation_config.json are left out: the GGUF
                             does not depend on them). The script converts the kept directory again
                             and fails unless that gives the same GGUF bytes.
  quantized/<name>-<type>.gguf
                             the real converter's <name>.gguf quantized by REAL llama.cpp
                             `llama-quantize` (LLAMA_QUANTIZE, default <LLAMA_CPP_DIR>/build/bin/llama-quantize,
                             run with its directory as LD_LIBRARY_PATH) to each type in QUANTIZED.
                             "tensor_types" is every tensor's ggml type as read back with GGUFReader.
                             The rows here are short (16 to 128 values), so llama-quantize falls back
                             where a type's block does not divide a row: no K-quant (256-value blocks)
                             survives in a Q4_K_M file (q5_0 and q8_0 instead), and rows of 16 values become
                             f16 even in Q8_0 (32-value blocks). Norms, biases and the router stay f32.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

from make_llama_cpp_fixtures import unpermute  # the inverse of LlamaModel.permute

HERE = Path(__file__).resolve().parent
OUT = HERE / "LlamaCppArchitectures"
LLAMA_CPP_DIR = Path(os.environ.get("LLAMA_CPP_DIR", "/tmp/llamacpp-src/llama_cpp_python-0.3.36/vendor/llama.cpp"))
LLAMA_CPP_COMMIT = "0c1e57098bba43ac29e6e3b677cdceebdd22334f"
VOCAB = 64
ORIGINALS = ("deepseek3",)  # models whose tiny Hugging Face original is kept in originals/<name>/
ORIGINAL_FILES = ("config.json", "model.safetensors")  # what the converter reads
QUANTIZED = {"deepseek3": ("Q8_0", "Q4_K_M")}  # GGUF → llama-quantize types, kept in quantized/
COMMON = dict(vocab_size=VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
              num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
              tie_word_embeddings=False, pad_token_id=0, bos_token_id=1, eos_token_id=2)


def specs():
    import transformers as T
    moe = dict(num_experts=4, num_experts_per_tok=2, moe_intermediate_size=16)
    # Multi-head latent attention. The converter splits kv_b_proj by num_key_value_heads, so it must
    # equal num_attention_heads (as in the real models).
    mla = dict(num_key_value_heads=4, n_routed_experts=4, num_experts_per_tok=2, moe_intermediate_size=16,
               first_k_dense_replace=1, n_shared_experts=1, kv_lora_rank=32, qk_rope_head_dim=4,
               qk_nope_head_dim=32, v_head_dim=32)
    return {
        "llama": (T.LlamaConfig, T.LlamaForCausalLM, {}),
        # Llama 3.1's scaled RoPE: the converter adds the frequencies it computes (rope_freqs).
        "llama3": (T.LlamaConfig, T.LlamaForCausalLM, dict(rope_parameters={
            "rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0,
            "high_freq_factor": 4.0, "original_max_position_embeddings": 16})),
        "mistral": (T.MistralConfig, T.MistralForCausalLM, {}),
        "granite": (T.GraniteConfig, T.GraniteForCausalLM, {}),
        "granitemoe": (T.GraniteMoeConfig, T.GraniteMoeForCausalLM, dict(num_local_experts=4, num_experts_per_tok=2, intermediate_size=16)),
        "arcee": (T.ArceeConfig, T.ArceeForCausalLM, {}),
        "smollm3": (T.SmolLM3Config, T.SmolLM3ForCausalLM, {}),
        "apertus": (T.ApertusConfig, T.ApertusForCausalLM, dict(rope_parameters={"rope_type": "default", "rope_theta": 10000.0})),
        "qwen2": (T.Qwen2Config, T.Qwen2ForCausalLM, {}),
        "qwen3": (T.Qwen3Config, T.Qwen3ForCausalLM, dict(head_dim=8)),
        "qwen2moe": (T.Qwen2MoeConfig, T.Qwen2MoeForCausalLM, dict(moe, shared_expert_intermediate_size=32)),
        "qwen3moe": (T.Qwen3MoeConfig, T.Qwen3MoeForCausalLM, dict(moe, head_dim=8)),
        "gemma": (T.GemmaConfig, T.GemmaForCausalLM, dict(head_dim=8)),
        "gemma2": (T.Gemma2Config, T.Gemma2ForCausalLM, dict(head_dim=8)),
        "gemma3": (T.Gemma3TextConfig, T.Gemma3ForCausalLM, dict(head_dim=8)),
        "phi3": (T.Phi3Config, T.Phi3ForCausalLM, {}),
        "olmo2": (T.Olmo2Config, T.Olmo2ForCausalLM, {}),
        "stablelm": (T.StableLmConfig, T.StableLmForCausalLM, {}),
        "starcoder2": (T.Starcoder2Config, T.Starcoder2ForCausalLM, {}),
        "phi2": (T.PhiConfig, T.PhiForCausalLM, {}),
        "gpt2": (T.GPT2Config, T.GPT2LMHeadModel, dict(n_embd=32, n_layer=2, n_head=4, n_positions=64)),
        "gptneox": (T.GPTNeoXConfig, T.GPTNeoXForCausalLM, dict(rotary_pct=0.25)),
        "falcon": (T.FalconConfig, T.FalconForCausalLM, dict(multi_query=True, num_kv_heads=1, parallel_attn=True)),
        # Falcon 40B/180B's layout: grouped query/key/value rows, two norms per layer.
        "falcon40b": (T.FalconConfig, T.FalconForCausalLM, dict(new_decoder_architecture=True, num_kv_heads=2)),
        "bloom": (T.BloomConfig, T.BloomForCausalLM, dict(n_layer=2, n_head=4)),
        "olmo": (T.OlmoConfig, T.OlmoForCausalLM, {}),
        "olmoe": (T.OlmoeConfig, T.OlmoeForCausalLM, dict(num_experts=4, num_experts_per_tok=2)),
        "glm4": (T.Glm4Config, T.Glm4ForCausalLM, dict(head_dim=8)),
        "nemotron": (T.NemotronConfig, T.NemotronForCausalLM, {}),
        "exaone4": (T.Exaone4Config, T.Exaone4ForCausalLM, {}),
        "ernie4_5": (T.Ernie4_5Config, T.Ernie4_5ForCausalLM, dict(head_dim=8)),
        "seed_oss": (T.SeedOssConfig, T.SeedOssForCausalLM, dict(head_dim=8)),
        "cohere": (T.CohereConfig, T.CohereForCausalLM, dict(tie_word_embeddings=True)),
        "hunyuan": (T.HunYuanDenseV1Config, T.HunYuanDenseV1ForCausalLM, dict(head_dim=8)),
        # Maverick's layout: a dense layer, then a mixture-of-experts one.
        "llama4": (T.Llama4TextConfig, T.Llama4ForCausalLM, dict(num_local_experts=4, num_experts_per_tok=1, intermediate_size=16,
                                                                 intermediate_size_mlp=64, head_dim=8, interleave_moe_layer_step=2)),
        # DeepSeek-V2-Lite's layout: no query compression, a dense layer, then a mixture-of-experts one.
        "deepseek2": (T.DeepseekV2Config, T.DeepseekV2ForCausalLM, dict(mla, q_lora_rank=None)),
        # DeepSeek-V3's: compressed queries (q_a_proj, q_a_layernorm, q_b_proj) and a router with
        # e_score_correction_bias (exp_probs_b). topk_method and scoring_func are not DeepseekV3Config
        # arguments; they are kept in config.json as in the real model (the converter reads scoring_func).
        "deepseek3": (T.DeepseekV3Config, T.DeepseekV3ForCausalLM, dict(mla, q_lora_rank=16, n_group=2, topk_group=1,
                                                                       topk_method="noaux_tc", scoring_func="sigmoid")),
        # GLM-4.5's layout (arch glm4moe): attention with biases and partial RoPE, a dense layer, then a
        # mixture-of-experts one with a shared expert and a router with e_score_correction_bias (exp_probs_b).
        # No NextN/MTP layer (transformers builds none; with num_nextn_predict_layers=0 the converter expects none).
        "glm4moe": (T.Glm4MoeConfig, T.Glm4MoeForCausalLM, dict(n_routed_experts=4, num_experts_per_tok=2, moe_intermediate_size=16,
                                                               first_k_dense_replace=1, n_shared_experts=1, head_dim=8,
                                                               attention_bias=True, num_nextn_predict_layers=0)),
        # GLM-4.7-Flash's: DeepSeek's latent attention with compressed queries, converted as deepseek2. Like the
        # real config.json, no scoring_func, so the GGUF has no expert_gating_func (llama.cpp infers sigmoid from
        # GLM-4.7-Flash's real layer count and vocabulary only); no NextN/MTP layer.
        "glm4moelite": (T.Glm4MoeLiteConfig, T.Glm4MoeLiteForCausalLM, dict(mla, q_lora_rank=16, num_nextn_predict_layers=0)),
    }


# --- conversion ---------------------------------------------------------------------------------

CONVERT = r'''
import sys, runpy, importlib, pkgutil
from pathlib import Path
LC = Path(sys.argv.pop(1))
sys.path.insert(0, str(LC)); sys.path.insert(1, str(LC / "gguf-py"))
import conversion
from conversion import ModelBase
def minimal_vocab(self):
    n = self.hparams.get("vocab_size", 64)
    self.gguf_writer.add_tokenizer_model("llama")
    self.gguf_writer.add_token_list([f"t{i}" for i in range(n)])
    self.gguf_writer.add_token_scores([0.0] * n)
    self.gguf_writer.add_token_types([1] * n)
for m in pkgutil.iter_modules(conversion.__path__):
    try: importlib.import_module(f"conversion.{m.name}")
    except Exception: pass
for classes in ModelBase._model_classes.values():
    for cls in classes.values():
        cls.set_vocab = minimal_vocab
# transformers 5 moved two keys that this converter still reads under their old names.
load_hparams = ModelBase.load_hparams
def load_hparams_with_old_keys(dir_model, is_mistral_format):
    config = load_hparams(dir_model, is_mistral_format)
    rope = config.get("rope_parameters") or {}
    if "rotary_pct" not in config and "partial_rotary_factor" in rope:
        config["rotary_pct"] = rope["partial_rotary_factor"]
    if "n_ctx" not in config and "n_positions" in config:
        config["n_ctx"] = config["n_positions"]
    return config
ModelBase.load_hparams = staticmethod(load_hparams_with_old_keys)
sys.argv = [str(LC / "convert_hf_to_gguf.py")] + sys.argv[1:]
runpy.run_path(str(LC / "convert_hf_to_gguf.py"), run_name="__main__")
'''


def build(name, spec, directory: Path):
    import torch
    from safetensors.torch import save_file
    config_class, model_class, extra = spec
    torch.manual_seed(sum(map(ord, name)))
    model = model_class(config_class(**{**COMMON, **extra})).to(torch.bfloat16)
    model.save_pretrained(directory, safe_serialization=True)
    # Trained-looking norms and biases (initialisation leaves them constant, which tests nothing).
    from safetensors.torch import load_file
    path = directory / "model.safetensors"
    state = load_file(path)
    generator = torch.Generator().manual_seed(7)
    for key, value in state.items():
        if value.dim() == 1 or key.endswith("norm.weight"):
            state[key] = (torch.randn(value.shape, generator=generator) * 0.4 + 0.2).to(value.dtype)
    save_file(state, path, metadata={"format": "pt"})
    json.dump({"model": {"type": "BPE", "vocab": {f"t{i}": i for i in range(VOCAB)}, "merges": []}, "added_tokens": []},
              open(directory / "tokenizer.json", "w"))
    return state


def convert(directory: Path, output: Path):
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as script:
        script.write(CONVERT)
    result = subprocess.run([sys.executable, script.name, str(LLAMA_CPP_DIR), str(directory), "--outfile", str(output),
                             "--outtype", "bf16"], capture_output=True, text=True)
    os.unlink(script.name)
    if result.returncode != 0:
        raise SystemExit(f"convert_hf_to_gguf.py failed for {directory}:\n{result.stderr[-2000:]}")


# --- originals and quantized copies ----------------------------------------------------------------

def keep_original(name, directory: Path):
    """Copies the Hugging Face files the converter read into originals/<name>/ and checks that they
    alone convert to the same GGUF bytes. Returns the directory relative to OUT."""
    target = OUT / "originals" / name
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for file in ORIGINAL_FILES:
        shutil.copyfile(directory / file, target / file)
    with tempfile.TemporaryDirectory() as temporary:
        again = Path(temporary) / f"{name}.gguf"
        convert(target, again)  # the directory's name (general.name's source) is the same: <name>
        if again.read_bytes() != (OUT / f"{name}.gguf").read_bytes():
            raise SystemExit(f"{target} does not convert to the same bytes as {name}.gguf")
    return str(target.relative_to(OUT))


def quantize_fixtures():
    """Quantizes the converter's GGUFs with llama-quantize (QUANTIZED) into quantized/; returns the
    manifest's "quantized": {file relative to OUT: {"source", "type", "tensor_types"}}."""
    from gguf import GGUFReader
    tool = Path(os.environ.get("LLAMA_QUANTIZE", LLAMA_CPP_DIR / "build" / "bin" / "llama-quantize"))
    env = {**os.environ, "LD_LIBRARY_PATH": os.pathsep.join(filter(None, [str(tool.parent), os.environ.get("LD_LIBRARY_PATH")]))}
    directory = OUT / "quantized"
    directory.mkdir(exist_ok=True)
    quantized = {}
    for name, types in QUANTIZED.items():
        source = OUT / f"{name}.gguf"
        shapes = {t.name: list(t.shape) for t in GGUFReader(source).tensors}
        for quant_type in types:
            output = directory / f"{name}-{quant_type}.gguf"
            result = subprocess.run([str(tool), str(source), str(output), quant_type, "1"], capture_output=True, text=True, env=env)
            if result.returncode != 0:
                raise SystemExit(f"llama-quantize {quant_type} failed for {source}:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
            reader = GGUFReader(output)
            if {t.name: list(t.shape) for t in reader.tensors} != shapes:
                raise SystemExit(f"{output.name}: tensors differ from {source.name}'s")
            tensor_types = {t.name: t.tensor_type.name for t in reader.tensors}
            quantized[str(output.relative_to(OUT))] = {"source": source.name, "type": quant_type, "tensor_types": tensor_types}
            counts = {}
            for ggml_type in tensor_types.values():
                counts[ggml_type] = counts.get(ggml_type, 0) + 1
            print(f"{output.name:22s} {output.stat().st_size:7d} B  {counts}")
    return quantized


# --- what each GGUF tensor holds -----------------------------------------------------------------

def gguf_values(tensor):
    import numpy as np
    from gguf import GGMLQuantizationType as T
    data = np.array(tensor.data)
    if tensor.tensor_type == T.BF16:
        data = (data.view(np.uint16).astype(np.uint32) << 16).view(np.float32)
    shape = [int(d) for d in reversed(tensor.shape)]
    return data.astype(np.float32).reshape(shape)


def rope_permuted(stored, original, head_counts):
    """Whether 2-D `stored` holds `original`'s rows as LlamaModel.permute leaves them for one of `head_counts`."""
    import numpy as np
    return stored.ndim == 2 and stored.size == original.size and any(
        stored.shape[0] % (2 * n) == 0 and np.array_equal(unpermute(stored, n, None), original.reshape(stored.shape)) for n in head_counts)


def regroup_qkv(rows, groups, queries_per_group):
    """HF rows [per group: queries, key, value] → llama.cpp's [all queries, all keys, all values]."""
    import numpy as np
    head_dim = rows.shape[0] // (groups * (queries_per_group + 2))
    grouped = rows.reshape(groups, queries_per_group + 2, head_dim, *rows.shape[1:])
    parts = (grouped[:, :queries_per_group], grouped[:, queries_per_group], grouped[:, queries_per_group + 1])
    return np.concatenate([p.reshape(-1, *rows.shape[1:]) for p in parts])


def explain(name, values, hf, heads, kv_heads):
    """(transform, HF names, expected delivered values) for one GGUF tensor, or None."""
    import numpy as np
    if name == "rope_freqs.weight":
        return "computed", [], values
    for key, original in hf.items():
        if original.size == values.size and np.array_equal(original.reshape(values.shape), values):
            return "none", [key], original.reshape(values.shape)
    for key, original in hf.items():
        if original.size != values.size:
            continue
        shaped = original.reshape(values.shape)
        if np.array_equal(values - np.float32(1), shaped):
            return "plus-one", [key], shaped
        for n in sorted({heads, kv_heads}) if values.ndim == 2 else []:
            if values.shape[0] % (2 * n) == 0 and np.array_equal(unpermute(values, n, None), shaped):
                return "rope-permuted", [key], shaped
        if "attn_qkv" in name:
            for groups in sorted({heads, kv_heads}):
                if groups > 1 and heads % groups == 0 and values.shape[0] % (groups * (heads // groups + 2)) == 0 \
                        and np.array_equal(regroup_qkv(shaped, groups, heads // groups), values):
                    return "qkv-regrouped", [key], shaped
        if values.ndim == 2 and original.ndim == 2 and np.array_equal(original.T, values):
            return "transposed", [key], values
    if values.ndim == 3:
        experts = values.shape[0]
        names = []
        for e in range(experts):
            match = [k for k, v in hf.items() if v.size == values[e].size and np.array_equal(v.reshape(values[e].shape), values[e])]
            if len(match) != 1:
                break
            names.append(match[0])
        else:
            return "stacked", names, values
        for key, original in hf.items():
            if original.ndim != 3 or original.shape[0] != experts:
                continue
            # Llama 4 and gpt-oss store experts input-major ([E, in, out]); the converter transposes each.
            for stack, suffix in ((original, ""), (original.transpose(0, 2, 1), "-transposed")):
                if stack.shape == values.shape and np.array_equal(stack, values):
                    return "stacked" + suffix, [key], values
                if stack.shape[2] == values.shape[2]:
                    rows = values.shape[1]
                    for start in range(0, stack.shape[1] - rows + 1, rows):
                        if np.array_equal(stack[:, start:start + rows, :], values):
                            return "split" + suffix, [key], values
        # DeepSeek's kv_b_proj [H * (n + v), L], per head n key rows then v value rows: attn_k_b holds
        # each head's key rows transposed ([H, L, n]), attn_v_b its value rows ([H, v, L]).
        heads_here = values.shape[0]
        for key, original in hf.items():
            if original.ndim != 2 or original.shape[0] % heads_here:
                continue
            per_head = original.reshape(heads_here, original.shape[0] // heads_here, original.shape[1])
            rows = per_head.shape[1]
            if values.shape[1] == original.shape[1] and values.shape[2] < rows \
                    and np.array_equal(per_head[:, :values.shape[2], :].transpose(0, 2, 1), values):
                return "kv-split", [key], values
            if values.shape[2] == original.shape[1] and values.shape[1] < rows \
                    and np.array_equal(per_head[:, rows - values.shape[1]:, :], values):
                return "kv-split", [key], values
    return None


def main():
    import numpy as np
    import torch
    from gguf import GGUFReader
    OUT.mkdir(exist_ok=True)
    manifest = {"llama_cpp_commit": LLAMA_CPP_COMMIT, "transformers": version("transformers"), "torch": version("torch"),
                "gguf": version("gguf"), "architectures": {}, "originals": {}, "quantized": {}}
    for name, spec in specs().items():
        with tempfile.TemporaryDirectory() as temporary:
            directory = Path(temporary) / name
            state = build(name, spec, directory)
            hf = {k: v.float().numpy() for k, v in state.items()}
            output = OUT / f"{name}.gguf"
            convert(directory, output)
            if name in ORIGINALS:
                manifest["originals"][name] = keep_original(name, directory)
        reader = GGUFReader(output)
        architecture = bytes(reader.fields["general.architecture"].parts[-1]).decode()
        config = {**COMMON, **spec[2]}  # only the latent-attention specs (DeepSeek, GLM-4.7-Flash) override these two
        heads, kv_heads = config["num_attention_heads"], config["num_key_value_heads"]
        entries = []
        for tensor in reader.tensors:
            values = gguf_values(tensor)
            explained = explain(tensor.name, values, hf, heads, kv_heads)
            if explained is None:
                raise SystemExit(f"{name}: {tensor.name} {values.shape} holds nothing the HF model has")
            transform, names, delivered = explained
            entries.append({"gguf": tensor.name, "dtype": tensor.tensor_type.name, "shape": list(delivered.shape),
                            "transform": transform, "hf": names,
                            "sha256": hashlib.sha256(np.ascontiguousarray(delivered, dtype="<f4").tobytes()).hexdigest()})
        held = {n for e in entries for n in e["hf"]}
        manifest["architectures"][name] = {"file": output.name, "architecture": architecture,
                                           "heads": heads, "kv_heads": kv_heads,
                                           "not_converted": sorted(set(hf) - held), "tensors": entries}
        counts = {}
        for e in entries:
            counts[e["transform"]] = counts.get(e["transform"], 0) + 1
        print(f"{name:11s} {architecture:11s} {output.stat().st_size:7d} B  {counts}")
    manifest["quantized"] = quantize_fixtures()
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")


if __name__ == "__main__":
    main()
