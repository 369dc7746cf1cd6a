import SyntheticModels

/// Structural edits on Llama-family `ModelWeights`, for tests.
public enum StructuralEdits {
    /// Removes the given layers and renumbers the rest.
    public static func dropLayers(_ model: ModelWeights, _ drop: Set<Int>) -> ModelWeights {
        var result = model
        var kept: [ModelWeights.Tensor] = []
        let remaining = (0..<model.spec.layerCount).filter { !drop.contains($0) }
        let renumber = Dictionary(uniqueKeysWithValues: remaining.enumerated().map { ($1, $0) })
        for tensor in model.tensors {
            if let layer = layerIndex(tensor.name) {
                guard let new = renumber[layer] else { continue }
                var renamed = tensor
                renamed.name = tensor.name.replacingOccurrences(of: "layers.\(layer).", with: "layers.\(new).")
                kept.append(renamed)
            } else {
                kept.append(tensor)
            }
        }
        result.tensors = kept
        result.spec.layerCount = remaining.count
        return result
    }

    /// Replaces layers `layers` of `model` with those of `donor`.
    public static func graft(_ model: ModelWeights, from donor: ModelWeights, layers: Set<Int>) -> ModelWeights {
        var result = model
        for index in result.tensors.indices {
            if let layer = layerIndex(result.tensors[index].name), layers.contains(layer) {
                result.tensors[index] = donor[result.tensors[index].name]!
            }
        }
        return result
    }

    /// a·A + (1−a)·B, tensor by tensor.
    public static func merge(_ a: ModelWeights, _ b: ModelWeights, weight: Float) -> ModelWeights {
        var result = a
        for index in result.tensors.indices {
            let other = b[result.tensors[index].name]!.values
            result.tensors[index].values = zip(result.tensors[index].values, other).map { weight * $0 + (1 - weight) * $1 }
        }
        return result
    }

    /// Appends `rows` new rows to the embedding and the head.
    public static func extendVocabulary(_ model: ModelWeights, rows: Int, seed: UInt64) -> ModelWeights {
        var result = model
        var rng = SplitMix64(seed: seed)
        for name in ["model.embed_tokens.weight", "lm_head.weight"] {
            guard var tensor = result[name] else { continue }
            tensor.values += (0..<(rows * tensor.shape[1])).map { _ in 0.02 * rng.nextGaussian() }
            tensor.shape[0] += rows
            result[name] = tensor
        }
        result.spec.vocabSize += rows
        return result
    }

    /// Q×c, K×1/c and V×d, O×1/d in every layer.
    public static func rescaleAttention(_ model: ModelWeights, q: Float = 2.5, v: Float = 0.4) -> ModelWeights {
        var result = model
        for index in result.tensors.indices {
            let name = result.tensors[index].name
            let factor: Float = name.contains("q_proj") ? q : name.contains("k_proj") ? 1 / q : name.contains("v_proj") ? v : name.contains("o_proj") ? 1 / v : 1
            if factor != 1 { result.tensors[index].values = result.tensors[index].values.map { $0 * factor } }
        }
        return result
    }

    public static func layerIndex(_ name: String) -> Int? {
        let parts = name.split(separator: ".")
        guard let position = parts.firstIndex(of: "layers"), position + 1 < parts.count else { return nil }
        return Int(parts[position + 1])
    }
}
