import Foundation

// MARK: - Element-by-element evidence (`compare --deep`)

extension VerdictRules {
    /// What the element-by-element comparison settled about the layers, one line each: the
    /// layers it matched where no fingerprint evidence reached (`LayerSummary.settling`), and
    /// the layers it read and found unrelated to the reference's aligned layers.
    static func weightsEvidence(_ fullWeights: FullWeightEvidence, layers: [LayerMatch], tensors: [TensorMatch]) -> [String] {
        var lines: [String] = []
        let settled = layers.filter { $0.matchedBy == LayerMatch.matchedByWeights }
        if !settled.isEmpty {
            lines.append(String(format: "%@, which no fingerprint evidence matched, %@ the reference's weights element by element (lined up by `--deep`; exact cosine at least %.4f).",
                                groupList(settled), settled.count == 1 ? "holds" : "hold", settled.map(\.meanCosine).min()!))
        }
        let linedUp = fullWeights.linedUpTensors, unrelated = fullWeights.unrelatedTensors
        let members = Dictionary(grouping: tensors, by: LayerSummary.groupName)
        let foreign = layers.filter { layer in
            guard layer.matchedBy == "none", let group = members[layer.group] else { return false }
            return group.contains { unrelated.contains($0.suspectTensor) } && !group.contains { linedUp.contains($0.suspectTensor) }
        }
        if !foreign.isEmpty {
            let matrices = foreign.reduce(0) { count, layer in count + members[layer.group]!.filter { unrelated.contains($0.suspectTensor) }.count }
            lines.append("\(groupList(foreign)) \(foreign.count == 1 ? "was" : "were") read element by element: no row or column of \(matrices == 1 ? "its matrix" : "their \(matrices) matrices") is one of the reference's, in the aligned layer or any other — weights from elsewhere (or retrained beyond recognition).")
        }
        return lines
    }

    /// "Layers 1, 4 and the head", "Layer 7", "The embeddings": layer groups for a sentence.
    static func groupList(_ groups: [LayerMatch]) -> String {
        let numbered = groups.compactMap(\.suspectLayer).map(String.init)
        let others = groups.filter { $0.suspectLayer == nil }.map { "the " + $0.group }
        var parts: [String] = []
        if !numbered.isEmpty { parts.append((numbered.count == 1 ? "Layer " : "Layers ") + listing(numbered, limit: 12)) }
        parts += others
        let text = parts.count > 1 ? parts.dropLast().joined(separator: ", ") + " and " + parts.last! : parts[0]
        return text.prefix(1).uppercased() + text.dropFirst()
    }
}
