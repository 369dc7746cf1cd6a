#!/usr/bin/env python3
"""Builds the evaluation lineage from the real all-MiniLM-L6-v2 by real masked-language-model training.

    base         the real weights (public base)
    release      base fine-tuned on corpus `licenses`        (the registered release)
    sibling      base fine-tuned on corpus `python-docs-a`   (honest sibling: must be attributed to base)
    release-ft   release fine-tuned further on `python-docs-b` (a copier's further fine-tune)
    independent-1, independent-2
                 the same architecture trained from scratch (BERT init, different seeds) on
                 `licenses` + `python-docs-a` + `python-docs-b`

Training: BERT MLM (15% of positions: 80% [MASK], 10% random token, 10% kept) with the standard
BERT prediction head (dense + GELU + LayerNorm, decoder tied to the word embeddings, output bias).
Only the masked positions are projected to the vocabulary. No dropout. AdamW with linear warm-up
and linear decay, gradient clipping at global norm 1. Sequences are full windows of the tokenised
corpus ([CLS] w1 .. w_{T-2} [SEP]), so no padding or attention mask is needed. The head is not
saved: every output holds exactly the tensors of the real file, with the same names, shapes, dtypes
and order (the pooler is not trained by MLM and stays as it was).

Text (offline, on every Debian machine with Python): `/usr/share/common-licenses/*` (regular files,
symlinks skipped) and the docstrings of the Python standard library's top-level modules (`ast`),
split by module name (a-m / n-z). Tokenised with the model's own vocab.txt (BERT WordPiece,
lower-cased, accents stripped), implemented below.

Every random choice derives from fixed seeds (numpy PCG64 for data, JAX PRNG for init). Outputs go
to OUT/NAME/ (model.safetensors + config/tokenizer files) and OUT/lineage.json (corpora with
SHA-256, hyperparameters, losses, timings).
"""

import argparse
import ast
import hashlib
import json
import os
import shutil
import struct
import sys
import sysconfig
import time
import unicodedata

import numpy as np

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=true")
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

jax.config.update("jax_default_matmul_precision", "highest")

# MARK: - Text


def licenses_corpus():
    root = "/usr/share/common-licenses"
    texts = []
    for name in sorted(os.listdir(root)):
        path = os.path.join(root, name)
        if os.path.islink(path) or not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8", errors="replace") as handle:
            texts.append(handle.read())
    return texts


def python_docstrings(first, last):
    """Docstrings of the stdlib's top-level modules whose name starts with a letter in [first, last]."""
    root = sysconfig.get_paths()["stdlib"]
    texts = []
    for name in sorted(os.listdir(root)):
        if not name.endswith(".py") or not (first <= name[0].lower() <= last) or name.startswith("_"):
            continue
        try:
            with open(os.path.join(root, name), encoding="utf-8") as handle:
                tree = ast.parse(handle.read())
        except (SyntaxError, UnicodeDecodeError):
            continue
        for node in [tree] + [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]:
            doc = ast.get_docstring(node)
            if doc:
                texts.append(doc)
    return texts


CORPORA = {
    "licenses": ("/usr/share/common-licenses/* (regular files)", licenses_corpus),
    "python-docs-a": ("docstrings of Python stdlib top-level modules a-m", lambda: python_docstrings("a", "m")),
    "python-docs-b": ("docstrings of Python stdlib top-level modules n-z", lambda: python_docstrings("n", "z")),
}

# MARK: - BERT WordPiece tokenizer (BertTokenizer with do_lower_case=True)


def is_punctuation(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def is_cjk(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF or 0x2A700 <= cp <= 0x2B73F
            or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


class WordPiece:
    def __init__(self, vocab_path):
        with open(vocab_path, encoding="utf-8") as handle:
            self.vocab = {line.rstrip("\n"): index for index, line in enumerate(handle)}
        self.unk = self.vocab["[UNK]"]

    def basic(self, text):
        out = []
        for ch in text:
            cp = ord(ch)
            if cp == 0 or cp == 0xFFFD or (unicodedata.category(ch).startswith("C") and ch not in "\t\n\r"):
                continue
            if ch in " \t\n\r" or unicodedata.category(ch) == "Zs":
                out.append(" ")
            elif is_cjk(cp):
                out.append(f" {ch} ")
            else:
                out.append(ch)
        words = []
        for word in "".join(out).split():
            word = unicodedata.normalize("NFD", word.lower())
            word = "".join(c for c in word if unicodedata.category(c) != "Mn")
            current = ""
            for ch in word:
                if is_punctuation(ch):
                    if current:
                        words.append(current)
                    words.append(ch)
                    current = ""
                else:
                    current += ch
            if current:
                words.append(current)
        return words

    def encode(self, text):
        ids = []
        for word in self.basic(text):
            if len(word) > 100:
                ids.append(self.unk)
                continue
            pieces, start = [], 0
            while start < len(word):
                end, piece = len(word), None
                while start < end:
                    candidate = ("##" if start > 0 else "") + word[start:end]
                    if candidate in self.vocab:
                        piece = self.vocab[candidate]
                        break
                    end -= 1
                if piece is None:
                    pieces = [self.unk]
                    break
                pieces.append(piece)
                start = end
            ids.extend(pieces)
        return ids


# MARK: - safetensors


def read_safetensors(path):
    with open(path, "rb") as handle:
        size = struct.unpack("<Q", handle.read(8))[0]
        header = json.loads(handle.read(size))
        data = handle.read()
    dtypes = {"F32": np.float32, "I64": np.int64}
    tensors = {}
    order = sorted((k for k in header if k != "__metadata__"), key=lambda k: header[k]["data_offsets"][0])
    for name in order:
        info = header[name]
        begin, end = info["data_offsets"]
        tensors[name] = np.frombuffer(data[begin:end], dtype=dtypes[info["dtype"]]).reshape(info["shape"]).copy()
    return tensors, order, header.get("__metadata__") or {}


def write_safetensors(path, tensors, order, metadata):
    names = {np.dtype(np.float32): "F32", np.dtype(np.int64): "I64"}
    header, offset, blobs = {}, 0, []
    for name in order:
        array = np.ascontiguousarray(tensors[name])
        blob = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": names[array.dtype], "shape": list(array.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    if metadata:
        header = {"__metadata__": metadata, **header}
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)
    temporary = path + ".partial"
    with open(temporary, "wb") as handle:
        handle.write(struct.pack("<Q", len(encoded)))
        handle.write(encoded)
        for blob in blobs:
            handle.write(blob)
    os.replace(temporary, path)


# MARK: - Model (BERT encoder + MLM head)

LAYERS, HIDDEN, HEADS, EPS = 6, 384, 12, 1e-12


def layer_norm(x, weight, bias):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / jnp.sqrt(var + EPS) * weight + bias


def gelu(x):
    return jax.nn.gelu(x, approximate=False)


def dense(p, name, x):
    return x @ p[name + ".weight"].T + p[name + ".bias"]


def encode(p, ids):
    batch, length = ids.shape
    x = p["embeddings.word_embeddings.weight"][ids] + p["embeddings.position_embeddings.weight"][:length][None]
    x = x + p["embeddings.token_type_embeddings.weight"][0]
    x = layer_norm(x, p["embeddings.LayerNorm.weight"], p["embeddings.LayerNorm.bias"])
    dh = HIDDEN // HEADS
    for layer in range(LAYERS):
        q = f"encoder.layer.{layer}."
        split = lambda t: t.reshape(batch, length, HEADS, dh)  # noqa: E731
        query = split(dense(p, q + "attention.self.query", x))
        key = split(dense(p, q + "attention.self.key", x))
        value = split(dense(p, q + "attention.self.value", x))
        scores = jnp.einsum("bqhd,bkhd->bhqk", query, key) / np.sqrt(dh)
        context = jnp.einsum("bhqk,bkhd->bqhd", jax.nn.softmax(scores, axis=-1), value).reshape(batch, length, HIDDEN)
        x = layer_norm(x + dense(p, q + "attention.output.dense", context),
                       p[q + "attention.output.LayerNorm.weight"], p[q + "attention.output.LayerNorm.bias"])
        hidden = gelu(dense(p, q + "intermediate.dense", x))
        x = layer_norm(x + dense(p, q + "output.dense", hidden), p[q + "output.LayerNorm.weight"], p[q + "output.LayerNorm.bias"])
    return x


def mlm_loss(params, head, ids, positions, labels):
    """Cross-entropy at the masked positions only (positions: [B, K] indices into each sequence)."""
    states = encode(params, ids)
    picked = jnp.take_along_axis(states, positions[..., None], axis=1).reshape(-1, HIDDEN)
    h = layer_norm(gelu(picked @ head["transform.weight"].T + head["transform.bias"]), head["ln.weight"], head["ln.bias"])
    logits = h @ params["embeddings.word_embeddings.weight"].T + head["decoder.bias"]
    logp = jax.nn.log_softmax(logits, axis=-1)
    return -jnp.take_along_axis(logp, labels.reshape(-1, 1), axis=1).mean()


def new_head(key, vocab):
    return {
        "transform.weight": jax.random.normal(key, (HIDDEN, HIDDEN), jnp.float32) * 0.02,
        "transform.bias": jnp.zeros((HIDDEN,), jnp.float32),
        "ln.weight": jnp.ones((HIDDEN,), jnp.float32),
        "ln.bias": jnp.zeros((HIDDEN,), jnp.float32),
        "decoder.bias": jnp.zeros((vocab,), jnp.float32),
    }


def from_scratch(base, key):
    """BERT initialisation (HF `_init_weights`): N(0, 0.02) matrices and embeddings, LayerNorm 1/0, biases 0."""
    params = {}
    for index, (name, value) in enumerate(sorted(base.items())):
        if value.dtype != np.float32:
            continue
        if name.endswith("LayerNorm.weight"):
            params[name] = np.ones_like(value)
        elif value.ndim == 1:
            params[name] = np.zeros_like(value)
        else:
            params[name] = np.asarray(jax.random.normal(jax.random.fold_in(key, index), value.shape, jnp.float32) * 0.02)
    return params


# MARK: - Training


def batches(tokens, special, rng, steps, batch, length, mask_fraction):
    """`steps` MLM batches of random full windows; exactly K masked positions per sequence."""
    cls, sep, mask, vocab = special
    inner = length - 2
    k = max(1, int(round(mask_fraction * inner)))
    starts_max = len(tokens) - inner
    for _ in range(steps):
        starts = rng.integers(0, starts_max, size=batch)
        ids = np.stack([np.concatenate([[cls], tokens[s:s + inner], [sep]]) for s in starts]).astype(np.int32)
        positions = np.stack([np.sort(rng.choice(inner, size=k, replace=False)) + 1 for _ in range(batch)]).astype(np.int32)
        labels = np.take_along_axis(ids, positions, axis=1)
        fate = rng.random(size=positions.shape)
        replaced = np.where(fate < 0.8, mask, np.where(fate < 0.9, rng.integers(999, vocab, size=positions.shape), labels))
        np.put_along_axis(ids, positions, replaced, axis=1)
        yield ids, positions, labels.astype(np.int32)


B1, B2, ADAM_EPS = 0.9, 0.999, 1e-6


def _loss(t, ids, positions, labels):
    return mlm_loss(t["params"], t["head"], ids, positions, labels)


@jax.jit
def train_step(t, m, v, ids, positions, labels, count, lr, steps, warmup, weight_decay):
    """One AdamW step (compiled once per process: the schedule is passed as traced scalars)."""
    loss, grads = jax.value_and_grad(_loss)(t, ids, positions, labels)
    norm = jnp.sqrt(sum(jnp.sum(g * g) for g in jax.tree_util.tree_leaves(grads)))
    grads = jax.tree_util.tree_map(lambda g: g * jnp.minimum(1.0, 1.0 / (norm + 1e-12)), grads)
    rate = lr * jnp.minimum((count + 1) / warmup, jnp.maximum(0.0, (steps - count) / jnp.maximum(1.0, steps - warmup)))
    m = jax.tree_util.tree_map(lambda a, g: B1 * a + (1 - B1) * g, m, grads)
    v = jax.tree_util.tree_map(lambda a, g: B2 * a + (1 - B2) * g * g, v, grads)
    c1, c2 = 1 - B1 ** (count + 1), 1 - B2 ** (count + 1)

    def update(w, a, s):
        decay = weight_decay if w.ndim == 2 else 0.0
        return w - rate * ((a / c1) / (jnp.sqrt(s / c2) + ADAM_EPS) + decay * w)

    return jax.tree_util.tree_map(update, t, m, v), m, v, loss


def train(params, head, tokens, special, *, seed, steps, lr, batch, length, warmup, weight_decay, log):
    trainable = {"params": {k: jnp.asarray(v) for k, v in params.items()}, "head": head}
    m = jax.tree_util.tree_map(jnp.zeros_like, trainable)
    v = jax.tree_util.tree_map(jnp.zeros_like, trainable)
    rng = np.random.Generator(np.random.PCG64(seed))
    losses = []
    began = time.time()
    schedule = (jnp.float32(lr), jnp.float32(steps), jnp.float32(warmup), jnp.float32(weight_decay))
    for count, (ids, positions, labels) in enumerate(batches(tokens, special, rng, steps, batch, length, 0.15)):
        trainable, m, v, loss = train_step(trainable, m, v, ids, positions, labels, jnp.float32(count), *schedule)
        losses.append(float(loss))
        if count == 0 or (count + 1) % 50 == 0:
            log(f"    step {count + 1:4d}/{steps}  loss {np.mean(losses[-50:]):.3f}  ({time.time() - began:.0f} s)")
    trained = {k: np.asarray(w, dtype=np.float32) for k, w in trainable["params"].items()}
    return trained, trainable["head"], losses


# MARK: - Main

COMPANIONS = ["config.json", "vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", required=True, help="directory of the real all-MiniLM-L6-v2 (model.safetensors, vocab.txt, config.json)")
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--length", type=int, default=64, help="sequence length (tokens, incl. [CLS]/[SEP])")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--finetune-steps", type=int, default=250)
    parser.add_argument("--further-steps", type=int, default=120)
    parser.add_argument("--scratch-steps", type=int, default=200)
    parser.add_argument("--finetune-lr", type=float, default=1e-4)
    parser.add_argument("--scratch-lr", type=float, default=1e-3)
    args = parser.parse_args()

    def log(message):
        print(message, flush=True)

    os.makedirs(args.out, exist_ok=True)
    began = time.time()
    base, order, metadata = read_safetensors(os.path.join(args.base, "model.safetensors"))
    vocab_rows = base["embeddings.word_embeddings.weight"].shape[0]
    tokenizer = WordPiece(os.path.join(args.base, "vocab.txt"))
    special = (tokenizer.vocab["[CLS]"], tokenizer.vocab["[SEP]"], tokenizer.vocab["[MASK]"], vocab_rows)

    corpora, tokens = {}, {}
    for name, (description, load) in CORPORA.items():
        texts = load()
        joined = "\n\n".join(texts)
        ids = np.array([i for text in texts for i in tokenizer.encode(text)], dtype=np.int32)
        tokens[name] = ids
        corpora[name] = {"source": description, "documents": len(texts), "characters": len(joined),
                         "sha256": hashlib.sha256(joined.encode("utf-8")).hexdigest(), "tokens": int(len(ids)),
                         "unknown_tokens": int((ids == tokenizer.unk).sum())}
        log(f"corpus {name}: {len(texts)} documents, {len(ids)} tokens ({description})")
    mixed = np.concatenate([tokens["licenses"], tokens["python-docs-a"], tokens["python-docs-b"]])

    common = {"batch": args.batch, "length": args.length, "warmup": 30, "weight_decay": 0.01, "log": log}
    plan = [
        # name, start from, corpus, seed, steps, lr
        ("release", "base", "licenses", 1001, args.finetune_steps, args.finetune_lr),
        ("sibling", "base", "python-docs-a", 1002, args.finetune_steps, args.finetune_lr),
        ("release-ft", "release", "python-docs-b", 1003, args.further_steps, args.finetune_lr),
        ("independent-1", "scratch", "mixed", 2001, args.scratch_steps, args.scratch_lr),
        ("independent-2", "scratch", "mixed", 2002, args.scratch_steps, args.scratch_lr),
    ]
    models = {"base": {k: v for k, v in base.items() if v.dtype == np.float32}}
    heads = {}
    record = {"format": "provenance-eval-lineage/1", "base": os.path.abspath(os.path.join(args.base, "model.safetensors")),
              "base_sha256": hashlib.sha256(open(os.path.join(args.base, "model.safetensors"), "rb").read()).hexdigest(),
              "corpora": corpora, "jax": jax.__version__, "numpy": np.__version__, "python": sys.version.split()[0],
              "training": {"objective": "BERT MLM, 15% masked (80/10/10), tied decoder, masked positions only",
                           "optimizer": "AdamW b1=0.9 b2=0.999 eps=1e-6, weight decay 0.01 on matrices, linear warm-up 30 steps then linear decay, clip 1.0",
                           "batch": args.batch, "length": args.length},
              "models": {}}
    for name, start, corpus, seed, steps, lr in plan:
        log(f"{name}: from {start}, {steps} steps on {corpus}, lr {lr}, seed {seed}")
        t0 = time.time()
        key = jax.random.PRNGKey(seed)
        if start == "scratch":
            params = from_scratch(models["base"], jax.random.fold_in(key, 1))
            head = new_head(jax.random.fold_in(key, 2), vocab_rows)
        else:
            params = models[start]
            # A continued fine-tune keeps its own head; a fresh fine-tune starts a new one.
            head = heads.get(start) or new_head(jax.random.fold_in(key, 2), vocab_rows)
        data = mixed if corpus == "mixed" else tokens[corpus]
        trained, head, losses = train(params, head, data, special, seed=seed, steps=steps, lr=lr, **common)
        models[name], heads[name] = trained, head
        seconds = time.time() - t0
        out_dir = os.path.join(args.out, name)
        os.makedirs(out_dir, exist_ok=True)
        tensors = dict(base)
        tensors.update(trained)
        write_safetensors(os.path.join(out_dir, "model.safetensors"), tensors, order, metadata)
        for companion in COMPANIONS:
            source = os.path.join(args.base, companion)
            if os.path.exists(source):
                shutil.copyfile(source, os.path.join(out_dir, companion))
        reference = models[start] if start != "scratch" else None
        change = None
        if reference is not None:
            a = np.concatenate([reference[k].ravel() for k in sorted(reference)]).astype(np.float64)
            b = np.concatenate([trained[k].ravel() for k in sorted(reference)]).astype(np.float64)
            change = {"cosine_to_start": float(a @ b / np.sqrt((a @ a) * (b @ b))),
                      "relative_change": float(np.linalg.norm(b - a) / np.linalg.norm(a))}
        record["models"][name] = {"start": start, "corpus": corpus, "seed": seed, "steps": steps, "lr": lr,
                                  "loss_first50": float(np.mean(losses[:50])), "loss_last50": float(np.mean(losses[-50:])),
                                  "seconds": round(seconds, 1), "seconds_per_step": round(seconds / steps, 3), "change": change}
        log(f"  done in {seconds:.0f} s; loss {np.mean(losses[:50]):.3f} -> {np.mean(losses[-50:]):.3f}; change {change}")
    record["seconds"] = round(time.time() - began, 1)
    with open(os.path.join(args.out, "lineage.json.partial"), "w") as handle:
        json.dump(record, handle, indent=2, sort_keys=True)
    os.replace(os.path.join(args.out, "lineage.json.partial"), os.path.join(args.out, "lineage.json"))
    log(f"lineage written to {args.out} in {record['seconds']:.0f} s")


if __name__ == "__main__":
    main()
