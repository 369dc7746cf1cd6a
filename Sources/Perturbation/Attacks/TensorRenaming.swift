import SyntheticModels

/// Renames every tensor to another naming scheme and shuffles the storage order.
/// Function-preserving (the values are untouched); afterwards the architecture is no longer
/// recognised from names, so attacks that need it must run first (`PerturbationPlan` orders them).
///
/// The new order is `SeededRandom.permutation(count, SplitMix64.derived(seed: seed, label: "order"))`;
/// opaque names draw from `SplitMix64.derived(seed: seed, label: "names")`.
public struct TensorRenaming: Perturbation {
    public var scheme: NamingScheme
    public var seed: UInt64
    public var step: PerturbationStep { .rename }

    public init(scheme: NamingScheme, seed: UInt64) {
        self.scheme = scheme
        self.seed = seed
    }

    /// Old name → new name for `model`.
    public func names(for model: CheckpointModel) throws(PerturbationError) -> [String: String] {
        var mapping: [String: String] = [:]
        switch scheme {
        case .gpt:
            let spec = try model.requireSpec(for: step.name)
            for item in model.classified(spec) {
                let name = model.entries[item.index].name
                mapping[name] = NamingScheme.gptName(name, role: item.role, layer: item.layer)
            }
        case .opaque:
            var rng = SplitMix64.derived(seed: seed, label: "names")
            var used = Set<String>()
            for entry in model.entries {
                var candidate: String
                repeat {
                    let hex = String(rng.next(), radix: 16)
                    candidate = "t" + String(repeating: "0", count: 16 - hex.count) + hex
                } while !used.insert(candidate).inserted
                mapping[entry.name] = candidate
            }
        }
        let targets = Set(mapping.values)
        if targets.count != mapping.count {
            throw PerturbationError(attack: step.name, rule: .invalidArgument("the \(scheme.rawValue) scheme maps two tensors to the same name"))
        }
        return mapping
    }

    public func apply(to model: inout CheckpointModel) throws(PerturbationError) -> PerturbationRecord {
        let mapping = try names(for: model)
        var rng = SplitMix64.derived(seed: seed, label: "order")
        let order = SeededRandom.permutation(model.entries.count, &rng)
        model.entries = order.map { index in
            var entry = model.entries[index]
            entry.tensor.name = mapping[entry.name]!
            return entry
        }
        let family = model.spec?.family.rawValue ?? "unknown"
        model.spec = nil
        model.architectureNote = "the tensors were renamed to the \(scheme.rawValue) scheme"
        return PerturbationRecord(
            attack: step.name, functionPreserving: true,
            summary: "renamed \(mapping.count) tensors to the \(scheme.rawValue) scheme and shuffled their order (seed \(seed))",
            parameters: ["scheme": .string(scheme.rawValue), "seed": .integer(Int(truncatingIfNeeded: seed)),
                         "source_family": .string(family), "names": .map(mapping)])
    }
}
