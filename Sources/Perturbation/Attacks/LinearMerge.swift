import Foundation

/// Linear merge with another checkpoint: every floating-point tensor becomes
/// a·this + (1−a)·other, where `other` holds a tensor with the same name and shape
/// (required for every floating-point tensor of this model). `a` is `weight`.
public struct LinearMerge: Perturbation {
    public var other: CheckpointModel
    /// a, the weight of the model being perturbed; the other checkpoint gets 1 − a.
    public var weight: Float
    /// How the other checkpoint is named in records (e.g. its path).
    public var otherLabel: String
    public var step: PerturbationStep { .merge }

    public init(other: CheckpointModel, weight: Float, otherLabel: String) {
        self.other = other
        self.weight = weight
        self.otherLabel = otherLabel
    }

    public func apply(to model: inout CheckpointModel) throws(PerturbationError) -> PerturbationRecord {
        let attack = step.name
        guard weight.isFinite, weight >= 0, weight <= 1 else {
            throw PerturbationError(attack: attack, rule: .invalidArgument("the merge weight must be between 0 and 1, got \(weight)"))
        }
        var otherIndex: [String: Int] = [:]
        for (index, entry) in other.entries.enumerated() { otherIndex[entry.name] = index }
        var merged = 0
        for index in model.entries.indices where model.entries[index].isFloatingPoint {
            let name = model.entries[index].name
            guard let source = otherIndex[name] else {
                throw PerturbationError(attack: attack, file: otherLabel, tensor: name, rule: .missingTensor)
            }
            let theirs = other.entries[source].tensor
            guard theirs.shape == model.entries[index].tensor.shape else {
                throw PerturbationError(attack: attack, file: otherLabel, tensor: name,
                                        rule: .shapeMismatch(expected: model.entries[index].tensor.shape, actual: theirs.shape))
            }
            let a = weight, b = 1 - weight
            var values = model.entries[index].tensor.values
            for i in values.indices { values[i] = a * values[i] + b * theirs.values[i] }
            model.entries[index].tensor.values = values
            merged += 1
        }
        // Report the weights as typed (0.4, 0.6), not as their Float expansions.
        let inputText = String(format: "%.6g", Double("\(weight)") ?? Double(weight))
        let otherText = String(format: "%.6g", 1 - (Double(inputText) ?? Double(weight)))
        return PerturbationRecord(
            attack: attack, functionPreserving: false,
            summary: "merged \(merged) tensors as \(inputText) × input + \(otherText) × \(otherLabel)",
            parameters: ["other": .string(otherLabel), "input_weight": .number(Double(inputText) ?? Double(weight)),
                         "other_weight": .number(Double(otherText) ?? Double(1 - weight)), "tensors": .integer(merged)])
    }
}
