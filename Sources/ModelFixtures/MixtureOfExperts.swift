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
