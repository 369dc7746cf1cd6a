// MARK: - Mixture-of-experts models

extension ModelGenerator {
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
}
