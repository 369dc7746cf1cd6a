import SyntheticModels

// MARK: - Multi-head latent attention (DeepSeek-V2/V3)

extension Fixtures {
    /// Rotary key width of `latentAttention(_:)`'s models.
    public static let latentRotaryWidth = 8

    /// `model` (Llama naming, as many key/value heads as query heads) with each layer's
    /// attention in DeepSeek-V2's latent form, made of its own values so that a fine-tune of
    /// the model changes them alike: with H heads, hidden size d, head width n = v = d/H, latent
    /// rank L = d/2 and rotary width r = 8 — `kv_b_proj` `[H·2n, L]` holds `k_proj`'s values,
    /// `kv_a_proj_with_mqa` `[L + r, d]` the first rows of `v_proj`, `q_proj` `[H·(n + r), d]`
    /// `q_proj`'s followed by the last H·r rows of `v_proj`, `kv_a_layernorm` `[L]` the first
    /// values of the layer's input norm. `k_proj` and `v_proj` are left out.
    public static func latentAttention(_ model: ModelWeights) -> ModelWeights {
        let hidden = model.spec.hiddenSize, heads = model.spec.headCount, rotary = latentRotaryWidth
        precondition(model.spec.keyValueHeadCount == heads && hidden % (2 * heads) == 0 && hidden / 2 + rotary + heads * rotary <= hidden,
                     "latentAttention: needs as many key/value heads as heads and room in v_proj")
        let latent = hidden / 2
        var tensors: [ModelWeights.Tensor] = []
        for tensor in model.tensors where !tensor.name.hasSuffix("self_attn.k_proj.weight") && !tensor.name.hasSuffix("self_attn.v_proj.weight") {
            guard tensor.name.hasSuffix("self_attn.q_proj.weight") else {
                tensors.append(tensor)
                continue
            }
            let prefix = String(tensor.name.dropLast("q_proj.weight".count))
            let layer = String(prefix.dropLast("self_attn.".count))
            let key = model[prefix + "k_proj.weight"]!, value = model[prefix + "v_proj.weight"]!
            let norm = model[layer + "input_layernorm.weight"]!
            tensors.append(.init(name: tensor.name, shape: [tensor.shape[0] + heads * rotary, hidden],
                                 values: tensor.values + value.values.suffix(heads * rotary * hidden)))
            tensors.append(.init(name: prefix + "kv_a_proj_with_mqa.weight", shape: [latent + rotary, hidden],
                                 values: Array(value.values.prefix((latent + rotary) * hidden))))
            tensors.append(.init(name: prefix + "kv_a_layernorm.weight", shape: [latent], values: Array(norm.values.prefix(latent))))
            tensors.append(.init(name: prefix + "kv_b_proj.weight", shape: [key.values.count / latent, latent], values: key.values))
        }
        return ModelWeights(spec: model.spec, tensors: tensors)
    }
}
