#!/usr/bin/env python3
"""Regenerates Fixtures/LlamaCppMultimodal/: tiny random vision-language releases (Hugging Face
`Qwen2_5_VLForConditionalGeneration`, `Qwen3VLForConditionalGeneration`, `Mistral3ForConditionalGeneration` and
`Gemma3ForConditionalGeneration`,
transformers 5.24.0) and
the BF16 GGUFs REAL llama.cpp's `convert_hf_to_gguf.py` writes of them — the language model only (the
converter writes the vision encoder and projector to a separate mmproj file only when asked with
--mmproj, which is not done here), built and converted as make_llama_cpp_architectures.py does
(same venv, llama.cpp tree and minimal vocabulary):

    PYTHONPATH=$LLAMA_CPP_DIR/gguf-py LLAMA_CPP_DIR=$LLAMA_CPP_DIR /tmp/llamacpp/bin/python \\
        Tests/CheckpointsTests/Fixtures/make_llama_cpp_multimodal.py

Kept: <name>/config.json, <name>/model.safetensors and <name>/tokenizer.json (what the converter read) and <name>.gguf.
Checked here, from the data: the GGUF holds no encoder or projector tensor, and every GGUF tensor
holds a language-model tensor's values (reshaped at most), 1 + them (Gemma's norms) or them permuted for RoPE
(Mistral 3's queries and keys, 4 or 2 heads) — the script
fails otherwise. Reruns give the same bytes.
"""
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_llama_cpp_architectures as M  # noqa: E402

OUT = Path(__file__).resolve().parent / "LlamaCppMultimodal"
TEXT = dict(vocab_size=M.VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=2, head_dim=8, max_position_embeddings=64, pad_token_id=0, bos_token_id=1, eos_token_id=2)
ENCODER = ("visual.", "model.visual.", "vision_tower.", "multi_modal_projector.")


def specs():
    import transformers as T
    return {
        # Qwen2.5-VL: the language model's names are the text model's (`model.layers.N`), the encoder under `visual.`.
        "qwen25vl": (T.Qwen2_5_VLConfig, T.Qwen2_5_VLForConditionalGeneration, dict(
            text_config=TEXT, image_token_id=5, video_token_id=6, vision_start_token_id=3,
            vision_config=dict(depth=2, hidden_size=32, intermediate_size=64, num_heads=2, out_hidden_size=32,
                               fullatt_block_indexes=[1], window_size=28, patch_size=14, spatial_merge_size=2, temporal_patch_size=2))),
        # Qwen3-VL: the language model under `model.language_model.`, the encoder (with deepstack mergers) under `model.visual.`.
        "qwen3vl": (T.Qwen3VLConfig, T.Qwen3VLForConditionalGeneration, dict(
            text_config=TEXT, image_token_id=5, video_token_id=6, vision_start_token_id=3,
            vision_config=dict(depth=2, hidden_size=32, intermediate_size=64, num_heads=2, out_hidden_size=32, patch_size=14,
                               spatial_merge_size=2, temporal_patch_size=2, deepstack_visual_indexes=[0], num_position_embeddings=16))),
        # Mistral 3 (Mistral Small 3.1's layout): a Pixtral encoder, the language model under `language_model.model.`,
        # its query/key rows permuted for RoPE by the converter.
        "mistral3": (T.Mistral3Config, T.Mistral3ForConditionalGeneration, dict(
            text_config=dict(TEXT, model_type="mistral"), image_token_index=5, spatial_merge_size=2,
            vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2, image_size=28,
                               patch_size=14, head_dim=16))),
        # Gemma 3: the language model under `language_model.model.`, a SigLIP encoder and a projector; norms stored as 1 + w.
        "gemma3vl": (T.Gemma3Config, T.Gemma3ForConditionalGeneration, dict(
            text_config=TEXT, mm_tokens_per_image=4, image_token_index=5, boi_token_index=3, eoi_token_index=4,
            vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2, image_size=28, patch_size=14))),
    }


def build(name, spec, directory: Path):
    """M.build with the nested configs a multimodal release has (not the text models' COMMON)."""
    config_class, model_class, arguments = spec
    return M.build(name, (lambda **_common: config_class(**arguments), model_class, {}), directory)


def main():
    import numpy as np
    from gguf import GGUFReader
    OUT.mkdir(exist_ok=True)
    for name, spec in specs().items():
        with tempfile.TemporaryDirectory() as temporary:
            directory = Path(temporary) / name
            state = build(name, spec, directory)
            target = OUT / name
            if target.exists():
                shutil.rmtree(target)
            target.mkdir()
            for file in M.ORIGINAL_FILES + ("tokenizer.json",):  # Gemma 3's converter reads the tokenizer's special tokens
                shutil.copyfile(directory / file, target / file)
        output = OUT / f"{name}.gguf"
        M.convert(target, output)
        language = {k: v.float().numpy() for k, v in state.items() if not k.startswith(ENCODER)}
        encoder = {k: v.float().numpy() for k, v in state.items() if k.startswith(ENCODER)}
        counts = {}
        for tensor in GGUFReader(output).tensors:
            values = M.gguf_values(tensor).ravel()
            if any(v.size == values.size and np.array_equal(v.ravel(), values) for v in encoder.values()):
                raise SystemExit(f"{name}: {tensor.name} holds an encoder tensor")
            how = next(("none" for v in language.values() if v.size == values.size and np.array_equal(v.ravel(), values)), None) \
                or next(("plus-one" for v in language.values() if v.ndim == 1 and v.size == values.size
                         and np.array_equal((v.astype(np.float32) + 1).ravel(), values)), None) \
                or next(("rope-permuted" for v in language.values() if v.ndim == 2 and v.size == values.size
                         and M.rope_permuted(values.reshape(v.shape), v, (4, 2))), None)
            if how is None:
                raise SystemExit(f"{name}: {tensor.name} holds nothing the language model has")
            counts[how] = counts.get(how, 0) + 1
        share = sum(v.size for v in encoder.values()) / sum(v.numel() for v in state.values())
        print(f"{name:8s} {output.stat().st_size:6d} B  {counts}  encoder {len(encoder)} tensors, {share:.1%} of the parameters")


if __name__ == "__main__":
    main()
