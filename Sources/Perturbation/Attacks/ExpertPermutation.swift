import Checkpoints
import SyntheticModels

/// Renumbers the experts of every mixture-of-experts layer and permutes the router's rows (and
/// a per-expert router bias) to match. Function-preserving: each token is routed to the same
/// experts, now under other numbers. Works on per-expert tensors (`…experts.E.w1.weight`) and on
/// stacks of experts (rank-3, expert first), found by `ExpertLayout`; the rest of the model is
/// untouched, so no architecture needs to be recognised.
///
/// Layer `l` uses the permutation `SeededRandom.permutation(E, SplitMix64.derived(seed: seed, label: "experts l"))`:
/// new expert i is old expert p[i].
public struct ExpertPermutation: Perturbation {
    public var seed: UInt64
    public var step: PerturbationStep { .permuteExperts }

    public init(seed: UInt64) {
        self.seed = seed
    }

    /// The permutation applied to layer `layer` with `experts` experts.
    public func permutation(layer: Int, experts: Int) -> [Int] {
        var rng = SplitMix64.derived(seed: seed, label: "experts \(layer)")
        return SeededRandom.permutation(experts, &rng)
    }

    public func apply(to model: inout CheckpointModel) throws(PerturbationError) -> PerturbationRecord {
        let attack = step.name
        // Per layer: the per-expert tensors by group (expert → entry), the stacks, the routers.
        struct Layer {
            var groups: [String: [Int: Int]] = [:]
            var stacks: [Int] = []
            var routers: [Int] = []
        }
        var layers: [Int: Layer] = [:]
        for (index, entry) in model.entries.enumerated() where entry.isFloatingPoint {
            let name = entry.name, shape = entry.tensor.shape
            guard let layer = ExpertLayout.layerIndex(name: name) else { continue }
            if ExpertLayout.stackedExpertCount(name: name, shape: shape) != nil {
                layers[layer, default: Layer()].stacks.append(index)
            } else if shape.count == 2, let group = ExpertLayout.groupName(name: name), let expert = ExpertLayout.expertIndex(name: name) {
                layers[layer, default: Layer()].groups[group, default: [:]][expert] = index
            } else if ExpertLayout.isRouter(name: name) {
                layers[layer, default: Layer()].routers.append(index)
            }
        }
        layers = layers.filter { !$0.value.groups.isEmpty || !$0.value.stacks.isEmpty }
        guard !layers.isEmpty else {
            throw PerturbationError(attack: attack, rule: .notApplicable(reason: "the model has no mixture-of-experts layers (no per-expert tensors such as '…experts.0.w1.weight' and no expert stacks)"))
        }
        var expertCounts: [Int] = []
        for layerIndex in layers.keys.sorted() {
            let layer = layers[layerIndex]!
            let experts = layer.groups.values.map(\.count).first ?? model.entries[layer.stacks[0]].tensor.shape[0]
            expertCounts.append(experts)
            let p = permutation(layer: layerIndex, experts: experts)
            for (group, members) in layer.groups.sorted(by: { $0.key < $1.key }) {
                guard members.count == experts, Set(members.keys) == Set(0..<experts) else {
                    throw PerturbationError(attack: attack, tensor: group, rule: .invalidArgument(
                        "layer \(layerIndex) needs experts 0..<\(experts) in every group, this one has \(members.keys.sorted())"))
                }
                let old = (0..<experts).map { model.entries[members[$0]!].tensor }
                for expert in 1..<experts where old[expert].shape != old[0].shape {
                    throw PerturbationError(attack: attack, tensor: old[expert].name, rule: .shapeMismatch(expected: old[0].shape, actual: old[expert].shape))
                }
                for expert in 0..<experts { model.entries[members[expert]!].tensor.values = old[p[expert]].values }
            }
            for index in layer.stacks {
                let shape = model.entries[index].tensor.shape
                guard shape[0] == experts else {
                    throw PerturbationError(attack: attack, tensor: model.entries[index].name, rule: .shapeMismatch(expected: [experts] + shape.dropFirst(), actual: shape))
                }
                model.entries[index].tensor.values = TensorMath.permutingRows(model.entries[index].tensor.values, columns: shape[1] * shape[2], by: p)
            }
            // Without the router's rows following them, the experts would get other tokens.
            guard !layer.routers.isEmpty else {
                throw PerturbationError(attack: attack, rule: .notApplicable(reason: "layer \(layerIndex) has \(experts) experts but no router ('…gate.weight', 'ffn_gate_inp', '…router…')"))
            }
            for index in layer.routers {
                let shape = model.entries[index].tensor.shape
                guard shape.first == experts, shape.count <= 2 else {
                    throw PerturbationError(attack: attack, tensor: model.entries[index].name, rule: .shapeMismatch(expected: [experts] + shape.dropFirst(), actual: shape))
                }
                model.entries[index].tensor.values = TensorMath.permutingRows(model.entries[index].tensor.values, columns: shape.count == 2 ? shape[1] : 1, by: p)
            }
        }
        return PerturbationRecord(
            attack: attack, functionPreserving: true,
            summary: "renumbered the experts of \(layers.count) mixture-of-experts layers (\(Set(expertCounts).sorted().map(String.init).joined(separator: "/")) experts) with their routers' rows (seed \(seed))",
            parameters: ["seed": .integer(Int(truncatingIfNeeded: seed)), "layers": .integer(layers.count), "experts": .integer(expertCounts.max() ?? 0)])
    }
}
