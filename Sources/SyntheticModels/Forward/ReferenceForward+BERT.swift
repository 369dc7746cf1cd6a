// MARK: - BERT

extension ReferenceForward {
    /// Final hidden states (tokens × hidden) of a BERT-family encoder on `tokens`, attending
    /// in both directions; `tokenTypes` default to 0.
    public static func bertHiddenStates(
        _ model: ModelWeights, tokens: [Int], tokenTypes: [Int]? = nil, options: ForwardOptions = ForwardOptions()
    ) throws(ForwardError) -> Activations {
        let spec = model.spec
        try validateHeads(spec)
        let weights = TensorLookup(model: model)
        let d = spec.hiddenSize, f = spec.intermediateSize
        guard tokens.count <= spec.maxPositions else {
            throw ForwardError(rule: .sequenceTooLong(length: tokens.count, maximum: spec.maxPositions))
        }
        let types = tokenTypes ?? Array(repeating: 0, count: tokens.count)
        guard types.count == tokens.count else {
            throw ForwardError(rule: .invalidTokenTypes("\(types.count) types for \(tokens.count) tokens"))
        }
        guard let typeTable = model["embeddings.token_type_embeddings.weight"] else {
            throw ForwardError(tensor: "embeddings.token_type_embeddings.weight", rule: .missingTensor)
        }
        guard typeTable.shape.count == 2, typeTable.shape[1] == d, typeTable.shape[0] > 0 else {
            throw ForwardError(tensor: typeTable.name, rule: .wrongShape(expected: [max(typeTable.shape.first ?? 2, 1), d], actual: typeTable.shape))
        }
        if let bad = types.first(where: { $0 < 0 || $0 >= typeTable.shape[0] }) {
            throw ForwardError(rule: .invalidTokenTypes("type id \(bad) is outside 0..<\(typeTable.shape[0])"))
        }

        var hidden = try embed(tokens, table: try weights.matrix("embeddings.word_embeddings.weight", spec.vocabSize, d), vocabularySize: spec.vocabSize)
        let positions = try weights.matrix("embeddings.position_embeddings.weight", spec.maxPositions, d)
        for t in 0..<tokens.count {
            for c in 0..<d {
                hidden[t, c] += Double(positions.values[t * d + c]) + Double(typeTable.values[types[t] * d + c])
            }
        }
        hidden = DenseMath.layerNorm(
            hidden, weight: try weights.vector("embeddings.LayerNorm.weight", d), bias: try weights.vector("embeddings.LayerNorm.bias", d),
            epsilon: options.layerNormEpsilon)

        for layer in 0..<spec.layerCount {
            let p = "encoder.layer.\(layer)."
            func dense(_ name: String, _ rows: Int, _ columns: Int, _ input: Activations) throws(ForwardError) -> Activations {
                DenseMath.linear(input, try weights.matrix(p + name + ".weight", rows, columns), bias: try weights.vector(p + name + ".bias", rows))
            }
            func norm(_ name: String, _ input: Activations) throws(ForwardError) -> Activations {
                DenseMath.layerNorm(
                    input, weight: try weights.vector(p + name + ".weight", d), bias: try weights.vector(p + name + ".bias", d),
                    epsilon: options.layerNormEpsilon)
            }
            let queries = try dense("attention.self.query", d, d, hidden)
            let keys = try dense("attention.self.key", d, d, hidden)
            let values = try dense("attention.self.value", d, d, hidden)
            let context = DenseMath.attention(
                queries: queries, keys: keys, values: values, heads: spec.headCount,
                keyValueHeads: spec.headCount, headDimension: spec.headDimension, causal: false)
            hidden = try norm("attention.output.LayerNorm", DenseMath.add(hidden, try dense("attention.output.dense", d, d, context)))

            var intermediate = try dense("intermediate.dense", f, d, hidden)
            for index in intermediate.values.indices { intermediate.values[index] = DenseMath.gelu(intermediate.values[index]) }
            hidden = try norm("output.LayerNorm", DenseMath.add(hidden, try dense("output.dense", d, f, intermediate)))
        }
        return hidden
    }
}
