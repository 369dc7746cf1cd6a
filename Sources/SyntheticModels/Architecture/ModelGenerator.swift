/// Generates model-like weights for a `TransformerSpec` from a seed.
///
/// Initialisation follows common recipes: matrices N(0, 0.02²) (output projections
/// scaled down by √(2·layers)), norm weights 1, biases 0, embeddings N(0, 0.02²).
/// Two different seeds give independent models with identical architecture and init
/// distribution — the honest null case the detector must not flag.
public enum ModelGenerator {
    public static func generate(_ spec: TransformerSpec, seed: UInt64) -> ModelWeights {
        var tensors: [ModelWeights.Tensor] = []
        let d = spec.hiddenSize
        let kv = spec.keyValueHeadCount * spec.headDimension
        let outputScale: Float = 0.02 / Float(2 * spec.layerCount).squareRoot()

        func matrix(_ name: String, _ rows: Int, _ cols: Int, std: Float = 0.02) -> ModelWeights.Tensor {
            var rng = SplitMix64.derived(seed: seed, label: name)
            return .init(name: name, shape: [rows, cols], values: (0..<(rows * cols)).map { _ in rng.nextGaussian() * std })
        }
        func constant(_ name: String, _ count: Int, _ value: Float) -> ModelWeights.Tensor {
            .init(name: name, shape: [count], values: Array(repeating: value, count: count))
        }

        switch spec.family {
        case .llama:
            tensors.append(matrix("model.embed_tokens.weight", spec.vocabSize, d))
            for layer in 0..<spec.layerCount {
                let p = "model.layers.\(layer)."
                tensors.append(constant(p + "input_layernorm.weight", d, 1))
                tensors.append(matrix(p + "self_attn.q_proj.weight", d, d))
                tensors.append(matrix(p + "self_attn.k_proj.weight", kv, d))
                tensors.append(matrix(p + "self_attn.v_proj.weight", kv, d))
                tensors.append(matrix(p + "self_attn.o_proj.weight", d, d, std: outputScale))
                tensors.append(constant(p + "post_attention_layernorm.weight", d, 1))
                tensors.append(matrix(p + "mlp.gate_proj.weight", spec.intermediateSize, d))
                tensors.append(matrix(p + "mlp.up_proj.weight", spec.intermediateSize, d))
                tensors.append(matrix(p + "mlp.down_proj.weight", d, spec.intermediateSize, std: outputScale))
            }
            tensors.append(constant("model.norm.weight", d, 1))
            if !spec.tiedEmbeddings {
                tensors.append(matrix("lm_head.weight", spec.vocabSize, d))
            }
        case .bert:
            tensors.append(matrix("embeddings.word_embeddings.weight", spec.vocabSize, d))
            tensors.append(matrix("embeddings.position_embeddings.weight", spec.maxPositions, d))
            tensors.append(matrix("embeddings.token_type_embeddings.weight", 2, d))
            tensors.append(constant("embeddings.LayerNorm.weight", d, 1))
            tensors.append(constant("embeddings.LayerNorm.bias", d, 0))
            for layer in 0..<spec.layerCount {
                let p = "encoder.layer.\(layer)."
                for part in ["query", "key", "value"] {
                    tensors.append(matrix(p + "attention.self.\(part).weight", d, d))
                    tensors.append(constant(p + "attention.self.\(part).bias", d, 0))
                }
                tensors.append(matrix(p + "attention.output.dense.weight", d, d, std: outputScale))
                tensors.append(constant(p + "attention.output.dense.bias", d, 0))
                tensors.append(constant(p + "attention.output.LayerNorm.weight", d, 1))
                tensors.append(constant(p + "attention.output.LayerNorm.bias", d, 0))
                tensors.append(matrix(p + "intermediate.dense.weight", spec.intermediateSize, d))
                tensors.append(constant(p + "intermediate.dense.bias", spec.intermediateSize, 0))
                tensors.append(matrix(p + "output.dense.weight", d, spec.intermediateSize, std: outputScale))
                tensors.append(constant(p + "output.dense.bias", d, 0))
                tensors.append(constant(p + "output.LayerNorm.weight", d, 1))
                tensors.append(constant(p + "output.LayerNorm.bias", d, 0))
            }
        }
        return ModelWeights(spec: spec, tensors: tensors)
    }
}
