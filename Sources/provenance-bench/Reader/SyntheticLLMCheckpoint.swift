import Checkpoints
import Foundation

/// A checkpoint with the tensor names and shapes of a Llama-style LLM, filled with cheap
/// deterministic pseudo-random values, written as shards with a `model.safetensors.index.json`:
/// BF16, or with the layers' linear weights quantized as GPTQ or bitsandbytes LLM.int8 store
/// them (the rest F16, as those releases keep it), or as llm-compressor's W4A16 (the rest BF16).
struct SyntheticLLMCheckpoint {
    /// How the layers' linear weights are stored.
    enum Storage: String {
        /// Every tensor BF16.
        case bf16
        /// AutoGPTQ's 4-bit layout: `P.qweight`, `P.qzeros`, `P.scales` (F16, groups of 128), `P.g_idx` (activation order).
        case gptq
        /// bitsandbytes' 8-bit layout: `P.weight` (I8), `P.SCB` (F32 per row), `P.weight_format`.
        case llmInt8 = "llm-int8"
        /// compressed-tensors' W4A16: `P.weight_packed` (I32, eight codes per word along a row),
        /// `P.weight_scale` (BF16, groups of 128 consecutive columns).
        case w4a16
        /// The same with GPTQ's activation-ordered groups (`actorder: group`): `P.weight_g_idx` names each column's group.
        case w4a16ActivationOrder = "w4a16-actorder"
    }

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
    var storage: Storage = .bf16

    /// GPTQ's group of input features.
    static let gptqGroup = 128

    /// Every tensor in Hugging Face Llama naming, in storage order.
    var declarations: [SafetensorsWriter.Declaration] {
        let a = architecture
        let keyValueWidth = a.hidden / a.attentionHeads * a.keyValueHeads
        let floatType: DType = [.bf16, .w4a16, .w4a16ActivationOrder].contains(storage) ? .bf16 : .f16
        func float(_ name: String, _ shape: [Int]) -> [SafetensorsWriter.Declaration] {
            [.init(name: name, dtype: floatType, shape: shape)]
        }
        /// A linear weight `P.weight` of PyTorch shape [n, k] in the chosen storage.
        func linear(_ name: String, _ n: Int, _ k: Int) -> [SafetensorsWriter.Declaration] {
            let prefix = String(name.dropLast("weight".count))
            switch storage {
            case .bf16:
                return float(name, [n, k])
            case .gptq:
                let groups = (k + Self.gptqGroup - 1) / Self.gptqGroup
                return [.init(name: prefix + "qweight", dtype: .i32, shape: [k / 8, n]),
                        .init(name: prefix + "qzeros", dtype: .i32, shape: [groups, n / 8]),
                        .init(name: prefix + "scales", dtype: .f16, shape: [groups, n]),
                        .init(name: prefix + "g_idx", dtype: .i32, shape: [k])]
            case .w4a16, .w4a16ActivationOrder:
                return [.init(name: name + "_packed", dtype: .i32, shape: [n, k / 8]),
                        .init(name: name + "_scale", dtype: .bf16, shape: [n, (k + Self.gptqGroup - 1) / Self.gptqGroup])]
                    + (storage == .w4a16ActivationOrder ? [.init(name: name + "_g_idx", dtype: .i32, shape: [k])] : [])
            case .llmInt8:
                return [.init(name: name, dtype: .i8, shape: [n, k]),
                        .init(name: prefix + "SCB", dtype: .f32, shape: [n]),
                        .init(name: prefix + "weight_format", dtype: .u8, shape: [])]
            }
        }
        var result = float("model.embed_tokens.weight", [a.vocabulary, a.hidden])
        for layer in 0..<a.layers {
            let prefix = "model.layers.\(layer)."
            result += float(prefix + "input_layernorm.weight", [a.hidden])
            result += linear(prefix + "self_attn.q_proj.weight", a.hidden, a.hidden)
            result += linear(prefix + "self_attn.k_proj.weight", keyValueWidth, a.hidden)
            result += linear(prefix + "self_attn.v_proj.weight", keyValueWidth, a.hidden)
            result += linear(prefix + "self_attn.o_proj.weight", a.hidden, a.hidden)
            result += float(prefix + "post_attention_layernorm.weight", [a.hidden])
            result += linear(prefix + "mlp.gate_proj.weight", a.intermediate, a.hidden)
            result += linear(prefix + "mlp.up_proj.weight", a.intermediate, a.hidden)
            result += linear(prefix + "mlp.down_proj.weight", a.hidden, a.intermediate)
        }
        return result + float("model.norm.weight", [a.hidden]) + float("lm_head.weight", [a.vocabulary, a.hidden])
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
        note("generating \(declarations.count) \(storage.rawValue) tensors in \(shardCount) shards under \(path) (once) …")
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
        // By stored name and size: quantized weights are read under their weight's name and shape.
        checkpoint.layout == .shardedIndex && checkpoint.files.count == shardCount
            && checkpoint.tensors.map { $0.storedName ?? $0.name } == declarations.map(\.name)
            && checkpoint.tensors.map(\.byteCount) == declarations.map { UInt64(byteCount($0)) }
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
            let declaration = shard[index]
            let total = byteCount(declaration)
            var done = 0
            while done < total {
                let length = min(total - done, pieceBytes)
                Self.fill(UnsafeMutableRawBufferPointer(rebasing: piece[0..<length]), for: declaration, at: done, state: &state)
                try sink(UnsafeRawBufferPointer(rebasing: piece[0..<length]))
                done += length
            }
        }
        seed = state
    }

    /// Fills the bytes `byteOffset ..< byteOffset + buffer.count` of a tensor: floats weight-like
    /// (magnitudes 2^-11 … 2^-7, random sign; not realistic), GPTQ scales and LLM.int8's SCB
    /// positive, GPTQ's `g_idx` a valid activation order (every group 128 rows; compressed-tensors'
    /// `weight_g_idx` likewise over columns), the weight format 0, and integer codes random bits.
    static func fill(_ buffer: UnsafeMutableRawBufferPointer, for declaration: SafetensorsWriter.Declaration, at byteOffset: Int, state: inout UInt64) {
        let name = declaration.name
        if name.hasSuffix("g_idx") {
            let rows = declaration.shape[0]
            for element in 0..<(buffer.count / 4) {
                let row = byteOffset / 4 + element
                buffer.storeBytes(of: Int32((row &* 7919) % rows / gptqGroup).littleEndian, toByteOffset: element * 4, as: Int32.self)
            }
            return
        }
        if name.hasSuffix("weight_format") {
            buffer.initializeMemory(as: UInt8.self, repeating: 0)
            return
        }
        let (mask, bits, spread): (UInt64, UInt64, UInt64) = switch declaration.dtype {
        // Per 16-bit lane: keep sign and 7 mantissa bits, exponent 116…119.
        case .bf16: (0x807F_807F_807F_807F, 0x3A00_3A00_3A00_3A00, 0x0180_0180_0180_0180)
        // compressed-tensors' W4A16 scales: 2^-7 … 2^-6, positive.
        case .bf16 where name.hasSuffix("weight_scale"): (0x007F_007F_007F_007F, 0x3C00_3C00_3C00_3C00, 0)
        // GPTQ scales: 2^-7 … 2^-6, positive.
        case .f16 where name.hasSuffix("scales"): (0x03FF_03FF_03FF_03FF, 0x2000_2000_2000_2000, 0)
        // Per 16-bit lane: sign and 10 mantissa bits, exponent 4…7 (2^-11 … 2^-7).
        case .f16: (0x83FF_83FF_83FF_83FF, 0x1000_1000_1000_1000, 0x0C00_0C00_0C00_0C00)
        // SCB: 2^-7 … 2^-6, positive, per 32-bit lane.
        case .f32: (0x007F_FFFF_007F_FFFF, 0x3C00_0000_3C00_0000, 0)
        default: (~0, 0, 0)
        }
        fillWords(buffer, state: &state) { x in (x & mask) | bits | ((x >> 3) & spread) }
    }

    /// xorshift64, one step per 8 bytes, each word shaped by `shape`.
    private static func fillWords(_ buffer: UnsafeMutableRawBufferPointer, state: inout UInt64, _ shape: (UInt64) -> UInt64) {
        let words = buffer.count / 8
        let base = buffer.baseAddress!
        var x = state
        for index in 0..<words {
            x ^= x << 13
            x ^= x >> 7
            x ^= x << 17
            base.storeBytes(of: shape(x).littleEndian, toByteOffset: index * 8, as: UInt64.self)
        }
        let last = shape(x)
        for index in (words * 8)..<buffer.count { buffer[index] = UInt8(truncatingIfNeeded: last >> (index % 8 * 8)) }
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
