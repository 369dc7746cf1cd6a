#!/usr/bin/env python3
"""Regenerates the committed GGUF/GGML fixtures from the reference implementation.

Offline only; the Swift tests never run Python. Requires `pip install gguf numpy`
(made with gguf 0.19.0, numpy 2.x). Run from anywhere:

    python3 Tests/CheckpointsTests/Fixtures/make_gguf_fixtures.py

Writes, under Fixtures/:
  GGML/<TYPE>.blocks        raw quantized blocks (little-endian, as stored in GGUF)
  GGML/<TYPE>.expected.f32  gguf-py's dequantization of those blocks (float32 LE)
  GGML/<TYPE>.input.f32     for types gguf-py can quantize: the float32 input it quantized
                            (IQ4_NL, IQ4_XS and MXFP4 blocks come from their own RNG, so adding
                            them left every earlier fixture byte-identical)
  GGML/<TYPE>.grid.i8       IQ1/IQ2/IQ3 types: gguf-py's decoded lattice codebook (int8 rows)
  GGUF/reference.gguf       GGUF v3 written by gguf-py's GGUFWriter: one metadata key of
                            every value type (nested array included) and one tensor per type
  GGUF/tiny-llama.gguf      a 1-layer Llama written like convert_hf_to_gguf.py does it
                            (llama.cpp names, Q/K rows permuted with LlamaModel.permute)
  GGUF/tiny-llama-split-0000N-of-00003.gguf  the same model split by gguf-py (3 shards)
  GGUF/tiny-llama-hf.safetensors  the Hugging Face original the GGUF was made from
"""
import json
import struct
from pathlib import Path

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T
from gguf import GGUFValueType as V

HERE = Path(__file__).resolve().parent
rng = np.random.default_rng(20261129)

SIMPLE = [T.Q8_0, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1]
KQUANTS = [T.Q2_K, T.Q3_K, T.Q4_K, T.Q5_K, T.Q6_K]


def simple_input() -> np.ndarray:
    """4 blocks of 32: gaussian, a zero block, a block with a large outlier, exact ties."""
    x = rng.standard_normal(128).astype(np.float32) * np.float32(0.05)
    x[32:64] = 0
    x[64:96] = rng.standard_normal(32).astype(np.float32)
    x[70] = np.float32(-3.75)
    x[96:128] = (np.arange(32, dtype=np.float32) - 16) / np.float32(4)
    return x


def random_finite_halves(n: int) -> np.ndarray:
    """Finite float16 scales of both signs, some subnormal, as raw bytes."""
    magnitudes = np.exp(rng.uniform(np.log(1e-6), np.log(0.5), n)).astype(np.float16)
    signs = np.where(rng.random(n) < 0.25, -1, 1).astype(np.float16)
    return (magnitudes * signs).astype(np.float16).view(np.uint8).reshape(n, 2)


def kquant_blocks(qtype: T, n_blocks: int = 2) -> np.ndarray:
    """Random block bytes with finite d/dmin (gguf-py has no K-quant quantizer)."""
    _, type_size = gguf.GGML_QUANT_SIZES[qtype]
    blocks = rng.integers(0, 256, size=(n_blocks, type_size), dtype=np.uint8)
    half_offsets = {T.Q2_K: [80, 82], T.Q3_K: [108], T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208]}[qtype]
    for offset in half_offsets:
        blocks[:, offset:offset + 2] = random_finite_halves(n_blocks)
    return blocks


def write_ggml_vectors() -> dict:
    out = HERE / "GGML"
    out.mkdir(exist_ok=True)
    blocks_by_type = {}
    for qtype in SIMPLE:
        x = simple_input()
        blocks = gguf.quants.quantize(x.reshape(1, -1), qtype).reshape(-1)
        expected = gguf.quants.dequantize(blocks.reshape(1, -1), qtype).reshape(-1).astype(np.float32)
        (out / f"{qtype.name}.input.f32").write_bytes(x.astype("<f4").tobytes())
        (out / f"{qtype.name}.blocks").write_bytes(blocks.tobytes())
        (out / f"{qtype.name}.expected.f32").write_bytes(expected.astype("<f4").tobytes())
        blocks_by_type[qtype] = blocks
    for qtype in KQUANTS:
        blocks = kquant_blocks(qtype)
        expected = gguf.quants.dequantize(blocks.reshape(1, -1), qtype).reshape(-1).astype(np.float32)
        assert np.all(np.isfinite(expected)), qtype
        (out / f"{qtype.name}.blocks").write_bytes(blocks.tobytes())
        (out / f"{qtype.name}.expected.f32").write_bytes(expected.astype("<f4").tobytes())
        blocks_by_type[qtype] = blocks.reshape(-1)
    # F16 and BF16: every interesting bit pattern class (normal, subnormal, zero, inf, max).
    f16 = np.array([0x0000, 0x8000, 0x0001, 0x03FF, 0x0400, 0x3C00, 0xBC00, 0x7BFF, 0x7C00, 0xFC00, 0x3555, 0x0200],
                   dtype=np.uint16)
    (out / "F16.blocks").write_bytes(f16.astype("<u2").tobytes())
    (out / "F16.expected.f32").write_bytes(gguf.quants.dequantize(f16.view(np.uint8), T.F16).astype("<f4").tobytes())
    bf16 = np.array([0x0000, 0x8000, 0x0001, 0x3F80, 0xBF80, 0x7F7F, 0x7F80, 0xFF80, 0x4049, 0x0080], dtype=np.uint16)
    (out / "BF16.blocks").write_bytes(bf16.astype("<u2").tobytes())
    (out / "BF16.expected.f32").write_bytes(
        gguf.quants.dequantize(bf16.view(np.uint8).reshape(1, -1), T.BF16).reshape(-1).astype("<f4").tobytes())
    return blocks_by_type


def write_nonlinear_vectors() -> None:
    """IQ4_NL, IQ4_XS (16-entry non-linear codebook), TQ1_0, TQ2_0, NVFP4: random blocks with finite scales,
    dequantized by gguf-py (which has no quantizer for them). MXFP4 (E2M1 values, E8M0 scale):
    gguf-py's quantization of 8 blocks spanning magnitudes 1e-6 … 3 (a zero block, an
    outlier, exact ties), and its dequantization of those blocks."""
    own = np.random.default_rng(20261130)
    out = HERE / "GGML"
    for qtype, n_blocks in [(T.IQ4_NL, 6), (T.IQ4_XS, 2)]:
        _, type_size = gguf.GGML_QUANT_SIZES[qtype]
        blocks = own.integers(0, 256, size=(n_blocks, type_size), dtype=np.uint8)
        magnitudes = np.exp(own.uniform(np.log(1e-6), np.log(0.5), n_blocks)).astype(np.float16)
        signs = np.where(own.random(n_blocks) < 0.25, -1, 1).astype(np.float16)
        blocks[:, 0:2] = (magnitudes * signs).astype(np.float16).view(np.uint8).reshape(n_blocks, 2)
        expected = gguf.quants.dequantize(blocks.reshape(1, -1), qtype).reshape(-1).astype(np.float32)
        assert np.all(np.isfinite(expected)), qtype
        (out / f"{qtype.name}.blocks").write_bytes(blocks.tobytes())
        (out / f"{qtype.name}.expected.f32").write_bytes(expected.astype("<f4").tobytes())
    x = own.standard_normal(256).astype(np.float32)
    x *= np.repeat(np.array([1e-6, 1e-3, 0.05, 0.05, 1, 3, 0, 1], dtype=np.float32), 32)
    x[200] = np.float32(-40)
    x[224:256] = (np.arange(32, dtype=np.float32) - 16) / np.float32(4)
    blocks = gguf.quants.quantize(x.reshape(1, -1), T.MXFP4).reshape(-1)
    expected = gguf.quants.dequantize(blocks.reshape(1, -1), T.MXFP4).reshape(-1).astype(np.float32)
    (out / "MXFP4.input.f32").write_bytes(x.astype("<f4").tobytes())
    (out / "MXFP4.blocks").write_bytes(blocks.tobytes())
    (out / "MXFP4.expected.f32").write_bytes(expected.astype("<f4").tobytes())
    # Ternary TQ1_0/TQ2_0 (d is the block's last 2 bytes) and NVFP4 (four E4M3 sub-scales,
    # every byte value allowed): random blocks, dequantized by gguf-py.
    for qtype, n_blocks, d_offset in [(T.TQ1_0, 2, 52), (T.TQ2_0, 2, 64), (T.NVFP4, 6, None)]:
        _, type_size = gguf.GGML_QUANT_SIZES[qtype]
        blocks = own.integers(0, 256, size=(n_blocks, type_size), dtype=np.uint8)
        if d_offset is not None:
            magnitudes = np.exp(own.uniform(np.log(1e-6), np.log(0.5), n_blocks)).astype(np.float16)
            signs = np.where(own.random(n_blocks) < 0.25, -1, 1).astype(np.float16)
            blocks[:, d_offset:d_offset + 2] = (magnitudes * signs).astype(np.float16).view(np.uint8).reshape(n_blocks, 2)
        else:
            blocks[0, 0:4] = np.array([0x00, 0x7F, 0x01, 0xFF], dtype=np.uint8)  # zero, NaN-as-zero, subnormal, top bit set
        expected = gguf.quants.dequantize(blocks.reshape(1, -1), qtype).reshape(-1).astype(np.float32)
        assert np.all(np.isfinite(expected)), qtype
        (out / f"{qtype.name}.blocks").write_bytes(blocks.tobytes())
        (out / f"{qtype.name}.expected.f32").write_bytes(expected.astype("<f4").tobytes())


def write_reference_gguf(blocks_by_type: dict) -> None:
    out = HERE / "GGUF"
    out.mkdir(exist_ok=True)
    writer = gguf.GGUFWriter(out / "reference.gguf", arch="testarch")
    writer.add_key_value("test.uint8", 200, V.UINT8)
    writer.add_key_value("test.int8", -100, V.INT8)
    writer.add_key_value("test.uint16", 60000, V.UINT16)
    writer.add_key_value("test.int16", -30000, V.INT16)
    writer.add_key_value("test.uint32", 4000000000, V.UINT32)
    writer.add_key_value("test.int32", -2000000000, V.INT32)
    writer.add_key_value("test.float32", 0.15625, V.FLOAT32)
    writer.add_key_value("test.bool", True, V.BOOL)
    writer.add_key_value("test.string", "héllo, GGUF", V.STRING)
    writer.add_key_value("test.uint64", 18000000000000000000, V.UINT64)
    writer.add_key_value("test.int64", -9000000000000000000, V.INT64)
    writer.add_key_value("test.float64", -2.5e-300, V.FLOAT64)
    writer.add_key_value("test.array.uint16", [1, 2, 65535], V.ARRAY, sub_type=V.UINT16)
    writer.add_key_value("test.array.float32", [0.5, -1.25], V.ARRAY, sub_type=V.FLOAT32)
    writer.add_key_value("test.array.bool", [True, False, True], V.ARRAY, sub_type=V.BOOL)
    writer.add_key_value("test.array.string", ["a", "bc", ""], V.ARRAY, sub_type=V.STRING)
    writer.add_key_value("test.array.nested", [[1, 2], [3], [4, 5, 6]], V.ARRAY)
    writer.add_key_value("tokenizer.ggml.tokens", [f"tok{i}" for i in range(7)], V.ARRAY)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_Q4_K_M)
    for qtype, blocks in blocks_by_type.items():
        block_size, type_size = gguf.GGML_QUANT_SIZES[qtype]
        rows = 2
        writer.add_tensor(f"quant.{qtype.name}", blocks.reshape(rows, -1), raw_dtype=qtype)
    writer.add_tensor("plain.F32", (np.arange(12, dtype=np.float32) - 5.5).reshape(3, 4))
    writer.add_tensor("plain.F16", (np.arange(6, dtype=np.float16) / 3).reshape(2, 3))
    writer.add_tensor("plain.I32", np.array([[1, -2], [3, -4], [5, -6]], dtype=np.int32).reshape(2, 3))
    write_gguf_file(writer)


# --- A tiny Llama, converted the way convert_hf_to_gguf.py's LlamaModel does it -----------------

N_EMBD, N_HEAD, N_HEAD_KV, N_FF, N_VOCAB = 12, 2, 1, 8, 10
HEAD_DIM = N_EMBD // N_HEAD


def write_gguf_file(writer: "gguf.GGUFWriter") -> None:
    """Writes what was added to `writer` (header, metadata, tensors) and closes its file."""
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def permute(weights: np.ndarray, n_head: int, n_head_kv: int | None) -> np.ndarray:
    """convert_hf_to_gguf.py LlamaModel.permute, verbatim on numpy arrays."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return (weights.reshape(n_head, 2, weights.shape[0] // n_head // 2, *weights.shape[1:])
            .swapaxes(1, 2)
            .reshape(weights.shape))


def tiny_llama_hf() -> dict:
    def w(*shape):
        return rng.standard_normal(shape).astype(np.float32)
    t = {"model.embed_tokens.weight": w(N_VOCAB, N_EMBD)}
    layer = "model.layers.0."
    t[layer + "input_layernorm.weight"] = w(N_EMBD)
    t[layer + "self_attn.q_proj.weight"] = w(N_HEAD * HEAD_DIM, N_EMBD)
    t[layer + "self_attn.k_proj.weight"] = w(N_HEAD_KV * HEAD_DIM, N_EMBD)
    t[layer + "self_attn.v_proj.weight"] = w(N_HEAD_KV * HEAD_DIM, N_EMBD)
    t[layer + "self_attn.o_proj.weight"] = w(N_EMBD, N_HEAD * HEAD_DIM)
    t[layer + "post_attention_layernorm.weight"] = w(N_EMBD)
    t[layer + "mlp.gate_proj.weight"] = w(N_FF, N_EMBD)
    t[layer + "mlp.up_proj.weight"] = w(N_FF, N_EMBD)
    t[layer + "mlp.down_proj.weight"] = w(N_EMBD, N_FF)
    t["model.norm.weight"] = w(N_EMBD)
    t["lm_head.weight"] = w(N_VOCAB, N_EMBD)
    return t


def write_safetensors(path: Path, tensors: dict) -> None:
    header, offset, blobs = {}, 0, []
    for name, array in tensors.items():
        data = array.astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def write_tiny_llama() -> None:
    out = HERE / "GGUF"
    hf = tiny_llama_hf()
    write_safetensors(out / "tiny-llama-hf.safetensors", hf)
    name_map = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, 1)
    converted = []
    for name, data in hf.items():
        # LlamaModel.modify_tensors
        if name.endswith(("q_proj.weight", "q_proj.bias")):
            data = permute(data, N_HEAD, N_HEAD)
        if name.endswith(("k_proj.weight", "k_proj.bias")):
            data = permute(data, N_HEAD, N_HEAD_KV)
        gguf_name = name_map.get_name(name, try_suffixes=(".weight", ".bias"))
        converted.append((gguf_name, np.ascontiguousarray(data)))
    for path, split in ((out / "tiny-llama.gguf", 0), (out / "tiny-llama-split.gguf", 5)):
        writer = gguf.GGUFWriter(path, arch="llama", split_max_tensors=split)
        writer.add_context_length(64)
        writer.add_embedding_length(N_EMBD)
        writer.add_block_count(1)
        writer.add_feed_forward_length(N_FF)
        writer.add_head_count(N_HEAD)
        writer.add_head_count_kv(N_HEAD_KV)
        writer.add_vocab_size(N_VOCAB)
        writer.add_file_type(gguf.LlamaFileType.ALL_F32)
        writer.add_tokenizer_model("llama")
        writer.add_token_list([f"<t{i}>" for i in range(N_VOCAB)])
        for gguf_name, data in converted:
            writer.add_tensor(gguf_name, data)
        write_gguf_file(writer)


LATTICE = [T.IQ2_XXS, T.IQ2_XS, T.IQ2_S, T.IQ3_XXS, T.IQ3_S, T.IQ1_S, T.IQ1_M]


def write_lattice_vectors() -> None:
    """IQ1/IQ2/IQ3 (lattice codebooks): gguf-py's decoded codebook of each type (int8, one row
    per entry), and random blocks with finite scales dequantized by gguf-py (it has no
    quantizer for them). Every block byte is a valid code; only the f16 scales need care: d
    at offset 0, except IQ1_M, whose d is spread over the top nibbles of its last 4 uint16s."""
    own = np.random.default_rng(20261131)
    out = HERE / "GGML"
    for qtype in LATTICE:
        cls = gguf.quants._type_traits[qtype]
        cls.init_grid()
        grid = cls.grid.reshape(cls.grid_shape)
        assert np.all(grid == np.round(grid)) and np.abs(grid).max() < 128, qtype
        if qtype != T.IQ1_M:  # IQ1_M shares IQ1_S's codebook
            (out / f"{qtype.name}.grid.i8").write_bytes(grid.astype(np.int8).tobytes())
        _, type_size = gguf.GGML_QUANT_SIZES[qtype]
        n_blocks = 4
        blocks = own.integers(0, 256, size=(n_blocks, type_size), dtype=np.uint8)
        magnitudes = np.exp(own.uniform(np.log(1e-6), np.log(0.5), n_blocks)).astype(np.float16)
        signs = np.where(own.random(n_blocks) < 0.25, -1, 1).astype(np.float16)
        d = (magnitudes * signs).astype(np.float16).view(np.uint16)
        if qtype == T.IQ1_M:
            scales = blocks[:, type_size - 8:].copy().view(np.uint16)
            for k, shift in enumerate([12, 8, 4, 0]):
                scales[:, k] = (scales[:, k] & 0x0FFF) | (((d >> shift) & 0x0F) << 12)
            blocks[:, type_size - 8:] = scales.view(np.uint8)
        else:
            blocks[:, 0:2] = d.view(np.uint8).reshape(n_blocks, 2)
        expected = gguf.quants.dequantize(blocks.reshape(1, -1), qtype).reshape(-1).astype(np.float32)
        assert np.all(np.isfinite(expected)), qtype
        (out / f"{qtype.name}.blocks").write_bytes(blocks.tobytes())
        (out / f"{qtype.name}.expected.f32").write_bytes(expected.astype("<f4").tobytes())


if __name__ == "__main__":
    blocks = write_ggml_vectors()
    write_reference_gguf(blocks)
    write_tiny_llama()
    write_nonlinear_vectors()
    write_lattice_vectors()
    for path in sorted(HERE.glob("GG*/*")):
        print(f"{path.relative_to(HERE)}  {path.stat().st_size} bytes")
