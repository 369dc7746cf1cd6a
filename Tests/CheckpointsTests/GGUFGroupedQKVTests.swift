import CheckpointFixtures
import Checkpoints
import Foundation
import Testing

/// GPT-NeoX, BLOOM and Falcon 40B/180B fuse query, key and value rows in groups of
/// `[queries, key, value]` heads; llama.cpp's converter regroups them as all queries, all keys,
/// all values. Reading a GGUF must give the Hugging Face rows back.
@Suite("Fused query/key/value rows regrouped by llama.cpp read back in Hugging Face order")
struct GGUFGroupedQKVTests {
    /// The converter's regrouping written from its definition (`FalconModel.modify_tensors`;
    /// GPT-NeoX and BLOOM are the case of one query per group): rows viewed as
    /// (groups, queries + 2, head rows), then every group's queries, every key, every value.
    static func llamaCppRegroup<Row>(_ rows: [Row], groups: Int, queriesPerGroup: Int) -> [Row] {
        let headRows = rows.count / (groups * (queriesPerGroup + 2))
        func head(_ group: Int, _ slot: Int) -> ArraySlice<Row> {
            let start = (group * (queriesPerGroup + 2) + slot) * headRows
            return rows[start..<start + headRows]
        }
        var regrouped: [Row] = []
        for group in 0..<groups { for query in 0..<queriesPerGroup { regrouped += head(group, query) } }
        for group in 0..<groups { regrouped += head(group, queriesPerGroup) }
        for group in 0..<groups { regrouped += head(group, queriesPerGroup + 1) }
        return regrouped
    }

    @Test("RowPermutation inverts llama.cpp's regrouping", arguments: [(4, 1), (2, 3), (3, 2)])
    func permutationIndices(groups: Int, queriesPerGroup: Int) {
        let permutation = RowPermutation(kind: .groupedQKV, headCount: groups, rowsPerHead: 5, queryHeadsPerGroup: queriesPerGroup)
        #expect(permutation.rowCount == groups * (queriesPerGroup + 2) * 5)
        let rows = Array(0..<permutation.rowCount)
        let stored = Self.llamaCppRegroup(rows, groups: groups, queriesPerGroup: queriesPerGroup)
        for row in rows {
            #expect(stored[permutation.storedRow(forRow: row)] == row)
            #expect(permutation.row(forStoredRow: permutation.storedRow(forRow: row)) == row)
        }
    }

    /// One layer's fused query/key/value weight and bias of `architecture`, stored regrouped as
    /// llama.cpp writes them, with the head counts in the file's metadata.
    struct Layout: CustomTestStringConvertible, Sendable {
        var architecture: String
        var heads: Int
        var kvHeads: Int?
        /// Groups of `[queries, key, value]`: GPT-NeoX and BLOOM one per head, Falcon one per key/value head.
        var groups: Int
        /// HF names of the fused tensors (Falcon's new decoder layout is told by its `ln_attn`).
        var prefix: String
        var testDescription: String { "\(architecture), \(heads) heads in \(groups) groups" }
    }

    static let layouts = [
        Layout(architecture: "gptneox", heads: 4, kvHeads: nil, groups: 4, prefix: "gpt_neox.layers.0.attention.query_key_value"),
        Layout(architecture: "bloom", heads: 4, kvHeads: nil, groups: 4, prefix: "transformer.h.0.self_attention.query_key_value"),
        Layout(architecture: "falcon", heads: 8, kvHeads: 2, groups: 2, prefix: "transformer.h.0.self_attention.query_key_value"),
    ]

    @Test("a regrouped fused query/key/value weight and bias read back in HF order, streamed in any chunk size and by random access",
          arguments: layouts, [DType.f16, .q8_0])
    func roundTrip(layout: Layout, dtype: DType) throws {
        let (hidden, headRows) = (64, 8)
        let rows = (layout.heads + 2 * layout.groups) * headRows
        var generator = SystemRandomNumberGenerator()
        let weight = (0..<rows).map { _ in (0..<hidden).map { _ in Float.random(in: -1...1, using: &generator) } }
        let bias = (0..<rows).map { _ in [Float.random(in: -1...1, using: &generator)] }
        let queriesPerGroup = layout.heads / layout.groups
        var metadata = GGUFMetadata()
        metadata["general.architecture"] = .string(layout.architecture)
        metadata["\(layout.architecture).attention.head_count"] = .uint32(UInt32(layout.heads))
        if let kv = layout.kvHeads { metadata["\(layout.architecture).attention.head_count_kv"] = .uint32(UInt32(kv)) }
        var tensors: [GGUFWriter.Tensor] = [
            .init(name: "blk.0.attn_qkv.weight", shape: [rows, hidden],
                  values: Self.llamaCppRegroup(weight, groups: layout.groups, queriesPerGroup: queriesPerGroup).flatMap { $0 }, as: dtype),
            .init(name: "blk.0.attn_qkv.bias", shape: [rows],
                  values: Self.llamaCppRegroup(bias, groups: layout.groups, queriesPerGroup: queriesPerGroup).flatMap { $0 }),
        ]
        if layout.architecture == "falcon" {
            tensors.append(.init(name: "blk.0.attn_norm_2.weight", shape: [hidden], values: [Float](repeating: 1, count: hidden)))
        }
        let directory = try FormatTestDirectory()
        let path = directory.path("\(layout.architecture)-\(dtype.name).gguf")
        try GGUFWriter.write(tensors, metadata: metadata, to: path)

        let reader = try CheckpointReader(path: path)
        if layout.architecture == "falcon" {
            #expect(reader.checkpoint.gguf?.nameMappingArchitecture == "falcon-new-decoder")
            #expect(reader.checkpoint.tensor(named: "transformer.h.0.ln_attn.weight") != nil)
        }
        let readWeight = try #require(reader.checkpoint.tensor(named: layout.prefix + ".weight"))
        let readBias = try #require(reader.checkpoint.tensor(named: layout.prefix + ".bias"))
        let expectedPermutation = RowPermutation(kind: .groupedQKV, headCount: layout.groups, rowsPerHead: headRows,
                                                 queryHeadsPerGroup: queriesPerGroup)
        #expect(readWeight.rowPermutation == expectedPermutation)
        #expect(readBias.rowPermutation == expectedPermutation)
        // Quantization works on blocks inside rows, so it commutes with reordering rows.
        let expectedWeight = weight.flatMap { row in
            dtype.isBlockQuantized ? decode(GGMLQuantizer.quantize(row, as: dtype), as: dtype) : decode(FloatEncoding.encode(row, as: dtype), as: dtype)
        }
        let rowBytes = Int(readWeight.byteCount) / rows
        for chunkBytes in [1, rowBytes * 3, rowBytes * headRows * 2 + 1, CheckpointReader.defaultChunkBytes] {
            #expect(sameBits(try readAllFloats(reader, readWeight, chunkBytes: chunkBytes), expectedWeight), "chunk \(chunkBytes)")
            #expect(try readAllFloats(reader, readBias, chunkBytes: chunkBytes) == bias.flatMap { $0 }, "bias, chunk \(chunkBytes)")
        }
        // Random access across head boundaries agrees with the streamed bytes.
        var streamed: [UInt8] = []
        try reader.readChunks(of: readWeight) { streamed += Array($0.bytes) }
        for (offset, length) in [(0, rowBytes * rows), (rowBytes * headRows - 3, rowBytes * 2 + 7), (rowBytes * (rows - 1) + 1, rowBytes - 1)] {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: length, alignment: 1)
            defer { buffer.deallocate() }
            try reader.readBytes(of: readWeight, at: UInt64(offset), into: buffer)
            #expect(Array(buffer) == Array(streamed[offset..<offset + length]), "bytes \(offset)+\(length)")
        }
    }

    @Test("writeGGUF regroups as llama.cpp does; reading undoes it")
    func conversionRoundTrip() throws {
        let directory = try FormatTestDirectory()
        let source = directory.path("model.safetensors")
        let (hidden, heads) = (32, 4)
        let values = (0..<3 * hidden * hidden).map { sin(Float($0) * 0.37) }
        let name = "gpt_neox.layers.0.attention.query_key_value.weight"
        try SafetensorsWriter.write([.init(name: name, shape: [3 * hidden, hidden], values: values)], to: source)
        let copy = directory.path("model.gguf")
        try CheckpointConversion.writeGGUF(from: try CheckpointReader(path: source), to: copy,
                                           options: .init(matrixType: .f32, architecture: "gptneox", headCount: heads))
        // The stored rows are llama.cpp's regrouping of the original's.
        let rows = (0..<3 * hidden).map { Array(values[$0 * hidden..<($0 + 1) * hidden]) }
        let header = try CheckpointReader(path: copy)
        let tensor = try #require(header.checkpoint.tensor(named: name))
        #expect(tensor.storedName == "blk.0.attn_qkv.weight")
        let file = try Data(contentsOf: URL(fileURLWithPath: copy))
        let stored = file[Int(tensor.offset)..<Int(tensor.offset) + values.count * 4].withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        #expect(stored == Self.llamaCppRegroup(rows, groups: heads, queriesPerGroup: 1).flatMap { $0 })
        #expect(try readAllFloats(header, tensor) == values)
    }

    @Test("errors and the identity: head counts that do not split the rows; Falcon 7B's single group is left as stored")
    func layoutErrors() throws {
        let directory = try FormatTestDirectory()
        let qkv = GGUFWriter.Tensor(name: "blk.0.attn_qkv.weight", shape: [40, 8], values: [Float](repeating: 1, count: 320))
        var metadata = GGUFMetadata()
        metadata["general.architecture"] = .string("falcon")
        metadata["falcon.attention.head_count"] = .uint32(8)
        let single = directory.path("single.gguf")  // no head_count_kv: one group (8 queries, key, value of 4 rows)
        try GGUFWriter.write([qkv], metadata: metadata, to: single)
        let tensor = try #require(try CheckpointReader(path: single).checkpoint.tensor(named: "transformer.h.0.self_attention.query_key_value.weight"))
        #expect(tensor.rowPermutation == nil)

        metadata["falcon.attention.head_count_kv"] = .uint32(3)  // 8 queries do not split into 3 groups
        let uneven = directory.path("uneven.gguf")
        try GGUFWriter.write([qkv], metadata: metadata, to: uneven)
        let error = checkpointError { _ = try CheckpointReader(path: uneven) }
        #expect(error == CheckpointError(file: uneven, tensor: "blk.0.attn_qkv.weight", rule: .gguf(.qkvGroupMismatch(
            rows: 40, queryHeads: 8, groups: 3, keys: "falcon.attention.head_count, falcon.attention.head_count_kv"))))
        #expect(error?.description.contains("regrouping cannot be undone") == true)

        metadata = GGUFMetadata()
        metadata["general.architecture"] = .string("gptneox")
        let missing = directory.path("missing.gguf")
        try GGUFWriter.write([qkv], metadata: metadata, to: missing)
        #expect(checkpointError { _ = try CheckpointReader(path: missing) }
            == CheckpointError(file: missing, tensor: "blk.0.attn_qkv.weight", rule: .gguf(.missingMetadata(key: "gptneox.attention.head_count"))))
        metadata["gptneox.attention.head_count"] = .uint32(3)  // 40 rows are not 3 × 3 heads
        let odd = directory.path("odd.gguf")
        try GGUFWriter.write([qkv], metadata: metadata, to: odd)
        #expect(checkpointError { _ = try CheckpointReader(path: odd) }
            == CheckpointError(file: odd, tensor: "blk.0.attn_qkv.weight", rule: .gguf(.qkvGroupMismatch(
                rows: 40, queryHeads: 3, groups: 3, keys: "gptneox.attention.head_count"))))
    }
}
