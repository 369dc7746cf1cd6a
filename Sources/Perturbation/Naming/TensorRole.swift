import SyntheticModels

/// What a tensor does in a Hugging Face Llama or BERT model, read from its canonical name.
///
/// Attacks that move whole dimensions (permutations, rescaling, rotation) transform each
/// tensor by its role, and refuse tensors without one rather than break the model.
enum TensorRole: Hashable, Sendable {
    /// A weight matrix or its bias.
    enum Part: Hashable, Sendable {
        case weight, bias
    }

    case tokenEmbedding
    case positionEmbedding
    case tokenTypeEmbedding
    /// BERT `embeddings.LayerNorm`.
    case embeddingNorm(Part)
    /// Llama `input_layernorm`.
    case attentionNorm
    case query(Part)
    case key(Part)
    case value(Part)
    /// Llama `o_proj`, BERT `attention.output.dense`.
    case attentionOutput(Part)
    /// BERT `attention.output.LayerNorm`.
    case attentionOutputNorm(Part)
    /// Llama `post_attention_layernorm`.
    case mlpNorm
    /// Llama `mlp.gate_proj`.
    case gate
    /// Llama `mlp.up_proj`.
    case up
    /// Llama `mlp.down_proj`.
    case down
    /// BERT `intermediate.dense`.
    case intermediate(Part)
    /// BERT `output.dense`.
    case output(Part)
    /// BERT `output.LayerNorm`.
    case outputNorm(Part)
    /// Llama `model.norm`.
    case finalNorm
    /// Llama `lm_head`.
    case languageModelHead
    /// BERT `pooler.dense` (reads the first token's final hidden state).
    case pooler(Part)
    /// No known role.
    case unknown

    /// The role and layer index of `name` in `family`'s naming.
    static func classify(_ name: String, family: TransformerSpec.Family) -> (role: TensorRole, layer: Int?) {
        switch family {
        case .llama: classifyLlama(name)
        case .bert: classifyBERT(name)
        }
    }

    private static func part(_ suffix: Substring) -> Part? {
        switch suffix {
        case "weight": .weight
        case "bias": .bias
        default: nil
        }
    }

    /// Splits `PREFIX.N.rest` into `(N, rest)`.
    static func splitLayer(_ name: String, prefix: String) -> (layer: Int, rest: Substring)? {
        guard name.hasPrefix(prefix) else { return nil }
        let tail = name.dropFirst(prefix.count)
        guard let dot = tail.firstIndex(of: "."), let layer = Int(tail[..<dot]), layer >= 0 else { return nil }
        return (layer, tail[tail.index(after: dot)...])
    }

    private static func classifyLlama(_ name: String) -> (role: TensorRole, layer: Int?) {
        switch name {
        case "model.embed_tokens.weight": return (.tokenEmbedding, nil)
        case "model.norm.weight": return (.finalNorm, nil)
        case "lm_head.weight": return (.languageModelHead, nil)
        default: break
        }
        guard let (layer, rest) = splitLayer(name, prefix: "model.layers.") else { return (.unknown, nil) }
        let role: TensorRole
        switch rest {
        case "input_layernorm.weight": role = .attentionNorm
        case "post_attention_layernorm.weight": role = .mlpNorm
        case "self_attn.q_proj.weight": role = .query(.weight)
        case "self_attn.k_proj.weight": role = .key(.weight)
        case "self_attn.v_proj.weight": role = .value(.weight)
        case "self_attn.o_proj.weight": role = .attentionOutput(.weight)
        case "mlp.gate_proj.weight": role = .gate
        case "mlp.up_proj.weight": role = .up
        case "mlp.down_proj.weight": role = .down
        default: role = .unknown
        }
        return (role, layer)
    }

    private static func classifyBERT(_ name: String) -> (role: TensorRole, layer: Int?) {
        let pieces = name.split(separator: ".")
        guard let last = pieces.last, let part = part(last) else { return (.unknown, nil) }
        let stem = pieces.dropLast().joined(separator: ".")
        switch stem {
        case "embeddings.word_embeddings": return (part == .weight ? .tokenEmbedding : .unknown, nil)
        case "embeddings.position_embeddings": return (part == .weight ? .positionEmbedding : .unknown, nil)
        case "embeddings.token_type_embeddings": return (part == .weight ? .tokenTypeEmbedding : .unknown, nil)
        case "embeddings.LayerNorm": return (.embeddingNorm(part), nil)
        case "pooler.dense": return (.pooler(part), nil)
        default: break
        }
        guard let (layer, rest) = splitLayer(stem + ".", prefix: "encoder.layer.") else { return (.unknown, nil) }
        let role: TensorRole
        switch rest {
        case "attention.self.query.": role = .query(part)
        case "attention.self.key.": role = .key(part)
        case "attention.self.value.": role = .value(part)
        case "attention.output.dense.": role = .attentionOutput(part)
        case "attention.output.LayerNorm.": role = .attentionOutputNorm(part)
        case "intermediate.dense.": role = .intermediate(part)
        case "output.dense.": role = .output(part)
        case "output.LayerNorm.": role = .outputNorm(part)
        default: role = .unknown
        }
        return (role, layer)
    }

    /// How a tensor with this role meets the residual stream (hidden dimension).
    enum ResidualAxis {
        /// Columns index the hidden dimension (the tensor reads from the stream, or is an embedding table).
        case columns
        /// Rows index the hidden dimension (the tensor writes into the stream).
        case rows
        /// A vector over the hidden dimension (norm parameters, biases added to the stream).
        case vector
        /// Does not touch the hidden dimension.
        case none
    }

    var residualAxis: ResidualAxis {
        switch self {
        case .tokenEmbedding, .positionEmbedding, .tokenTypeEmbedding, .languageModelHead, .gate, .up,
             .query(.weight), .key(.weight), .value(.weight), .intermediate(.weight), .pooler(.weight):
            .columns
        case .attentionOutput(.weight), .down, .output(.weight):
            .rows
        case .embeddingNorm, .attentionNorm, .mlpNorm, .finalNorm, .attentionOutputNorm, .outputNorm,
             .attentionOutput(.bias), .output(.bias):
            .vector
        case .query(.bias), .key(.bias), .value(.bias), .intermediate(.bias), .pooler(.bias):
            .none
        case .unknown:
            .none
        }
    }
}
