import Checkpoints
import Foundation
import Testing

@Suite("GGUF llama.cpp names and RoPE permutation map back to the Hugging Face original")
struct GGUFLlamaMappingTests {
    static let huggingFace = FormatFixtures.path("GGUF/tiny-llama-hf.safetensors")

    /// Every tensor of the Hugging Face original, by name.
    static func originals() throws -> [String: (shape: [Int], values: [Float])] {
        let reader = try CheckpointReader(path: huggingFace)
        var result: [String: (shape: [Int], values: [Float])] = [:]
        for tensor in reader.checkpoint.tensors { result[tensor.name] = (tensor.shape, try readAllFloats(reader, tensor)) }
        return result
    }

    /// The GGUF converted by convert_hf_to_gguf.py's rules (fixture) reads back as the original.
    func expectMatchesOriginal(_ path: String, chunkSizes: [Int]) throws {
        let reader = try CheckpointReader(path: path)
        let originals = try Self.originals()
        #expect(Set(reader.checkpoint.tensors.map(\.name)) == Set(originals.keys))
        for tensor in reader.checkpoint.tensors {
            let original = try #require(originals[tensor.name])
            #expect(tensor.shape == original.shape, "\(tensor.name)")
            for chunkBytes in chunkSizes {
                #expect(try readAllFloats(reader, tensor, chunkBytes: chunkBytes) == original.values, "\(tensor.name) chunk \(chunkBytes)")
            }
        }
    }

    @Test("a llama GGUF from the reference converter reads back equal to its safetensors original")
    func referenceConversion() throws {
        let path = FormatFixtures.path("GGUF/tiny-llama.gguf")
        // 1 byte: row-by-row reads; 6 rows × 48 bytes: whole heads; default: one chunk.
        try expectMatchesOriginal(path, chunkSizes: [1, 288, 100, CheckpointReader.defaultChunkBytes])
        let checkpoint = try CheckpointReader(path: path).checkpoint
        let gguf = try #require(checkpoint.gguf)
        #expect(gguf.architecture == "llama" && gguf.nameMappingArchitecture == "llama")
        #expect(gguf.headCount == 2 && gguf.headCountKV == 1)
        #expect(gguf.vocabularySize == 10 && gguf.fileTypeName == "F32")
        #expect(checkpoint.hasRemappedTensors)
        let q = try #require(checkpoint.tensor(named: "model.layers.0.self_attn.q_proj.weight"))
        #expect(q.storedName == "blk.0.attn_q.weight")
        #expect(q.rowPermutation == RowPermutation(kind: .llamaRoPE, headCount: 2, rowsPerHead: 6))
        let k = try #require(checkpoint.tensor(named: "model.layers.0.self_attn.k_proj.weight"))
        #expect(k.storedName == "blk.0.attn_k.weight")
        #expect(k.rowPermutation == RowPermutation(kind: .llamaRoPE, headCount: 1, rowsPerHead: 6))
        let v = try #require(checkpoint.tensor(named: "model.layers.0.self_attn.v_proj.weight"))
        #expect(v.storedName == "blk.0.attn_v.weight" && v.rowPermutation == nil)
        #expect(checkpoint.tensor(named: "lm_head.weight")?.storedName == "output.weight")
        #expect(checkpoint.tensor(named: "model.embed_tokens.weight")?.shape == [10, 12])
    }

    @Test("random access reads of permuted rows agree with streaming")
    func randomAccess() throws {
        let reader = try CheckpointReader(path: FormatFixtures.path("GGUF/tiny-llama.gguf"))
        let q = try #require(reader.checkpoint.tensor(named: "model.layers.0.self_attn.q_proj.weight"))
        let all = try readAllFloats(reader, q)
        for range in [0..<12, 5..<77, 60..<144, 143..<144] {
            var part = [Float](repeating: .nan, count: range.count)
            try part.withUnsafeMutableBufferPointer { try reader.readElements(of: q, range: range, into: $0) }
            #expect(part == Array(all[range]), "\(range)")
        }
    }

    @Test("a split GGUF opens from its first shard, a later shard, or its directory", arguments: [1, 2, 0])
    func splitSet(shard: Int) throws {
        let directory = try FormatTestDirectory()
        for number in 1...3 {
            let name = "tiny-llama-split-0000\(number)-of-00003.gguf"
            try FileManager.default.copyItem(atPath: FormatFixtures.path("GGUF/\(name)"), toPath: directory.path(name))
        }
        let path = shard == 0 ? directory.url.path : directory.path("tiny-llama-split-0000\(shard)-of-00003.gguf")
        try expectMatchesOriginal(path, chunkSizes: [1, CheckpointReader.defaultChunkBytes])
        let checkpoint = try CheckpointReader(path: path).checkpoint
        #expect(checkpoint.layout == .ggufSplit)
        #expect(checkpoint.files.map(\.name) == (1...3).map { "tiny-llama-split-0000\($0)-of-00003.gguf" })
        #expect(checkpoint.gguf?.splitCount == 3 && checkpoint.gguf?.architecture == "llama")
        #expect(checkpoint.files[1].metadata["split.no"] == "1")
    }

    @Test("split set errors: missing shard, inconsistent split keys")
    func splitErrors() throws {
        let directory = try FormatTestDirectory()
        let names = (1...3).map { "m-0000\($0)-of-00003.gguf" }
        for name in names.prefix(2) {
            try FileManager.default.copyItem(atPath: FormatFixtures.path("GGUF/tiny-llama-split-\(name.dropFirst(2))"), toPath: directory.path(name))
        }
        let first = directory.path(names[0])
        #expect(checkpointError { _ = try CheckpointReader(path: first) } == CheckpointError(file: first, rule: .gguf(.splitShardMissing(shard: names[2]))))

        // A 2-shard set whose files claim to be from a 3-shard split.
        let pairDirectory = try FormatTestDirectory()
        for (index, name) in ["p-00001-of-00002.gguf", "p-00002-of-00002.gguf"].enumerated() {
            try FileManager.default.copyItem(atPath: directory.path(names[index]), toPath: pairDirectory.path(name))
        }
        let pairFirst = pairDirectory.path("p-00001-of-00002.gguf")
        #expect(checkpointError { _ = try CheckpointReader(path: pairFirst) }
            == CheckpointError(file: pairFirst, rule: .gguf(.splitMismatch(reason: "it declares split.count 3, but the set has 2 files"))))

        // A shard renamed to look like a whole model.
        let lone = directory.path("lone.gguf")
        try FileManager.default.copyItem(atPath: first, toPath: lone)
        #expect(checkpointError { _ = try CheckpointReader(path: lone) } == CheckpointError(file: lone, rule: .gguf(.splitMismatch(
            reason: "it declares split.count 3 but is not named as a shard; open the first shard of the set or its directory"))))
    }

    @Test("a directory with several separate GGUF models is ambiguous")
    func ambiguousDirectory() throws {
        let directory = try FormatTestDirectory()
        try FileManager.default.copyItem(atPath: FormatFixtures.path("GGUF/tiny-llama.gguf"), toPath: directory.path("a-Q8_0.gguf"))
        try FileManager.default.copyItem(atPath: FormatFixtures.path("GGUF/tiny-llama.gguf"), toPath: directory.path("a-F32.gguf"))
        #expect(checkpointError { _ = try CheckpointReader(path: directory.url.path) }
            == CheckpointError(file: directory.url.path, rule: .ambiguousCheckpoint(["a-F32.gguf", "a-Q8_0.gguf"])))
        try FileManager.default.removeItem(atPath: directory.path("a-F32.gguf"))
        #expect(try CheckpointReader(path: directory.url.path).checkpoint.tensors.count == 12)
    }

    // MARK: - Round trip at a realistic head layout, quantized

    /// llama.cpp's `LlamaModel.permute` written from its numpy definition:
    /// rows reshaped (heads, 2, half) then axes 1 and 2 swapped.
    static func llamaCppPermute(_ rows: [[Float]], heads: Int) -> [[Float]] {
        let half = rows.count / heads / 2
        var permuted = rows
        for h in 0..<heads {
            for j in 0..<2 {
                for i in 0..<half {
                    permuted[h * 2 * half + i * 2 + j] = rows[h * 2 * half + j * half + i]
                }
            }
        }
        return permuted
    }

    @Test("HF layout → llama.cpp permutation + Q8_0 → read back equals the quantized original", arguments: [DType.q8_0, .f16, .q4_1])
    func quantizedRoundTrip(dtype: DType) throws {
        let (hidden, heads, kvHeads, headDim) = (64, 4, 2, 16)
        var generator = SystemRandomNumberGenerator()
        func matrix(_ rows: Int, _ columns: Int) -> [[Float]] {
            (0..<rows).map { _ in (0..<columns).map { _ in Float.random(in: -1...1, using: &generator) } }
        }
        let hf: [String: [[Float]]] = [
            "model.layers.0.self_attn.q_proj.weight": matrix(heads * headDim, hidden),
            "model.layers.0.self_attn.k_proj.weight": matrix(kvHeads * headDim, hidden),
            "model.layers.0.self_attn.v_proj.weight": matrix(kvHeads * headDim, hidden),
            "model.embed_tokens.weight": matrix(40, hidden),
        ]
        var tensors: [GGUFWriter.Tensor] = []
        for (name, rows) in hf.sorted(by: { $0.key < $1.key }) {
            var stored = rows
            if name.contains("q_proj") { stored = Self.llamaCppPermute(rows, heads: heads) }
            if name.contains("k_proj") { stored = Self.llamaCppPermute(rows, heads: kvHeads) }
            let ggufName = try #require(GGUFNameMapping.ggufName(forHuggingFaceName: name, architecture: "llama"))
            tensors.append(.init(name: ggufName, shape: [rows.count, hidden], values: stored.flatMap { $0 }, as: dtype))
        }
        var metadata = GGUFMetadata()
        metadata["general.architecture"] = .string("llama")
        metadata["llama.attention.head_count"] = .uint32(UInt32(heads))
        metadata["llama.attention.head_count_kv"] = .uint32(UInt32(kvHeads))
        let directory = try FormatTestDirectory()
        let path = directory.path("model-\(dtype.name).gguf")
        try GGUFWriter.write(tensors, metadata: metadata, to: path)

        let reader = try CheckpointReader(path: path)
        #expect(Set(reader.checkpoint.tensors.map(\.name)) == Set(hf.keys))
        for tensor in reader.checkpoint.tensors {
            let rows = try #require(hf[tensor.name])
            // Quantization works on blocks inside rows, so it commutes with reordering rows.
            let expected = rows.flatMap { row in
                dtype.isBlockQuantized ? decode(GGMLQuantizer.quantize(row, as: dtype), as: dtype) : decode(FloatEncoding.encode(row, as: dtype), as: dtype)
            }
            let rowBytes = Int(tensor.byteCount) / rows.count
            for chunkBytes in [1, rowBytes * 3, rowBytes * headDim * 2, CheckpointReader.defaultChunkBytes] {
                #expect(sameBits(try readAllFloats(reader, tensor, chunkBytes: chunkBytes), expected), "\(tensor.name) chunk \(chunkBytes)")
            }
        }
    }

    @Test("hybrids (Granite 4.0-H, Nemotron-H) give head counts per layer: the RoPE rows of their attention layers are put back with that layer's counts")
    func perLayerHeadCounts() throws {
        let (hidden, heads, kvHeads, headDim) = (32, 4, 2, 8)
        let query = (0..<(heads * headDim)).map { row in (0..<hidden).map { Float(row * 100 + $0) } }
        let key = (0..<(kvHeads * headDim)).map { row in (0..<hidden).map { -Float(row * 100 + $0) } }
        let tensors: [GGUFWriter.Tensor] = [
            .init(name: "blk.1.attn_q.weight", shape: [query.count, hidden], values: Self.llamaCppPermute(query, heads: heads).flatMap { $0 }, as: .f32),
            .init(name: "blk.1.attn_k.weight", shape: [key.count, hidden], values: Self.llamaCppPermute(key, heads: kvHeads).flatMap { $0 }, as: .f32),
        ]
        let directory = try FormatTestDirectory()
        for architecture in ["granitehybrid", "nemotron_h", "nemotron_h_moe"] {
            var metadata = GGUFMetadata()
            metadata["general.architecture"] = .string(architecture)
            metadata["\(architecture).attention.head_count"] = .array(.uint32([0, UInt32(heads)]))
            metadata["\(architecture).attention.head_count_kv"] = .array(.uint32([0, UInt32(kvHeads)]))
            let path = directory.path("\(architecture).gguf")
            try GGUFWriter.write(tensors, metadata: metadata, to: path)
            let reader = try CheckpointReader(path: path)
            // Granite 4.0-H's names map back to Hugging Face's; the Nemotron-H schemes are not mapped yet.
            func stored(_ name: String) -> TensorInfo? { reader.checkpoint.tensors.first { ($0.storedName ?? $0.name) == name } }
            let q = try #require(stored("blk.1.attn_q.weight"))
            let k = try #require(stored("blk.1.attn_k.weight"))
            #expect(q.rowPermutation?.headCount == heads && k.rowPermutation?.headCount == kvHeads, "\(architecture)")
            #expect(try readAllFloats(reader, q) == query.flatMap { $0 } && readAllFloats(reader, k) == key.flatMap { $0 }, "\(architecture)")
        }
        // An array without the tensor's layer is an error naming the key.
        var short = GGUFMetadata()
        short["general.architecture"] = .string("granitehybrid")
        short["granitehybrid.attention.head_count"] = .array(.uint32([UInt32(heads)]))
        let path = directory.path("short.gguf")
        try GGUFWriter.write(tensors, metadata: short, to: path)
        #expect {
            _ = try CheckpointReader(path: path)
        } throws: { error in
            "\(error)".contains("granitehybrid.attention.head_count") && "\(error)".contains("layer 1")
        }
    }

    @Test("errors: missing or inconsistent head counts, colliding mapped names")
    func mappingErrors() throws {
        let directory = try FormatTestDirectory()
        let q = GGUFWriter.Tensor(name: "blk.0.attn_q.weight", shape: [12, 32], values: [Float](repeating: 1, count: 384))
        var metadata = GGUFMetadata()
        metadata["general.architecture"] = .string("llama")
        let missing = directory.path("missing.gguf")
        try GGUFWriter.write([q], metadata: metadata, to: missing)
        #expect(checkpointError { _ = try CheckpointReader(path: missing) }
            == CheckpointError(file: missing, tensor: "blk.0.attn_q.weight", rule: .gguf(.missingMetadata(key: "llama.attention.head_count"))))

        metadata["llama.attention.head_count"] = .uint32(4)  // 12 rows / 4 heads = 3 rows per head: odd
        let odd = directory.path("odd.gguf")
        try GGUFWriter.write([q], metadata: metadata, to: odd)
        #expect(checkpointError { _ = try CheckpointReader(path: odd) }
            == CheckpointError(file: odd, tensor: "blk.0.attn_q.weight", rule: .gguf(.headCountMismatch(rows: 12, heads: 4, key: "llama.attention.head_count"))))

        metadata["llama.attention.head_count"] = .string("two")
        let text = directory.path("text.gguf")
        try GGUFWriter.write([q], metadata: metadata, to: text)
        #expect(checkpointError { _ = try CheckpointReader(path: text) }
            == CheckpointError(file: text, rule: .gguf(.invalidMetadata(key: "llama.attention.head_count", reason: "expected an integer, found two"))))

        metadata["llama.attention.head_count"] = .uint32(2)
        let collide = directory.path("collide.gguf")
        let embedding = [Float](repeating: 0, count: 8)
        try GGUFWriter.write([
            .init(name: "token_embd.weight", shape: [8], values: embedding),
            .init(name: "model.embed_tokens.weight", shape: [8], values: embedding),
        ], metadata: metadata, to: collide)
        #expect(checkpointError { _ = try CheckpointReader(path: collide) }
            == CheckpointError(file: collide, tensor: "model.embed_tokens.weight", rule: .gguf(.mappedNameCollision(mappedName: "model.embed_tokens.weight"))))
    }

    @Test("name table: llama.cpp ↔ Hugging Face, unmapped architectures and names stay as stored")
    func nameTable() {
        let pairs = [
            ("token_embd.weight", "model.embed_tokens.weight"),
            ("output_norm.weight", "model.norm.weight"),
            ("output.weight", "lm_head.weight"),
            ("blk.3.attn_norm.weight", "model.layers.3.input_layernorm.weight"),
            ("blk.3.ffn_norm.weight", "model.layers.3.post_attention_layernorm.weight"),
            ("blk.3.attn_q.weight", "model.layers.3.self_attn.q_proj.weight"),
            ("blk.3.attn_q.bias", "model.layers.3.self_attn.q_proj.bias"),
            ("blk.3.attn_k.weight", "model.layers.3.self_attn.k_proj.weight"),
            ("blk.3.attn_v.weight", "model.layers.3.self_attn.v_proj.weight"),
            ("blk.3.attn_output.weight", "model.layers.3.self_attn.o_proj.weight"),
            ("blk.12.ffn_gate.weight", "model.layers.12.mlp.gate_proj.weight"),
            ("blk.12.ffn_up.weight", "model.layers.12.mlp.up_proj.weight"),
            ("blk.12.ffn_down.weight", "model.layers.12.mlp.down_proj.weight"),
            ("blk.0.ffn_gate_inp.weight", "model.layers.0.block_sparse_moe.gate.weight"),
            ("blk.0.ffn_gate.7.weight", "model.layers.0.block_sparse_moe.experts.7.w1.weight"),
            ("blk.0.ffn_down.7.weight", "model.layers.0.block_sparse_moe.experts.7.w2.weight"),
            ("blk.0.ffn_up.7.weight", "model.layers.0.block_sparse_moe.experts.7.w3.weight"),
        ]
        for (gguf, hf) in pairs {
            #expect(GGUFNameMapping.huggingFaceName(forGGUFName: gguf, architecture: "llama") == hf)
            #expect(GGUFNameMapping.ggufName(forHuggingFaceName: hf, architecture: "llama") == gguf)
        }
        // BERT, as convert_hf_to_gguf.py names all-MiniLM-L6-v2 (llama.cpp 0c1e570), to sentence-transformers' names.
        let bert = [
            ("token_embd.weight", "embeddings.word_embeddings.weight"),
            ("position_embd.weight", "embeddings.position_embeddings.weight"),
            ("token_types.weight", "embeddings.token_type_embeddings.weight"),
            ("token_embd_norm.bias", "embeddings.LayerNorm.bias"),
            ("blk.0.attn_q.weight", "encoder.layer.0.attention.self.query.weight"),
            ("blk.5.attn_k.bias", "encoder.layer.5.attention.self.key.bias"),
            ("blk.1.attn_v.weight", "encoder.layer.1.attention.self.value.weight"),
            ("blk.2.attn_output.weight", "encoder.layer.2.attention.output.dense.weight"),
            ("blk.2.attn_output_norm.weight", "encoder.layer.2.attention.output.LayerNorm.weight"),
            ("blk.3.ffn_up.bias", "encoder.layer.3.intermediate.dense.bias"),
            ("blk.4.ffn_down.weight", "encoder.layer.4.output.dense.weight"),
            ("blk.4.layer_output_norm.bias", "encoder.layer.4.output.LayerNorm.bias"),
        ]
        for (gguf, hf) in bert {
            #expect(GGUFNameMapping.huggingFaceName(forGGUFName: gguf, architecture: "bert") == hf)
            #expect(GGUFNameMapping.ggufName(forHuggingFaceName: hf, architecture: "bert") == gguf)
        }
        // DeepSeek-V2/V3: latent attention, the router's score-correction bias (its suffix changes too), shared experts.
        let deepseek = [
            ("blk.2.attn_q_a.weight", "model.layers.2.self_attn.q_a_proj.weight"),
            ("blk.2.attn_q_a_norm.weight", "model.layers.2.self_attn.q_a_layernorm.weight"),
            ("blk.2.attn_q_b.weight", "model.layers.2.self_attn.q_b_proj.weight"),
            ("blk.2.attn_kv_a_mqa.weight", "model.layers.2.self_attn.kv_a_proj_with_mqa.weight"),
            ("blk.2.attn_kv_a_norm.weight", "model.layers.2.self_attn.kv_a_layernorm.weight"),
            ("blk.2.attn_kv_b.weight", "model.layers.2.self_attn.kv_b_proj.weight"),
            ("blk.2.exp_probs_b.bias", "model.layers.2.mlp.gate.e_score_correction_bias"),
            ("blk.2.ffn_gate_inp.weight", "model.layers.2.mlp.gate.weight"),
            ("blk.2.ffn_down_shexp.weight", "model.layers.2.mlp.shared_experts.down_proj.weight"),
        ]
        for (gguf, hf) in deepseek {
            #expect(GGUFNameMapping.huggingFaceName(forGGUFName: gguf, architecture: "deepseek2") == hf)
            #expect(GGUFNameMapping.ggufName(forHuggingFaceName: hf, architecture: "deepseek2") == gguf)
        }
        #expect(GGUFNameMapping.huggingFaceName(forGGUFName: "blk.2.attn_k_b.weight", architecture: "deepseek2") == nil)
        #expect(GGUFNameMapping.huggingFaceName(forGGUFName: "blk.2.exp_probs_b.weight", architecture: "deepseek2") == nil)
        #expect(GGUFNameMapping.ggufName(forHuggingFaceName: "model.layers.x.mlp.gate.e_score_correction_bias", architecture: "deepseek2") == nil)
        #expect(GGUFNameMapping.huggingFaceName(forGGUFName: "blk.0.ffn_gate.weight", architecture: "bert") == nil)
        #expect(GGUFNameMapping.huggingFaceName(forGGUFName: "output_norm.weight", architecture: "bert") == nil)
        #expect(GGUFNameMapping.huggingFaceName(forGGUFName: "blk.1.attn_k_norm.weight", architecture: "qwen3") == "model.layers.1.self_attn.k_norm.weight")
        #expect(GGUFNameMapping.huggingFaceName(forGGUFName: "blk.0.ffn_gate_inp.weight", architecture: "qwen2") == nil)
        #expect(GGUFNameMapping.huggingFaceName(forGGUFName: "blk.0.attn_q.weight", architecture: "falcon") == nil)
        #expect(GGUFNameMapping.huggingFaceName(forGGUFName: "rope_freqs.weight", architecture: "llama") == nil)
        #expect(GGUFNameMapping.huggingFaceName(forGGUFName: "blk.01.attn_q.weight", architecture: "llama") == nil)
        #expect(GGUFNameMapping.huggingFaceName(forGGUFName: "blk.x.attn_q.weight", architecture: "llama") == nil)
    }

    @Test("RowPermutation inverts llama.cpp's permutation")
    func permutationIndices() {
        let permutation = RowPermutation(kind: .llamaRoPE, headCount: 3, rowsPerHead: 10)
        let rows = (0..<30).map { [Float($0)] }
        let stored = Self.llamaCppPermute(rows, heads: 3)
        for row in 0..<30 {
            #expect(stored[permutation.storedRow(forRow: row)] == rows[row])
            #expect(permutation.row(forStoredRow: permutation.storedRow(forRow: row)) == row)
        }
    }
}
