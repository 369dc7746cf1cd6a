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
