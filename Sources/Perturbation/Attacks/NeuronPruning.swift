import SyntheticModels

/// Structured width pruning of the MLP, as Minitron and LLM-Pruner do it: removes a fraction
/// of every layer's MLP neurons — rows of gate/up (Llama) or of `intermediate.dense` and its
/// bias (BERT), and the matching columns of down (Llama) or `output.dense` (BERT). The neurons
/// removed are the least important by ‖input rows‖ · ‖output column‖ (gate and up rows
/// together for Llama), a data-free stand-in for Minitron's activation-based score; the kept
/// neurons keep their weights and their order. `config.json`'s `intermediate_size` follows.
///
/// Not function-preserving: a pruned model is normally distilled afterwards (add `--noise`
/// to imitate that).
public struct NeuronPruning: Perturbation {
    /// The fraction of each layer's neurons removed, in (0, 1).
    public var fraction: Double
    public var step: PerturbationStep { .pruneNeurons }

    public init(fraction: Double) {
        self.fraction = fraction
    }

    public func apply(to model: inout CheckpointModel) throws(PerturbationError) -> PerturbationRecord {
        let attack = step.name
        var spec = try model.requireSpec(for: attack)
        let f = spec.intermediateSize, d = spec.hiddenSize
        let removed = try PruningFraction.removedCount(fraction, of: f, units: "MLP neurons", attack: attack)
        for layer in 0..<spec.layerCount {
            let names = model.layerNames(spec, layer: layer)
            var inputEnergy = [Double](repeating: 0, count: f)
            for input in names.mlpInputs {
                let tensor = try model.tensor(input + ".weight", shape: [f, d], attack: attack)
                for (index, energy) in TensorMath.squaredNorms(tensor.values, columns: d, ofRows: true).enumerated() { inputEnergy[index] += energy }
            }
            let output = try model.tensor(names.mlpOutput + ".weight", shape: [d, f], attack: attack)
            let outputEnergy = TensorMath.squaredNorms(output.values, columns: f, ofRows: false)
            let importance = (0..<f).map { (inputEnergy[$0] * outputEnergy[$0]).squareRoot() }
            let kept = TensorMath.keptIndices(importance: importance, removing: removed)
            for input in names.mlpInputs {
                try model.replaceTensor(input + ".weight", expected: [f, d], shape: [kept.count, d], attack: attack) { TensorMath.permutingRows($0, columns: d, by: kept) }
                if names.hasBiases {
                    try model.replaceTensor(input + ".bias", expected: [f], shape: [kept.count], attack: attack) { TensorMath.permutingRows($0, columns: 1, by: kept) }
                }
            }
            try model.replaceTensor(names.mlpOutput + ".weight", expected: [d, f], shape: [d, kept.count], attack: attack) { TensorMath.selectingColumns($0, columns: f, keeping: kept) }
        }
        spec.intermediateSize = f - removed
        model.spec = spec
        model.config = ModelConfig.setting("intermediate_size", to: .number(String(f - removed)), in: model.config)
        return PerturbationRecord(
            attack: attack, functionPreserving: false,
            summary: "removed the \(removed) least important of \(f) MLP neurons in each of \(spec.layerCount) layers; \(f - removed) remain in their order",
            parameters: ["fraction": .number(fraction), "layers": .integer(spec.layerCount), "neurons": .integer(f),
                         "neurons_kept": .integer(f - removed)])
    }
}
