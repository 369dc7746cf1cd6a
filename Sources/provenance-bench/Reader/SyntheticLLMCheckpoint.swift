import Checkpoints
import Foundation

/// A BF16 checkpoint with the tensor names and shapes of a Llama-style LLM, filled with
/// cheap deterministic pseudo-random values, written as shards with a `model.safetensors.index.json`.
struct SyntheticLLMCheckpoint {
    /// Architecture sizes.
    struct Architecture {
        var vocabulary: Int
        var hidden: Int
        var intermediate: Int
        var layers: Int
        var attentionHeads: Int
        var keyValueHeads: Int

        /// TinyLlama-1.1B: about 1.1 billion parameters, 2.2 GB in BF16.
        static let tinyLlama = Architecture(vocabulary: 32000, hidden: 2048, intermediate: 5632, layers: 22,
                                            attentionHeads: 32, keyValueHeads: 4)
        /// A few MB with the same structure, for `--quick`.
        static let miniature = Architecture(vocabulary: 4000, hidden: 256, intermediate: 704, layers: 2,
                                            attentionHeads: 8, keyValueHeads: 2)
    }

    var architecture: Architecture
    var shardCount: Int

    /// Every tensor in Hugging Face Llama naming, in storage order.
    var declarations: [SafetensorsWriter.Declaration] {
        let a = architecture
        let keyValueWidth = a.hidden / a.attentionHeads * a.keyValueHeads
        func bf16(_ name: String, _ shape: [Int]) -> SafetensorsWriter.Declaration {
            .init(name: name, dtype: .bf16, shape: shape)
        }
        var result = [bf16("model.embed_tokens.weight", [a.vocabulary, a.hidden])]
        for layer in 0..<a.layers {
            let prefix = "model.layers.\(layer)."
            result += [
                bf16(prefix + "input_layernorm.weight", [a.hidden]),
                bf16(prefix + "self_attn.q_proj.weight", [a.hidden, a.hidden]),
                bf16(prefix + "self_attn.k_proj.weight", [keyValueWidth, a.hidden]),
                bf16(prefix + "self_attn.v_proj.weight", [keyValueWidth, a.hidden]),
                bf16(prefix + "self_attn.o_proj.weight", [a.hidden, a.hidden]),
                bf16(prefix + "post_attention_layernorm.weight", [a.hidden]),
                bf16(prefix + "mlp.gate_proj.weight", [a.intermediate, a.hidden]),
                bf16(prefix + "mlp.up_proj.weight", [a.intermediate, a.hidden]),
                bf16(prefix + "mlp.down_proj.weight", [a.hidden, a.intermediate]),
            ]
        }
        result += [bf16("model.norm.weight", [a.hidden]), bf16("lm_head.weight", [a.vocabulary, a.hidden])]
        return result
    }

    /// The tensors of each shard: consecutive runs of roughly equal byte size.
    var shards: [[SafetensorsWriter.Declaration]] {
        let all = declarations
        let total = all.reduce(0) { $0 + byteCount($1) }
        var result: [[SafetensorsWriter.Declaration]] = [[]]
        var filled = 0
        for declaration in all {
            if filled >= total * result.count / shardCount, result.count < shardCount, !result[result.count - 1].isEmpty {
                result.append([])
            }
            result[result.count - 1].append(declaration)
            filled += byteCount(declaration)
        }
        return result
    }

    func shardName(_ index: Int) -> String {
        func padded(_ value: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, 5 - digits.count)) + digits
        }
        return "model-\(padded(index + 1))-of-\(padded(shardCount)).safetensors"
    }

    /// Opens the checkpoint in `directory`, generating it first when missing or different.
    func open(in directory: URL, note: (String) -> Void) throws -> CheckpointReader {
        let path = directory.path
        if let reader = try? CheckpointReader(path: path), matches(reader.checkpoint) {
            return reader
        }
        note("generating \(declarations.count) BF16 tensors in \(shardCount) shards under \(path) (once) …")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var weightMap: [String: String] = [:]
        var seed: UInt64 = 0x5EED
        for (index, shard) in shards.enumerated() {
            let name = shardName(index)
            try write(shard, to: directory.appendingPathComponent(name).path, seed: &seed)
            for declaration in shard { weightMap[declaration.name] = name }
        }
        let total = declarations.reduce(0) { $0 + byteCount($1) }
        let entries = weightMap.keys.sorted().map { "    \(JSONText.quote($0)): \(JSONText.quote(weightMap[$0]!))" }
        let index = "{\n  \"metadata\": {\"total_size\": \(total)},\n  \"weight_map\": {\n\(entries.joined(separator: ",\n"))\n  }\n}\n"
        let writer = try AtomicFileWriter(path: directory.appendingPathComponent("model.safetensors.index.json").path)
        try writer.write(Array(index.utf8))
        try writer.commit()
        let reader = try CheckpointReader(path: path)
        guard matches(reader.checkpoint) else { throw GenerationError.mismatch(path) }
        return reader
    }

    private func matches(_ checkpoint: Checkpoint) -> Bool {
        checkpoint.layout == .shardedIndex && checkpoint.files.count == shardCount
            && checkpoint.tensors.map(\.name) == declarations.map(\.name)
            && checkpoint.tensors.map(\.shape) == declarations.map(\.shape)
    }

    private func byteCount(_ declaration: SafetensorsWriter.Declaration) -> Int {
        declaration.dtype.byteCount(forElements: declaration.shape.reduce(1, *)) ?? 0
    }

    /// Writes one shard, producing values in 4 MiB pieces so memory stays small.
    private func write(_ shard: [SafetensorsWriter.Declaration], to path: String, seed: inout UInt64) throws {
        let pieceBytes = 4 << 20
        let piece = UnsafeMutableRawBufferPointer.allocate(byteCount: pieceBytes, alignment: 64)
        defer { piece.deallocate() }
        var state = seed
        try SafetensorsWriter.write(shard, metadata: ["format": "pt"], to: path) { index, sink in
            var remaining = byteCount(shard[index])
            while remaining > 0 {
                let length = min(remaining, pieceBytes)
                Self.fillBFloat16(UnsafeMutableRawBufferPointer(rebasing: piece[0..<length]), state: &state)
                try sink(UnsafeRawBufferPointer(rebasing: piece[0..<length]))
                remaining -= length
            }
        }
        seed = state
    }

    /// Fills with BF16 values of magnitudes between 2^-11 and 2^-7 and random sign (weight-like, not realistic).
    /// xorshift64: one step gives four values.
    static func fillBFloat16(_ buffer: UnsafeMutableRawBufferPointer, state: inout UInt64) {
        let words = buffer.count / 8
        let base = buffer.baseAddress!
        var x = state
        for index in 0..<words {
            x ^= x << 13
            x ^= x >> 7
            x ^= x << 17
            // Per 16-bit lane: keep sign and 7 mantissa bits, exponent 116…119.
            let lanes = (x & 0x807F_807F_807F_807F) | 0x3A00_3A00_3A00_3A00 | ((x >> 3) & 0x0180_0180_0180_0180)
            base.storeBytes(of: lanes.littleEndian, toByteOffset: index * 8, as: UInt64.self)
        }
        for index in (words * 8)..<buffer.count { buffer[index] = UInt8(truncatingIfNeeded: x >> (index % 8 * 8)) }
        state = x
    }

    enum GenerationError: Error, CustomStringConvertible {
        case mismatch(String)
        var description: String {
            switch self {
            case .mismatch(let path): "the checkpoint written to \(path) does not read back as generated"
            }
        }
    }
}
