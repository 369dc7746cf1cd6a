import SyntheticModels

/// Rescales matrices in reciprocal pairs so the function is unchanged:
/// - per key/value group g of every layer: queries ×c_g and keys ×1/c_g (weights and biases),
///   since attention scores only see the product QKᵀ (RoPE is linear, so it commutes);
/// - per key/value group g: values ×e_g (weights and biases) and the output projection's
///   columns of the query heads reading group g ×1/e_g;
/// - Llama only, per MLP neuron j: `up_proj` row j ×s_j and `down_proj` column j ×1/s_j
///   (SwiGLU is linear in the up branch). BERT's GELU MLP is not homogeneous, so its
///   neurons are not rescaled.
///
/// Factors are `SeededRandom.scale` draws in [0.5, 2) from
/// `SplitMix64.derived(seed: seed, label: "layer l")`: first c for each group, then e for
/// each group, then s for each neuron.
public struct ReciprocalRescaling: Perturbation {
    public var seed: UInt64
    public var step: PerturbationStep { .rescale }

    public init(seed: UInt64) {
        self.seed = seed
    }

    /// The factors of layer `layer`.
    public func factors(layer: Int, spec: TransformerSpec) -> (queryKey: [Float], valueOutput: [Float], neurons: [Float]) {
        var rng = SplitMix64.derived(seed: seed, label: "layer \(layer)")
        let queryKey = (0..<spec.keyValueHeadCount).map { _ in SeededRandom.scale(&rng) }
        let valueOutput = (0..<spec.keyValueHeadCount).map { _ in SeededRandom.scale(&rng) }
        let neurons = spec.family == .llama ? (0..<spec.intermediateSize).map { _ in SeededRandom.scale(&rng) } : []
        return (queryKey, valueOutput, neurons)
    }

    public func apply(to model: inout CheckpointModel) throws(PerturbationError) -> PerturbationRecord {
        let attack = step.name
        let spec = try model.requireSpec(for: attack)
        let d = spec.hiddenSize, hd = spec.headDimension, groupSize = spec.headCount / spec.keyValueHeadCount
        for layer in 0..<spec.layerCount {
            let (queryKey, valueOutput, neurons) = factors(layer: layer, spec: spec)
            let queryScales = (0..<d).map { queryKey[$0 / hd / groupSize] }
            let keyScales = (0..<(spec.keyValueHeadCount * hd)).map { 1 / queryKey[$0 / hd] }
            let valueScales = (0..<(spec.keyValueHeadCount * hd)).map { valueOutput[$0 / hd] }
            let outputScales = (0..<d).map { 1 / valueOutput[$0 / hd / groupSize] }
            let names = model.layerNames(spec, layer: layer)
            for (module, scales) in [(names.query, queryScales), (names.key, keyScales), (names.value, valueScales)] {
                try model.updateTensor(module + ".weight", attack: attack) { $0.values = TensorMath.scalingRows($0.values, columns: d, by: scales) }
                if names.hasBiases {
                    try model.updateTensor(module + ".bias", attack: attack) { $0.values = TensorMath.scalingRows($0.values, columns: 1, by: scales) }
                }
            }
            try model.updateTensor(names.attentionOutput + ".weight", attack: attack) {
                $0.values = TensorMath.scalingColumns($0.values, columns: d, by: outputScales)
            }
            if let up = names.linearMLPInput {
                try model.updateTensor(up + ".weight", attack: attack) { $0.values = TensorMath.scalingRows($0.values, columns: d, by: neurons) }
                try model.updateTensor(names.mlpOutput + ".weight", attack: attack) {
                    $0.values = TensorMath.scalingColumns($0.values, columns: spec.intermediateSize, by: neurons.map { 1 / $0 })
                }
            }
        }
        let mlp = spec.family == .llama ? ", MLP up×s / down×1/s per neuron" : " (GELU MLP left alone)"
        return PerturbationRecord(
            attack: attack, functionPreserving: true,
            summary: "rescaled Q×c / K×1/c and V×e / O×1/e per key/value head\(mlp) in \(spec.layerCount) layers, factors in [0.5, 2) (seed \(seed))",
            parameters: ["seed": .integer(Int(truncatingIfNeeded: seed)), "layers": .integer(spec.layerCount),
                         "neurons_rescaled": .bool(spec.family == .llama)])
    }
}
