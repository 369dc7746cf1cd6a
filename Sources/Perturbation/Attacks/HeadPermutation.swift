import SyntheticModels

/// Permutes the attention heads of every layer: rows of Q, K, V (and their biases) by head
/// blocks and the matching columns of the output projection. Function-preserving.
///
/// With grouped-query attention the key/value heads are permuted as whole groups and the
/// query heads are permuted within their group, so every query head keeps its key/value head.
public struct HeadPermutation: Perturbation {
    public var seed: UInt64
    public var step: PerturbationStep { .permuteHeads }

    public init(seed: UInt64) {
        self.seed = seed
    }

    /// The permutations of layer `layer`: for each new query head the old query head, and for
    /// each new key/value head the old one.
    public func permutation(layer: Int, spec: TransformerSpec) -> (queryHeads: [Int], keyValueHeads: [Int]) {
        var rng = SplitMix64.derived(seed: seed, label: "layer \(layer)")
        let groups = spec.keyValueHeadCount, groupSize = spec.headCount / spec.keyValueHeadCount
        let keyValue = SeededRandom.permutation(groups, &rng)
        var query: [Int] = []
        for group in 0..<groups {
            let within = SeededRandom.permutation(groupSize, &rng)
            query += within.map { keyValue[group] * groupSize + $0 }
        }
        return (query, keyValue)
    }

    public func apply(to model: inout CheckpointModel) throws(PerturbationError) -> PerturbationRecord {
        let attack = step.name
        let spec = try model.requireSpec(for: attack)
        let d = spec.hiddenSize, hd = spec.headDimension
        for layer in 0..<spec.layerCount {
            let (queryHeads, keyValueHeads) = permutation(layer: layer, spec: spec)
            let queryRows = (0..<(spec.headCount * hd)).map { queryHeads[$0 / hd] * hd + $0 % hd }
            let keyValueRows = (0..<(spec.keyValueHeadCount * hd)).map { keyValueHeads[$0 / hd] * hd + $0 % hd }
            let names = model.layerNames(spec, layer: layer)
            for (module, rows) in [(names.query, queryRows), (names.key, keyValueRows), (names.value, keyValueRows)] {
                try model.updateTensor(module + ".weight", attack: attack) { $0.values = TensorMath.permutingRows($0.values, columns: d, by: rows) }
                if names.hasBiases {
                    try model.updateTensor(module + ".bias", attack: attack) { $0.values = TensorMath.permutingRows($0.values, columns: 1, by: rows) }
                }
            }
            try model.updateTensor(names.attentionOutput + ".weight", attack: attack) {
                $0.values = TensorMath.permutingColumns($0.values, columns: d, by: queryRows)
            }
        }
        let grouping = spec.keyValueHeadCount < spec.headCount ? " in \(spec.keyValueHeadCount) key/value groups" : ""
        return PerturbationRecord(
            attack: attack, functionPreserving: true,
            summary: "permuted the \(spec.headCount) attention heads\(grouping) of each of \(spec.layerCount) layers (seed \(seed))",
            parameters: ["seed": .integer(Int(truncatingIfNeeded: seed)), "layers": .integer(spec.layerCount),
                         "heads": .integer(spec.headCount), "key_value_heads": .integer(spec.keyValueHeadCount)])
    }
}
