#!/usr/bin/env python3
"""How much of the embedding probe's Gram survives hidden-width pruning: the figures behind the
registry's multi-probe look-up (docs/REGISTRY.md, "The probe route").

Two measurements, both the cosine of centred strict upper triangles of 32 × 32 Gram matrices of
cosines between token-embedding rows (as LocalitySensitiveKeys.probeKeys hashes them):

    python3 eval/pruned_probe_gram.py .cache/models/all-MiniLM-L6-v2/model.safetensors
        drops 10, 25, 40 and 50 % of the hidden dimensions with the least weight energy (the rule
        of `perturb --prune-hidden`: sum of squares over every matrix with a hidden-size axis) and
        compares the Gram of 32 random embedding rows (numpy seed 0) with the unpruned one;

    python3 eval/pruned_probe_gram.py A.fingerprint.safetensors B.fingerprint.safetensors
        compares the probe Grams two fingerprints store (e.g. `provenance fingerprint` of
        Samples/acme-tiny-chat and of `perturb Samples/acme-tiny-chat OUT --prune-hidden 0.25`).
"""
import json
import struct
import sys

import numpy as np


def tensors(path):
    """name → (dtype, shape, raw bytes) of a safetensors file."""
    data = open(path, "rb").read()
    size = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + size])
    base = 8 + size
    return {name: (info["dtype"], info["shape"], data[base + info["data_offsets"][0]:base + info["data_offsets"][1]])
            for name, info in header.items() if name != "__metadata__"}


def f32(entry):
    dtype, shape, raw = entry
    if dtype == "F32":
        return np.frombuffer(raw, np.float32).reshape(shape)
    if dtype == "BF16":
        return (np.frombuffer(raw, np.uint16).astype(np.uint32) << 16).view(np.float32).reshape(shape)
    return None


def centred_upper(gram):
    upper = gram[np.triu_indices(gram.shape[0], 1)].astype(np.float64)
    return upper - upper.mean()


def cosine(a, b):
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def gram_of_rows(rows):
    unit = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    return unit @ unit.T


def checkpoint(path):
    weights = {name: f32(entry) for name, entry in tensors(path).items()}
    embedding = next(w for name, w in weights.items() if "word_embeddings" in name or "embed_tokens" in name)
    hidden = embedding.shape[1]
    energy = np.zeros(hidden)
    for w in weights.values():
        if w is None or w.ndim != 2:
            continue
        if w.shape[1] == hidden:
            energy += (w.astype(np.float64) ** 2).sum(0)
        elif w.shape[0] == hidden:
            energy += (w.astype(np.float64) ** 2).sum(1)
    rows = embedding[np.random.default_rng(0).choice(embedding.shape[0], 32, replace=False)]
    full = centred_upper(gram_of_rows(rows))
    for fraction in (0.1, 0.25, 0.4, 0.5):
        kept = np.sort(np.argsort(-energy)[:hidden - int(round(hidden * fraction))])
        print(f"{int(fraction * 100)} % of {hidden} dimensions dropped: Gram cosine {cosine(full, centred_upper(gram_of_rows(rows[:, kept]))):.3f}")


def stored_gram(path):
    entries = tensors(path)
    name = next(name for name in entries if "gram" in name)
    return f32(entries[name])


if __name__ == "__main__":
    if len(sys.argv) == 2:
        checkpoint(sys.argv[1])
    elif len(sys.argv) == 3:
        print(f"probe Gram cosine {cosine(centred_upper(stored_gram(sys.argv[1])), centred_upper(stored_gram(sys.argv[2]))):.3f}")
    else:
        sys.exit(__doc__)
