import Checkpoints

// MARK: - GGUF and PyTorch details in `inspect`

/// The JSON shape of a GGUF checkpoint's own description.
struct GGUFSummary: Encodable {
    var version: UInt32
    var alignment: Int
    var fileType: String?
    var splitCount: Int
    var headCount: Int?
    var headCountKV: Int?
    /// The architecture whose llama.cpp → Hugging Face names were applied, if any.
    var nameMapping: String?
    /// Every metadata key, rendered as text (arrays of more than 16 elements summarized).
    var metadata: [String: String]

    init(_ info: GGUFInfo) {
        version = info.version
        alignment = info.alignment
        fileType = info.fileTypeName ?? info.fileType.map(String.init)
        splitCount = info.splitCount
        headCount = info.headCount
        headCountKV = info.headCountKV
        nameMapping = info.nameMappingArchitecture
        metadata = info.metadata.rendered()
    }
}

extension CheckpointSummary {
    /// Architecture, quantization and (for GGUF) metadata lines of the text report.
    func formatDetailLines() -> [String] {
        var lines: [String] = []
        var model: [String] = []
        if let architecture { model.append("architecture \(architecture)") }
        if let vocabularySize { model.append("vocabulary \(CommandOutput.grouped(vocabularySize))") }
        if let fileType = gguf?.fileType { model.append("file type \(fileType)") }
        if !model.isEmpty { lines.append("Model        " + model.joined(separator: ", ")) }
        if !quantizationTypes.isEmpty { lines.append("Quantized    " + quantizationTypes.joined(separator: ", ")) }
        if let gguf {
            if let mapping = gguf.nameMapping {
                let kinds = Set(tensors.compactMap(\.rowPermutation))
                var undone: [String] = []
                if kinds.contains(RowPermutation.Kind.llamaRoPE.rawValue) { undone.append("query/key rows un-permuted (RoPE)") }
                if kinds.contains(RowPermutation.Kind.groupedQKV.rawValue) { undone.append("fused query/key/value rows put back in their head groups") }
                lines.append("Names        llama.cpp names mapped to Hugging Face (\(mapping))"
                    + (undone.isEmpty ? "" : "; " + undone.joined(separator: ", ") + " on read"))
            }
            lines.append("Metadata     \(gguf.metadata.count) keys")
            for (key, value) in gguf.metadata.sorted(by: { $0.key < $1.key }) {
                lines.append("  \(key) = \(Self.oneLine(value, limit: 96))")
            }
        }
        return lines
    }

    func storedDescription(_ tensor: Tensor) -> String {
        guard let stored = tensor.storedName else { return "" }
        return tensor.rowPermutation.map { "\(stored) (rows: \($0))" } ?? stored
    }

    /// A value on one line: newlines escaped, cut at `limit` characters.
    static func oneLine(_ text: String, limit: Int) -> String {
        let flat = text.replacingOccurrences(of: "\n", with: "\\n")
        return flat.count <= limit ? flat : String(flat.prefix(limit)) + "… (\(flat.count) characters)"
    }
}
