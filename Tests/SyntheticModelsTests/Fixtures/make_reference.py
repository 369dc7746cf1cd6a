#!/usr/bin/env python3
"""Writes the reference fixtures for ReferenceForwardTests (run offline; numpy only).

Each fixture is a safetensors file holding a micro model's weights (random, with non-trivial
norm weights and biases), the expected output computed here in float64 as tensor
`expected.output`, and the spec and tokens in __metadata__. This implementation is
independent of the Swift one (vectorised numpy, written after Hugging Face's
modeling_llama.py / modeling_bert.py: rotate_half RoPE, repeat_kv, causal mask, exact GELU).

    python3 make_reference.py   # rewrites llama_gqa.safetensors, llama_tied.safetensors, bert.safetensors
"""
import json
import math
import os
import struct

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    offset = 0
    blobs = []
    for name, array in tensors:
        dtype = {np.float32: "F32", np.float64: "F64"}[array.dtype.type]
        data = np.ascontiguousarray(array).tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def rms_norm(x, g, eps):
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * g


def layer_norm(x, g, b, eps):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * g + b


def rope(x, heads, hd, base):
    t = x.shape[0]
    x = x.reshape(t, heads, hd)
    inv = 1.0 / (base ** (np.arange(0, hd, 2, dtype=np.float64) / hd))
    angles = np.arange(t, dtype=np.float64)[:, None] * inv[None, :]
    emb = np.concatenate([angles, angles], -1)
    cos, sin = np.cos(emb)[:, None, :], np.sin(emb)[:, None, :]
    rotated = np.concatenate([-x[..., hd // 2:], x[..., : hd // 2]], -1)
    return (x * cos + rotated * sin).reshape(t, heads * hd)


def attention(q, k, v, heads, kv_heads, hd, causal):
    t = q.shape[0]
    q = q.reshape(t, heads, hd).transpose(1, 0, 2)
    k = np.repeat(k.reshape(t, kv_heads, hd).transpose(1, 0, 2), heads // kv_heads, axis=0)
    v = np.repeat(v.reshape(t, kv_heads, hd).transpose(1, 0, 2), heads // kv_heads, axis=0)
    scores = q @ k.transpose(0, 2, 1) / math.sqrt(hd)
    if causal:
        scores = scores + np.triu(np.full((t, t), -np.inf), 1)
    scores = np.exp(scores - scores.max(-1, keepdims=True))
    probs = scores / scores.sum(-1, keepdims=True)
    return (probs @ v).transpose(1, 0, 2).reshape(t, heads * hd)


def llama_fixture(name, rng, vocab, d, heads, kv_heads, ff, layers, tied, tokens):
    hd = d // heads
    w = {}
    f32 = lambda a: a.astype(np.float32)
    w["model.embed_tokens.weight"] = f32(rng.normal(0, 1, (vocab, d)))
    for l in range(layers):
        p = f"model.layers.{l}."
        w[p + "input_layernorm.weight"] = f32(1 + rng.normal(0, 0.2, d))
        w[p + "self_attn.q_proj.weight"] = f32(rng.normal(0, 0.3, (d, d)))
        w[p + "self_attn.k_proj.weight"] = f32(rng.normal(0, 0.3, (kv_heads * hd, d)))
        w[p + "self_attn.v_proj.weight"] = f32(rng.normal(0, 0.3, (kv_heads * hd, d)))
        w[p + "self_attn.o_proj.weight"] = f32(rng.normal(0, 0.3, (d, d)))
        w[p + "post_attention_layernorm.weight"] = f32(1 + rng.normal(0, 0.2, d))
        w[p + "mlp.gate_proj.weight"] = f32(rng.normal(0, 0.3, (ff, d)))
        w[p + "mlp.up_proj.weight"] = f32(rng.normal(0, 0.3, (ff, d)))
        w[p + "mlp.down_proj.weight"] = f32(rng.normal(0, 0.3, (d, ff)))
    w["model.norm.weight"] = f32(1 + rng.normal(0, 0.2, d))
    if not tied:
        w["lm_head.weight"] = f32(rng.normal(0, 0.3, (vocab, d)))

    W = {k: v.astype(np.float64) for k, v in w.items()}
    eps, base = 1e-6, 10000.0
    h = W["model.embed_tokens.weight"][tokens]
    for l in range(layers):
        p = f"model.layers.{l}."
        x = rms_norm(h, W[p + "input_layernorm.weight"], eps)
        q = rope(x @ W[p + "self_attn.q_proj.weight"].T, heads, hd, base)
        k = rope(x @ W[p + "self_attn.k_proj.weight"].T, kv_heads, hd, base)
        v = x @ W[p + "self_attn.v_proj.weight"].T
        h = h + attention(q, k, v, heads, kv_heads, hd, True) @ W[p + "self_attn.o_proj.weight"].T
        x = rms_norm(h, W[p + "post_attention_layernorm.weight"], eps)
        gate = x @ W[p + "mlp.gate_proj.weight"].T
        up = x @ W[p + "mlp.up_proj.weight"].T
        h = h + (gate / (1 + np.exp(-gate)) * up) @ W[p + "mlp.down_proj.weight"].T
    h = rms_norm(h, W["model.norm.weight"], eps)
    head = W["model.embed_tokens.weight"] if tied else W["lm_head.weight"]
    expected = h @ head.T

    metadata = {
        "family": "llama", "vocab_size": str(vocab), "hidden_size": str(d), "intermediate_size": str(ff),
        "layers": str(layers), "heads": str(heads), "key_value_heads": str(kv_heads), "tied": "true" if tied else "false",
        "tokens": ",".join(map(str, tokens)),
    }
    write_safetensors(os.path.join(HERE, name), list(w.items()) + [("expected.output", expected)], metadata)


def bert_fixture(name, rng, vocab, d, heads, ff, layers, positions, tokens, types):
    hd = d // heads
    w = {}
    f32 = lambda a: a.astype(np.float32)
    w["embeddings.word_embeddings.weight"] = f32(rng.normal(0, 1, (vocab, d)))
    w["embeddings.position_embeddings.weight"] = f32(rng.normal(0, 1, (positions, d)))
    w["embeddings.token_type_embeddings.weight"] = f32(rng.normal(0, 1, (2, d)))
    w["embeddings.LayerNorm.weight"] = f32(1 + rng.normal(0, 0.2, d))
    w["embeddings.LayerNorm.bias"] = f32(rng.normal(0, 0.1, d))
    for l in range(layers):
        p = f"encoder.layer.{l}."
        for part in ["query", "key", "value"]:
            w[p + f"attention.self.{part}.weight"] = f32(rng.normal(0, 0.3, (d, d)))
            w[p + f"attention.self.{part}.bias"] = f32(rng.normal(0, 0.1, d))
        w[p + "attention.output.dense.weight"] = f32(rng.normal(0, 0.3, (d, d)))
        w[p + "attention.output.dense.bias"] = f32(rng.normal(0, 0.1, d))
        w[p + "attention.output.LayerNorm.weight"] = f32(1 + rng.normal(0, 0.2, d))
        w[p + "attention.output.LayerNorm.bias"] = f32(rng.normal(0, 0.1, d))
        w[p + "intermediate.dense.weight"] = f32(rng.normal(0, 0.3, (ff, d)))
        w[p + "intermediate.dense.bias"] = f32(rng.normal(0, 0.1, ff))
        w[p + "output.dense.weight"] = f32(rng.normal(0, 0.3, (d, ff)))
        w[p + "output.dense.bias"] = f32(rng.normal(0, 0.1, d))
        w[p + "output.LayerNorm.weight"] = f32(1 + rng.normal(0, 0.2, d))
        w[p + "output.LayerNorm.bias"] = f32(rng.normal(0, 0.1, d))

    W = {k: v.astype(np.float64) for k, v in w.items()}
    eps = 1e-12
    erf = np.vectorize(math.erf)
    t = len(tokens)
    h = W["embeddings.word_embeddings.weight"][tokens] + W["embeddings.position_embeddings.weight"][:t] \
        + W["embeddings.token_type_embeddings.weight"][types]
    h = layer_norm(h, W["embeddings.LayerNorm.weight"], W["embeddings.LayerNorm.bias"], eps)
    for l in range(layers):
        p = f"encoder.layer.{l}."
        dense = lambda n, x: x @ W[p + n + ".weight"].T + W[p + n + ".bias"]
        ctx = attention(dense("attention.self.query", h), dense("attention.self.key", h), dense("attention.self.value", h),
                        heads, heads, hd, False)
        h = layer_norm(h + dense("attention.output.dense", ctx), W[p + "attention.output.LayerNorm.weight"],
                       W[p + "attention.output.LayerNorm.bias"], eps)
        i = dense("intermediate.dense", h)
        i = 0.5 * i * (1 + erf(i / math.sqrt(2)))
        h = layer_norm(h + dense("output.dense", i), W[p + "output.LayerNorm.weight"], W[p + "output.LayerNorm.bias"], eps)

    metadata = {
        "family": "bert", "vocab_size": str(vocab), "hidden_size": str(d), "intermediate_size": str(ff),
        "layers": str(layers), "heads": str(heads), "key_value_heads": str(heads), "max_positions": str(positions),
        "tokens": ",".join(map(str, tokens)), "token_types": ",".join(map(str, types)),
    }
    write_safetensors(os.path.join(HERE, name), list(w.items()) + [("expected.output", h)], metadata)


if __name__ == "__main__":
    rng = np.random.default_rng(20240611)
    llama_fixture("llama_gqa.safetensors", rng, vocab=32, d=16, heads=4, kv_heads=2, ff=24, layers=2, tied=False,
                  tokens=[3, 17, 5, 31, 0, 11, 29])
    llama_fixture("llama_tied.safetensors", rng, vocab=32, d=16, heads=2, kv_heads=2, ff=20, layers=2, tied=True,
                  tokens=[1, 2, 30, 7, 7, 19])
    bert_fixture("bert.safetensors", rng, vocab=32, d=16, heads=4, ff=24, layers=2, positions=12,
                 tokens=[2, 14, 9, 9, 25, 1, 3], types=[0, 0, 0, 1, 1, 1, 1])
