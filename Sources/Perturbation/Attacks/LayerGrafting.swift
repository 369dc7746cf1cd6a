/// Grafts layers of another checkpoint ("franken-merge"): every tensor of each listed layer
/// is replaced by the donor's tensor of the same name (same layer index, same shape required).
public struct LayerGrafting: Perturbation {
    public var donor: CheckpointModel
    /// Layer indices to take from the donor.
    public var layers: [Int]
    public var donorLabel: String
    public var step: PerturbationStep { .graft }

    public init(donor: CheckpointModel, layers: [Int], donorLabel: String) {
        self.donor = donor
        self.layers = layers
        self.donorLabel = donorLabel
    }

    public func apply(to model: inout CheckpointModel) throws(PerturbationError) -> PerturbationRecord {
        let attack = step.name
        let spec = try model.requireSpec(for: attack)
        let wanted = Set(layers)
        guard !wanted.isEmpty else { throw PerturbationError(attack: attack, rule: .invalidArgument("no layers to graft")) }
        if let bad = wanted.first(where: { $0 < 0 || $0 >= spec.layerCount }) {
            throw PerturbationError(attack: attack, rule: .invalidArgument("layer \(bad) is outside the model's layers 0–\(spec.layerCount - 1)"))
        }
        var donorIndex: [String: Int] = [:]
        for (index, entry) in donor.entries.enumerated() { donorIndex[entry.name] = index }
        var replaced = 0
        for item in model.classified(spec) {
            guard let layer = item.layer, wanted.contains(layer) else { continue }
            let name = model.entries[item.index].name
            guard let source = donorIndex[name] else {
                throw PerturbationError(attack: attack, file: donorLabel, tensor: name, rule: .missingTensor)
            }
            let theirs = donor.entries[source].tensor
            guard theirs.shape == model.entries[item.index].tensor.shape else {
                throw PerturbationError(attack: attack, file: donorLabel, tensor: name,
                                        rule: .shapeMismatch(expected: model.entries[item.index].tensor.shape, actual: theirs.shape))
            }
            model.entries[item.index].tensor.values = theirs.values
            replaced += 1
        }
        let sorted = wanted.sorted()
        return PerturbationRecord(
            attack: attack, functionPreserving: false,
            summary: "replaced layers \(LayerList.describe(sorted)) (\(replaced) tensors) with those of \(donorLabel)",
            parameters: ["donor": .string(donorLabel), "layers": .integers(sorted), "tensors": .integer(replaced)])
    }
}
