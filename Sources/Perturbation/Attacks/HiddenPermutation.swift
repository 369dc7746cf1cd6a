import SyntheticModels

/// Permutes the hidden (residual-stream) dimensions of the whole model: columns of every
/// matrix that reads the stream (embeddings, Q/K/V, MLP inputs, LM head, pooler), rows of
/// every matrix that writes it (attention output, MLP output) and their biases, and all norm
/// weights and biases. Function-preserving for RMSNorm and LayerNorm alike (both commute
/// with a permutation of their input); the outputs (logits, or hidden states permuted back
/// by the caller) are unchanged.
///
/// One permutation for the model: `SeededRandom.permutation(d, SplitMix64.derived(seed: seed, label: "hidden"))`.
public struct HiddenPermutation: Perturbation {
    public var seed: UInt64
    public var step: PerturbationStep { .permuteHidden }

    public init(seed: UInt64) {
        self.seed = seed
    }

    /// The permutation (new dimension i is old dimension p[i]).
    public func permutation(hiddenSize: Int) -> [Int] {
        var rng = SplitMix64.derived(seed: seed, label: "hidden")
        return SeededRandom.permutation(hiddenSize, &rng)
    }

    public func apply(to model: inout CheckpointModel) throws(PerturbationError) -> PerturbationRecord {
        let attack = step.name
        let spec = try model.requireSpec(for: attack)
        try model.requireAllRolesKnown(spec, attack: attack)
        let d = spec.hiddenSize
        let p = permutation(hiddenSize: d)
        for (index, axis) in try model.residualTensors(spec, attack: attack) {
            let tensor = model.entries[index].tensor
            switch axis {
            case .columns: model.entries[index].tensor.values = TensorMath.permutingColumns(tensor.values, columns: d, by: p)
            case .rows: model.entries[index].tensor.values = TensorMath.permutingRows(tensor.values, columns: tensor.shape[1], by: p)
            case .vector: model.entries[index].tensor.values = TensorMath.permutingRows(tensor.values, columns: 1, by: p)
            case .none: continue
            }
        }
        return PerturbationRecord(
            attack: attack, functionPreserving: true,
            summary: "permuted the \(d) hidden dimensions, norms included (seed \(seed))",
            parameters: ["seed": .integer(Int(truncatingIfNeeded: seed)), "hidden_size": .integer(d)])
    }
}
