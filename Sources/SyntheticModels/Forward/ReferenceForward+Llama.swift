// MARK: - Llama

extension ReferenceForward {
    /// Logits (tokens × vocab) of a Llama-family model on `tokens`, with a causal mask.
    public static func llamaLogits(_ model: ModelWeights, tokens: [Int], options: ForwardOptions = ForwardOptions()) throws(ForwardError) -> Activations {
        let spec = model.spec
        try validateHeads(spec)
        guard spec.headDimension % 2 == 0 else {
            throw ForwardError(rule: .invalidSpec("RoPE needs an even head dimension, got \(spec.headDimension)"))
        }
        let weights = TensorLookup(model: model)
        let d = spec.hiddenSize, kv = spec.keyValueHeadCount * spec.headDimension, f = spec.intermediateSize
        let embedding = try weights.matrix("model.embed_tokens.weight", spec.vocabSize, d)
        var hidden = try embed(tokens, table: embedding, vocabularySize: spec.vocabSize)

        for layer in 0..<spec.layerCount {
            let p = "model.layers.\(layer)."
            let attentionInput = DenseMath.rmsNorm(hidden, weight: try weights.vector(p + "input_layernorm.weight", d), epsilon: options.rmsNormEpsilon)
            var queries = DenseMath.linear(attentionInput, try weights.matrix(p + "self_attn.q_proj.weight", d, d))
            var keys = DenseMath.linear(attentionInput, try weights.matrix(p + "self_attn.k_proj.weight", kv, d))
            let values = DenseMath.linear(attentionInput, try weights.matrix(p + "self_attn.v_proj.weight", kv, d))
            queries = DenseMath.rotary(queries, heads: spec.headCount, headDimension: spec.headDimension, base: options.ropeBase)
            keys = DenseMath.rotary(keys, heads: spec.keyValueHeadCount, headDimension: spec.headDimension, base: options.ropeBase)
            let context = DenseMath.attention(
                queries: queries, keys: keys, values: values, heads: spec.headCount,
                keyValueHeads: spec.keyValueHeadCount, headDimension: spec.headDimension, causal: true)
            hidden = DenseMath.add(hidden, DenseMath.linear(context, try weights.matrix(p + "self_attn.o_proj.weight", d, d)))

            let mlpInput = DenseMath.rmsNorm(hidden, weight: try weights.vector(p + "post_attention_layernorm.weight", d), epsilon: options.rmsNormEpsilon)
            var gate = DenseMath.linear(mlpInput, try weights.matrix(p + "mlp.gate_proj.weight", f, d))
            let up = DenseMath.linear(mlpInput, try weights.matrix(p + "mlp.up_proj.weight", f, d))
            for index in gate.values.indices { gate.values[index] = DenseMath.silu(gate.values[index]) * up.values[index] }
            hidden = DenseMath.add(hidden, DenseMath.linear(gate, try weights.matrix(p + "mlp.down_proj.weight", d, f)))
        }

        let normed = DenseMath.rmsNorm(hidden, weight: try weights.vector("model.norm.weight", d), epsilon: options.rmsNormEpsilon)
        let head = spec.tiedEmbeddings ? embedding : try weights.matrix("lm_head.weight", spec.vocabSize, d)
        return DenseMath.linear(normed, head)
    }

    static func validateHeads(_ spec: TransformerSpec) throws(ForwardError) {
        guard spec.headCount > 0, spec.hiddenSize % spec.headCount == 0 else {
            throw ForwardError(rule: .invalidSpec("\(spec.headCount) heads do not divide the hidden size \(spec.hiddenSize)"))
        }
        guard spec.keyValueHeadCount > 0, spec.headCount % spec.keyValueHeadCount == 0 else {
            throw ForwardError(rule: .invalidSpec("\(spec.keyValueHeadCount) key/value heads do not divide \(spec.headCount) query heads"))
        }
    }

    static func embed(_ tokens: [Int], table: ModelWeights.Tensor, vocabularySize: Int) throws(ForwardError) -> Activations {
        let d = table.shape[1]
        var x = Activations(zeros: tokens.count, d)
        for (t, token) in tokens.enumerated() {
            guard token >= 0, token < vocabularySize else { throw ForwardError(rule: .tokenOutOfRange(token: token, vocabularySize: vocabularySize)) }
            for c in 0..<d { x[t, c] = Double(table.values[token * d + c]) }
        }
        return x
    }
}
