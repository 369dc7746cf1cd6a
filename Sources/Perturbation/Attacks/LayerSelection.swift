import SyntheticModels

/// Rebuilds the layer stack from a list of input layers: output layer i is input layer
/// `layers[i]` (renumbered tensors, everything else unchanged). Keeping a subset, reordering
/// and repeating layers (a self-"franken-merge") are all selections. `config.json`'s
/// `num_hidden_layers` follows.
public struct LayerSelection: Perturbation {
    /// Input layer for each output layer.
    public var layers: [Int]
    /// The name used in records: `keep-layers` or `drop-layers`.
    public var label: String
    /// For `drop-layers`: the input layers removed (recorded).
    var dropped: [Int]?
    public var step: PerturbationStep { .selectLayers }

    /// Keeps `layers`, in that order (repeats allowed).
    public init(keeping layers: [Int]) {
        self.layers = layers
        label = "keep-layers"
    }

    /// Removes `dropped` from a model with `layerCount` layers, keeping the rest in order.
    public init(dropping dropped: [Int], layerCount: Int) {
        let removed = Set(dropped)
        layers = (0..<layerCount).filter { !removed.contains($0) }
        label = "drop-layers"
        self.dropped = removed.sorted()
    }

    public func apply(to model: inout CheckpointModel) throws(PerturbationError) -> PerturbationRecord {
        var spec = try model.requireSpec(for: label)
        guard !layers.isEmpty else {
            throw PerturbationError(attack: label, rule: .invalidArgument("no layer would remain"))
        }
        if let bad = (layers + (dropped ?? [])).first(where: { $0 < 0 || $0 >= spec.layerCount }) {
            throw PerturbationError(attack: label, rule: .invalidArgument("layer \(bad) is outside the model's layers 0–\(spec.layerCount - 1)"))
        }
        let prefix = spec.family == .llama ? "model.layers." : "encoder.layer."
        var perLayer = [[CheckpointModel.Entry]](repeating: [], count: spec.layerCount)
        var before: [CheckpointModel.Entry] = [], after: [CheckpointModel.Entry] = []
        var seenLayer = false
        for entry in model.entries {
            if let (layer, _) = TensorRole.splitLayer(entry.name, prefix: prefix), layer < spec.layerCount {
                perLayer[layer].append(entry)
                seenLayer = true
            } else if seenLayer {
                after.append(entry)
            } else {
                before.append(entry)
            }
        }
        var stack: [CheckpointModel.Entry] = []
        for (newLayer, oldLayer) in layers.enumerated() {
            for var entry in perLayer[oldLayer] {
                let rest = entry.name.dropFirst(prefix.count + String(oldLayer).count)
                entry.tensor.name = prefix + String(newLayer) + rest
                stack.append(entry)
            }
        }
        let originalCount = spec.layerCount
        model.entries = before + stack + after
        spec.layerCount = layers.count
        model.spec = spec
        model.config = ModelConfig.setting("num_hidden_layers", to: .number(String(layers.count)), in: model.config)
        var parameters: [String: ManifestValue] = ["layers_kept": .integers(layers), "input_layers": .integer(originalCount),
                                                   "output_layers": .integer(layers.count)]
        let summary: String
        if let dropped {
            parameters["layers_dropped"] = .integers(dropped)
            summary = "dropped layers \(LayerList.describe(dropped)) of \(originalCount); \(layers.count) remain"
        } else {
            summary = "kept input layers \(LayerList.describe(layers)) of \(originalCount) as layers 0-\(layers.count - 1)"
        }
        return PerturbationRecord(attack: label, functionPreserving: false, summary: summary, parameters: parameters)
    }
}
