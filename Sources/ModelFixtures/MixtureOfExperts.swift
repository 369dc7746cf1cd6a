import SyntheticModels

// MARK: - Mixture-of-experts models

extension Fixtures {
    /// `dense` (Llama naming) with every MLP replaced by `experts` experts in Mixtral's naming
    /// (`model.layers.N.block_sparse_moe.experts.E.w1/w2/w3.weight`, gate/down/up) and a router
    /// (`…block_sparse_moe.gate.weight`, experts × hidden). Each expert is drawn like the dense
    /// matrix it replaces (same shape and spread), independently per expert.
    public static func mixtureOfExperts(_ dense: ModelWeights, experts: Int, seed: UInt64) -> ModelWeights {
        let roles = [("mlp.gate_proj.weight", "w1"), ("mlp.up_proj.weight", "w3"), ("mlp.down_proj.weight", "w2")]
        var tensors: [ModelWeights.Tensor] = []
        for tensor in dense.tensors {
            guard let role = roles.first(where: { tensor.name.hasSuffix($0.0) }) else {
                tensors.append(tensor)
                continue
            }
            let prefix = String(tensor.name.dropLast(role.0.count)) + "block_sparse_moe."
            let spread = (tensor.values.reduce(Float(0)) { $0 + $1 * $1 } / Float(tensor.values.count)).squareRoot()
            if role.1 == "w1" {
                var rng = SplitMix64.derived(seed: seed, label: prefix + "gate")
                let hidden = tensor.shape[1]
                tensors.append(.init(name: prefix + "gate.weight", shape: [experts, hidden],
                                     values: (0..<(experts * hidden)).map { _ in rng.nextGaussian() * 0.02 }))
            }
            for expert in 0..<experts {
                let name = prefix + "experts.\(expert).\(role.1).weight"
                var rng = SplitMix64.derived(seed: seed, label: name)
                tensors.append(.init(name: name, shape: tensor.shape, values: tensor.values.indices.map { _ in rng.nextGaussian() * spread }))
            }
        }
        return ModelWeights(spec: dense.spec, tensors: tensors)
    }

    /// `model` (Mixtral naming) with each layer's experts stacked into rank-3 tensors
    /// (`…block_sparse_moe.experts.w1.weight`, experts × rows × cols), as Llama 4 and gpt-oss
    /// store them.
    public static func stackExperts(_ model: ModelWeights, experts: Int) -> ModelWeights {
        var tensors: [ModelWeights.Tensor] = []
        for tensor in model.tensors {
            guard let range = tensor.name.range(of: ".experts.0.") else {
                if !tensor.name.contains(".experts.") { tensors.append(tensor) }
                continue
            }
            let suffix = String(tensor.name[range.upperBound...])
            let prefix = String(tensor.name[..<range.lowerBound]) + ".experts."
            let members = (0..<experts).map { model["\(prefix)\($0).\(suffix)"]! }
            tensors.append(.init(name: prefix + suffix, shape: [experts] + tensor.shape, values: members.flatMap(\.values)))
        }
        return ModelWeights(spec: model.spec, tensors: tensors)
    }
}

extension TestAttacks {
    /// `model` (Mixtral naming) with its experts renumbered by a seeded permutation and each
    /// router's rows permuted to match: the same function under other expert numbers.
    public static func permuteExperts(_ model: ModelWeights, experts: Int, seed: UInt64) -> ModelWeights {
        var rng = SplitMix64(seed: seed)
        var permutation = Array(0..<experts)
        for index in stride(from: experts - 1, to: 0, by: -1) {
            permutation.swapAt(index, Int(rng.next() % UInt64(index + 1)))
        }
        var result = model
        for (index, tensor) in model.tensors.enumerated() {
            if tensor.name.hasSuffix("block_sparse_moe.gate.weight") {
                let width = tensor.shape[1]
                var values = tensor.values
                for expert in 0..<experts {
                    let target = permutation[expert] * width
                    values.replaceSubrange(target..<target + width, with: tensor.values[(expert * width)..<((expert + 1) * width)])
                }
                result.tensors[index].values = values
            } else if let range = tensor.name.range(of: ".experts."), let dot = tensor.name[range.upperBound...].firstIndex(of: "."),
                      let expert = Int(tensor.name[range.upperBound..<dot]) {
                result.tensors[index].name = String(tensor.name[..<range.upperBound]) + "\(permutation[expert])" + String(tensor.name[dot...])
            }
        }
        return result
    }
}
