import Fingerprinting

// MARK: - Element-by-element evidence (`compare --deep`)

extension LayerSummary {
    /// `layers` with the element-by-element evidence folded in: a layer that no fingerprint
    /// evidence matched, whose lined-up matrices hold at least half its parameters, is matched
    /// by `weights`, placed at the reference layer its pairs come from, with their exact cosine.
    static func settling(_ layers: [LayerMatch], tensors: [TensorMatch], by fullWeights: FullWeightEvidence,
                         reference: Fingerprint) -> [LayerMatch] {
        let linedUp = Dictionary(fullWeights.linedUpPairs.map { ($0.suspectTensor, $0) }, uniquingKeysWith: { first, _ in first })
        let referenceLayers = Dictionary(reference.tensors.map { ($0.name, $0.layer) }, uniquingKeysWith: { first, _ in first })
        let members = Dictionary(grouping: tensors, by: groupName)
        return layers.map { layer in
            guard layer.matchedBy == "none", let group = members[layer.group] else { return layer }
            let held = group.compactMap { match in linedUp[match.suspectTensor].map { (match, $0) } }
            let heldParameters = held.reduce(0) { $0 + $1.0.parameters }
            guard heldParameters * 2 >= layer.parameters, heldParameters > 0 else { return layer }
            var votes: [Int: Int] = [:]
            for (match, pair) in held {
                if let referenceLayer = referenceLayers[pair.referenceTensor] ?? nil { votes[referenceLayer, default: 0] += match.parameters }
            }
            let elements = held.reduce(0) { $0 + $1.1.elements }
            var settled = layer
            settled.matchedBy = LayerMatch.matchedByWeights
            settled.referenceLayer = votes.max { ($0.value, -$0.key) < ($1.value, -$1.key) }?.key
            settled.meanCosine = held.reduce(0.0) { $0 + abs($1.1.cosine) * Double($1.1.elements) } / Double(max(1, elements))
            return settled
        }
    }

    /// The groups (`layer 3`, `embeddings`, `head`) with a matrix the element-by-element
    /// comparison settled either way: lined up with the reference's, or read and unrelated.
    static func groupsChecked(by fullWeights: FullWeightEvidence, tensors: [TensorMatch]) -> Set<String> {
        let settled = fullWeights.linedUpTensors.union(fullWeights.unrelatedTensors)
        return Set(tensors.filter { settled.contains($0.suspectTensor) }.map(groupName))
    }

    /// Suspect layers matched by `weights` whose lined-up matrices had their units renumbered:
    /// permuted layers the neuron profiles (8 layers at most) did not cover.
    static func permutedByWeights(_ layers: [LayerMatch], tensors: [TensorMatch], fullWeights: FullWeightEvidence) -> Set<Int> {
        let renumbered = fullWeights.renumberedTensors
        let settled = Set(layers.filter { $0.matchedBy == LayerMatch.matchedByWeights }.compactMap(\.suspectLayer))
        return Set(tensors.filter { renumbered.contains($0.suspectTensor) }.compactMap(\.suspectLayer).filter(settled.contains))
    }
}
