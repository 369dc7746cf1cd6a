import SyntheticModels

// MARK: - Mixture-of-experts models

extension Fixtures {
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

// MARK: - Fused gate/up stacks

extension Fixtures {
    /// `model` (Mixtral naming, per-expert `w1`/`w3`/`w2`) with each layer's experts stored as
    /// transformers stores Llama 4's and gpt-oss's: `…experts.gate_up_proj` `[E, H, 2I]` (input
    /// rows; gate columns then up columns, or interleaved even/odd as gpt-oss does) and
    /// `…experts.down_proj` `[E, I, H]`, under `feed_forward` (Llama 4) or `mlp` (gpt-oss); the
    /// router becomes `…router.weight`.
    public static func fuseGateUp(_ model: ModelWeights, experts: Int, interleaved: Bool) -> ModelWeights {
        var tensors: [ModelWeights.Tensor] = []
        let block = interleaved ? "mlp" : "feed_forward"
        for tensor in model.tensors {
            guard let range = tensor.name.range(of: "block_sparse_moe.") else {
                tensors.append(tensor)
                continue
            }
            let layer = String(tensor.name[..<range.lowerBound]) + block + "."
            let rest = tensor.name[range.upperBound...]
            if rest == "gate.weight" {
                tensors.append(.init(name: layer + "router.weight", shape: tensor.shape, values: tensor.values))
                continue
            }
            // Written once per layer, when expert 0's gate projection comes by.
            guard rest == "experts.0.w1.weight" else { continue }
            let prefix = String(tensor.name[..<range.upperBound]) + "experts."
            let (inner, hidden) = (tensor.shape[0], tensor.shape[1])
            var gateUp: [Float] = [], down: [Float] = []
            for expert in 0..<experts {
                let gate = model["\(prefix)\(expert).w1.weight"]!.values
                let up = model["\(prefix)\(expert).w3.weight"]!.values
                let downProjection = model["\(prefix)\(expert).w2.weight"]!.values  // [H, I]
                for h in 0..<hidden {
                    for j in 0..<(2 * inner) {
                        let (source, i) = interleaved ? (j % 2 == 0 ? gate : up, j / 2) : (j < inner ? gate : up, j % inner)
                        gateUp.append(source[i * hidden + h])
                    }
                }
                for i in 0..<inner {
                    for h in 0..<hidden { down.append(downProjection[h * inner + i]) }
                }
            }
            tensors.append(.init(name: layer + "experts.gate_up_proj", shape: [experts, hidden, 2 * inner], values: gateUp))
            tensors.append(.init(name: layer + "experts.down_proj", shape: [experts, inner, hidden], values: down))
        }
        return ModelWeights(spec: model.spec, tensors: tensors)
    }
}

extension Fixtures {
    /// `model` (Mixtral naming) with each layer's experts stored as Granite MoE stores them:
    /// `…block_sparse_moe.input_linear.weight` `[E, 2I, H]` (each expert's gate rows, then its up
    /// rows), `…block_sparse_moe.output_linear.weight` `[E, H, I]`, and the router as
    /// `…block_sparse_moe.router.layer.weight`.
    public static func graniteExperts(_ model: ModelWeights, experts: Int) -> ModelWeights {
        var tensors: [ModelWeights.Tensor] = []
        for tensor in model.tensors {
            guard let range = tensor.name.range(of: "block_sparse_moe.") else {
                tensors.append(tensor)
                continue
            }
            let prefix = String(tensor.name[..<range.upperBound])
            let rest = tensor.name[range.upperBound...]
            if rest == "gate.weight" {
                tensors.append(.init(name: prefix + "router.layer.weight", shape: tensor.shape, values: tensor.values))
                continue
            }
            // Written once per layer, when expert 0's gate projection comes by.
            guard rest == "experts.0.w1.weight" else { continue }
            let expert = { (index: Int, role: String) in model["\(prefix)experts.\(index).\(role).weight"]!.values }
            let (inner, hidden) = (tensor.shape[0], tensor.shape[1])
            tensors.append(.init(name: prefix + "input_linear.weight", shape: [experts, 2 * inner, hidden],
                                 values: (0..<experts).flatMap { expert($0, "w1") + expert($0, "w3") }))
            tensors.append(.init(name: prefix + "output_linear.weight", shape: [experts, hidden, inner],
                                 values: (0..<experts).flatMap { expert($0, "w2") }))
        }
        return ModelWeights(spec: model.spec, tensors: tensors)
    }
}

extension Fixtures {
    /// `model` with each layer's `mlp.gate_proj` and `mlp.up_proj` fused as Phi-3 stores them:
    /// `mlp.gate_up_proj.weight` `[2I, H]`, gate rows then up rows.
    public static func fuseDenseGateUp(_ model: ModelWeights) -> ModelWeights {
        var tensors: [ModelWeights.Tensor] = []
        for tensor in model.tensors where !tensor.name.hasSuffix("mlp.up_proj.weight") {
            guard tensor.name.hasSuffix("mlp.gate_proj.weight") else {
                tensors.append(tensor)
                continue
            }
            let up = model[tensor.name.replacingOccurrences(of: "gate_proj", with: "up_proj")]!
            tensors.append(.init(name: tensor.name.replacingOccurrences(of: "gate_proj", with: "gate_up_proj"),
                                 shape: [2 * tensor.shape[0], tensor.shape[1]], values: tensor.values + up.values))
        }
        return ModelWeights(spec: model.spec, tensors: tensors)
    }
}
