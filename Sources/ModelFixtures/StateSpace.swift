import Foundation
import SyntheticModels

// MARK: - State-space (Mamba-2) layers

extension Fixtures {
    /// Heads of `stateSpace(_:)`'s mixers: the length of each layer's `A_log`, `D` and `dt_bias`.
    public static let stateSpaceHeads = 16

    /// `model` (Llama naming) recast as a Mamba-2 checkpoint under `backbone.` — Hugging Face's
    /// `Mamba2ForCausalLM` names — made of its own values, so a fine-tune of the model changes
    /// them alike. Per layer: `norm` ← the input norm, `mixer.in_proj` ← `up_proj`,
    /// `mixer.out_proj` ← `down_proj`, `mixer.conv1d.weight` `[d, 1, 4]` ← the first 4·d values
    /// of `o_proj` and its bias ← the post-attention norm, `mixer.norm` `[I]` ← 1 + the first I
    /// values of `gate_proj`; the 16 heads' `A_log` ← 1.5 + 10 × the first values of `q_proj`
    /// (about log 1 to log 16, as Mamba-2 initialises them), `D` ← 1 + 10 × `k_proj`'s, `dt_bias`
    /// ← 10 × `v_proj`'s. The attention and gate matrices are left out.
    public static func stateSpace(_ model: ModelWeights) -> ModelWeights {
        let hidden = model.spec.hiddenSize, intermediate = model.spec.intermediateSize, heads = stateSpaceHeads
        var tensors: [ModelWeights.Tensor] = []
        func scaled(_ values: [Float], _ count: Int, times factor: Float, plus offset: Float) -> [Float] {
            values.prefix(count).map { offset + factor * $0 }
        }
        for tensor in model.tensors {
            switch tensor.name {
            case "model.embed_tokens.weight": tensors.append(.init(name: "backbone.embeddings.weight", shape: tensor.shape, values: tensor.values))
            case "model.norm.weight": tensors.append(.init(name: "backbone.norm_f.weight", shape: tensor.shape, values: tensor.values))
            case "lm_head.weight": tensors.append(tensor)
            default:
                guard tensor.name.hasSuffix(".input_layernorm.weight") else { continue }
                let layer = String(tensor.name.dropLast("input_layernorm.weight".count))
                let mixer = "backbone." + layer.dropFirst("model.".count) + "mixer."
                func source(_ name: String) -> [Float] { model[layer + name]!.values }
                tensors += [
                    .init(name: "backbone." + layer.dropFirst("model.".count) + "norm.weight", shape: [hidden], values: tensor.values),
                    .init(name: mixer + "in_proj.weight", shape: [intermediate, hidden], values: source("mlp.up_proj.weight")),
                    .init(name: mixer + "conv1d.weight", shape: [hidden, 1, 4], values: Array(source("self_attn.o_proj.weight").prefix(4 * hidden))),
                    .init(name: mixer + "conv1d.bias", shape: [hidden], values: source("post_attention_layernorm.weight")),
                    .init(name: mixer + "dt_bias", shape: [heads], values: scaled(source("self_attn.v_proj.weight"), heads, times: 10, plus: 0)),
                    .init(name: mixer + "A_log", shape: [heads], values: scaled(source("self_attn.q_proj.weight"), heads, times: 10, plus: 1.5)),
                    .init(name: mixer + "D", shape: [heads], values: scaled(source("self_attn.k_proj.weight"), heads, times: 10, plus: 1)),
                    .init(name: mixer + "norm.weight", shape: [intermediate], values: scaled(source("mlp.gate_proj.weight"), intermediate, times: 1, plus: 1)),
                    .init(name: mixer + "out_proj.weight", shape: [hidden, intermediate], values: source("mlp.down_proj.weight")),
                ]
            }
        }
        return ModelWeights(spec: model.spec, tensors: tensors)
    }
}
