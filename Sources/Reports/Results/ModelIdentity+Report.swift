import Matching

// MARK: - Report summaries

extension ModelIdentity {
    /// "llama · 4 layers · hidden 64 · MLP 172 · 4 heads (2 KV) · vocabulary 256 · tied embeddings".
    var architectureSummary: String {
        var parts = [structure.family]
        parts.append("\(structure.layerCount) layer\(structure.layerCount == 1 ? "" : "s")")
        parts.append("hidden \(structure.hiddenSize)")
        if let intermediate = structure.intermediateSize { parts.append("MLP \(intermediate)") }
        if let heads = structure.headCount {
            parts.append("\(heads) heads" + (structure.keyValueHeadCount.map { $0 == heads ? "" : " (\($0) KV)" } ?? ""))
        }
        if let rows = structure.vocabularyRows { parts.append("vocabulary \(ReportNumbers.count(rows))") }
        if structure.tiedEmbeddings { parts.append("tied embeddings") }
        return parts.joined(separator: " · ")
    }

    var totalFileSize: UInt64 {
        files.reduce(0) { $0 &+ $1.size }
    }
}
