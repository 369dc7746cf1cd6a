import SyntheticModels

/// Structured pruning of the hidden (residual-stream, "embedding channel") width, as Minitron
/// does: removes a fraction of the hidden dimensions from every tensor that touches the
/// stream — columns of the matrices that read it (embedding, Q/K/V, MLP inputs, LM head), rows
/// of those that write it (attention output, MLP output) and the norm weights. The dimensions
/// removed carry the least weight energy (sum of squares over all of those rows and columns),
/// a data-free stand-in for Minitron's activation-based score; the kept dimensions keep their
/// order. `config.json`'s `hidden_size` follows, and `head_dim` records the unchanged head
/// dimension.
///
/// Llama only: BERT's configuration derives its head size from the hidden size, so its width
/// cannot change without pruning heads. Not function-preserving.
public struct HiddenPruning: Perturbation {
    /// The fraction of hidden dimensions removed, in (0, 1).
    public var fraction: Double
    public var step: PerturbationStep { .pruneHidden }

    public init(fraction: Double) {
        self.fraction = fraction
    }

    /// The hidden dimensions kept, in order, by the rule above.
    public func keptDimensions(of model: CheckpointModel) throws(PerturbationError) -> [Int] {
        let spec = try model.requireSpec(for: step.name)
        return try keptDimensions(of: model, spec: spec, tensors: model.residualTensors(spec, attack: step.name))
    }

    /// The rule, over the tensors `residualTensors` returned.
    private func keptDimensions(of model: CheckpointModel, spec: TransformerSpec,
                                tensors: [(index: Int, axis: TensorRole.ResidualAxis)]) throws(PerturbationError) -> [Int] {
        let d = spec.hiddenSize
        let removed = try PruningFraction.removedCount(fraction, of: d, units: "hidden dimensions", attack: step.name)
        var energy = [Double](repeating: 0, count: d)
        for (index, axis) in tensors where axis == .columns || axis == .rows {
            let tensor = model.entries[index].tensor
            let sums = TensorMath.squaredNorms(tensor.values, columns: tensor.shape[1], ofRows: axis == .rows)
            for dimension in 0..<d { energy[dimension] += sums[dimension] }
        }
        return TensorMath.keptIndices(importance: energy, removing: removed)
    }

    public func apply(to model: inout CheckpointModel) throws(PerturbationError) -> PerturbationRecord {
        let attack = step.name
        var spec = try model.requireSpec(for: attack)
        try model.requireLlama(spec, attack: attack, reason:
            "BERT's configuration derives its attention head size from hidden_size, so the hidden width cannot be pruned without pruning heads")
        try model.requireAllRolesKnown(spec, attack: attack)
        let d = spec.hiddenSize, headDimension = try model.headDimension(spec, attack: attack)
        let tensors = try model.residualTensors(spec, attack: attack)
        let kept = try keptDimensions(of: model, spec: spec, tensors: tensors)
        for (index, axis) in tensors {
            let tensor = model.entries[index].tensor
            switch axis {
            case .columns:
                try model.replaceTensor(tensor.name, expected: tensor.shape, shape: [tensor.shape[0], kept.count], attack: attack) {
                    TensorMath.selectingColumns($0, columns: d, keeping: kept)
                }
            case .rows:
                try model.replaceTensor(tensor.name, expected: tensor.shape, shape: [kept.count, tensor.shape[1]], attack: attack) {
                    TensorMath.permutingRows($0, columns: tensor.shape[1], by: kept)
                }
            case .vector:
                try model.replaceTensor(tensor.name, expected: [d], shape: [kept.count], attack: attack) {
                    TensorMath.permutingRows($0, columns: 1, by: kept)
                }
            case .none:
                continue
            }
        }
        spec.hiddenSize = kept.count
        model.spec = spec
        model.config = ModelConfig.setting("hidden_size", to: .number(String(kept.count)), in: model.config)
        if ModelConfig.integer(model.config, "head_dim") == nil {
            model.config = ModelConfig.setting("head_dim", to: .number(String(headDimension)), in: model.config)
        }
        return PerturbationRecord(
            attack: attack, functionPreserving: false,
            summary: "removed the \(d - kept.count) least important of \(d) hidden dimensions, norms included; \(kept.count) remain in their order (head dimension \(headDimension) unchanged)",
            parameters: ["fraction": .number(fraction), "hidden_size": .integer(d), "hidden_kept": .integer(kept.count),
                         "dimensions_kept": .integers(kept)])
    }
}
