import SyntheticModels

/// Permutes the MLP neurons of every layer: rows of gate/up (Llama) or of `intermediate.dense`
/// and its bias (BERT), and the matching columns of down (Llama) or `output.dense` (BERT).
/// Function-preserving.
///
/// Layer `l` uses the permutation `SeededRandom.permutation(F, SplitMix64.derived(seed: seed, label: "layer l"))`.
public struct NeuronPermutation: Perturbation {
    public var seed: UInt64
    public var step: PerturbationStep { .permuteNeurons }

    public init(seed: UInt64) {
        self.seed = seed
    }

    /// The permutation applied to layer `layer` of a model with `neurons` MLP neurons
    /// (new neuron i is old neuron p[i]).
    public func permutation(layer: Int, neurons: Int) -> [Int] {
        var rng = SplitMix64.derived(seed: seed, label: "layer \(layer)")
        return SeededRandom.permutation(neurons, &rng)
    }

    public func apply(to model: inout CheckpointModel) throws(PerturbationError) -> PerturbationRecord {
        let attack = step.name
        let spec = try model.requireSpec(for: attack)
        let f = spec.intermediateSize, d = spec.hiddenSize
        for layer in 0..<spec.layerCount {
            let p = permutation(layer: layer, neurons: f)
            let names = model.layerNames(spec, layer: layer)
            for input in names.mlpInputs {
                try model.updateTensor(input + ".weight", attack: attack) { $0.values = TensorMath.permutingRows($0.values, columns: d, by: p) }
                if names.hasBiases {
                    try model.updateTensor(input + ".bias", attack: attack) { $0.values = TensorMath.permutingRows($0.values, columns: 1, by: p) }
                }
            }
            try model.updateTensor(names.mlpOutput + ".weight", attack: attack) { $0.values = TensorMath.permutingColumns($0.values, columns: f, by: p) }
        }
        return PerturbationRecord(
            attack: attack, functionPreserving: true,
            summary: "permuted the \(f) MLP neurons of each of \(spec.layerCount) layers (seed \(seed))",
            parameters: ["seed": .integer(Int(truncatingIfNeeded: seed)), "layers": .integer(spec.layerCount), "neurons": .integer(f)])
    }
}
