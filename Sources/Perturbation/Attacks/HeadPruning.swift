import SyntheticModels

/// Structured pruning of attention heads, as Sheared-LLaMA and Minitron do: removes a fraction
/// of every layer's key/value heads together with the query heads that read them (with
/// multi-head attention, simply heads) — rows of Q, K and V by whole head blocks, and the
/// matching columns of the output projection. The heads removed carry the least weight energy
/// (sum of squares of their Q, K, V rows and output columns), a data-free stand-in for an
/// activation-based score; the kept heads keep their weights and their order. `config.json`'s
/// `num_attention_heads` and `num_key_value_heads` follow, and `head_dim` records the unchanged
/// head dimension.
///
/// Llama only: BERT's configuration derives its head size from the hidden size. Not
/// function-preserving.
public struct HeadPruning: Perturbation {
    /// The fraction of key/value heads removed, in (0, 1).
    public var fraction: Double
    public var step: PerturbationStep { .pruneHeads }

    public init(fraction: Double) {
        self.fraction = fraction
    }

    public func apply(to model: inout CheckpointModel) throws(PerturbationError) -> PerturbationRecord {
        let attack = step.name
        var spec = try model.requireSpec(for: attack)
        try model.requireLlama(spec, attack: attack, reason:
            "BERT's configuration derives its attention head size from hidden_size, so heads cannot be removed without changing it")
        let groups = spec.keyValueHeadCount, groupSize = spec.headCount / spec.keyValueHeadCount
        let removed = try PruningFraction.removedCount(fraction, of: groups, units: "key/value heads", attack: attack)
        let d = spec.hiddenSize, hd = try model.headDimension(spec, attack: attack)
        for layer in 0..<spec.layerCount {
            let names = model.layerNames(spec, layer: layer)
            let query = try model.tensor(names.query + ".weight", shape: [spec.headCount * hd, d], attack: attack)
            let key = try model.tensor(names.key + ".weight", shape: [groups * hd, d], attack: attack)
            let value = try model.tensor(names.value + ".weight", shape: [groups * hd, d], attack: attack)
            let output = try model.tensor(names.attentionOutput + ".weight", shape: [d, spec.headCount * hd], attack: attack)
            let queryEnergy = TensorMath.squaredNorms(query.values, columns: d, ofRows: true)
            let keyEnergy = TensorMath.squaredNorms(key.values, columns: d, ofRows: true)
            let valueEnergy = TensorMath.squaredNorms(value.values, columns: d, ofRows: true)
            let outputEnergy = TensorMath.squaredNorms(output.values, columns: spec.headCount * hd, ofRows: false)
            let importance = (0..<groups).map { group -> Double in
                var sum = 0.0
                for row in (group * hd)..<((group + 1) * hd) { sum += keyEnergy[row] + valueEnergy[row] }
                for head in (group * groupSize)..<((group + 1) * groupSize) {
                    for row in (head * hd)..<((head + 1) * hd) { sum += queryEnergy[row] + outputEnergy[row] }
                }
                return sum
            }
            let keptGroups = TensorMath.keptIndices(importance: importance, removing: removed)
            let keyValueRows = keptGroups.flatMap { group in (group * hd)..<((group + 1) * hd) }
            let queryRowsKept = keptGroups.flatMap { group in ((group * groupSize * hd)..<((group + 1) * groupSize * hd)) }
            try model.replaceTensor(names.query + ".weight", expected: query.shape, shape: [queryRowsKept.count, d], attack: attack) {
                TensorMath.permutingRows($0, columns: d, by: queryRowsKept)
            }
            for module in [names.key, names.value] {
                try model.replaceTensor(module + ".weight", expected: [groups * hd, d], shape: [keyValueRows.count, d], attack: attack) {
                    TensorMath.permutingRows($0, columns: d, by: keyValueRows)
                }
            }
            try model.replaceTensor(names.attentionOutput + ".weight", expected: output.shape, shape: [d, queryRowsKept.count], attack: attack) {
                TensorMath.selectingColumns($0, columns: spec.headCount * hd, keeping: queryRowsKept)
            }
        }
        let originalHeads = spec.headCount
        spec.keyValueHeadCount = groups - removed
        spec.headCount = (groups - removed) * groupSize
        model.spec = spec
        model.config = ModelConfig.setting("num_attention_heads", to: .number(String(spec.headCount)), in: model.config)
        model.config = ModelConfig.setting("num_key_value_heads", to: .number(String(spec.keyValueHeadCount)), in: model.config)
        if ModelConfig.integer(model.config, "head_dim") == nil {
            model.config = ModelConfig.setting("head_dim", to: .number(String(hd)), in: model.config)
        }
        let grouping = groupSize > 1 ? " (with their \(groupSize) query heads each)" : ""
        return PerturbationRecord(
            attack: attack, functionPreserving: false,
            summary: "removed the \(removed) least important of \(groups) key/value heads\(grouping) in each of \(spec.layerCount) layers; \(spec.headCount) of \(originalHeads) query heads remain in their order",
            parameters: ["fraction": .number(fraction), "layers": .integer(spec.layerCount), "heads": .integer(originalHeads),
                         "heads_kept": .integer(spec.headCount), "key_value_heads": .integer(groups),
                         "key_value_heads_kept": .integer(groups - removed), "head_dim": .integer(hd)])
    }
}
