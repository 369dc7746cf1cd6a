import Checkpoints

/// Assigns a role and layer index to every tensor, by name where the naming scheme is
/// familiar and by shape (relative to the inferred hidden size) where it is not.
public struct RoleInference: Sendable {
    /// Role and layer of one tensor.
    public struct Assignment: Sendable, Hashable, Codable {
        public var role: TensorRole
        public var layer: Int?
        /// `name` or `shape`: how the role was decided.
        public var basis: String
    }

    public let assignments: [Assignment]
    public let structure: ModelStructure

    public init(tensors: [TensorInfo], hints: ModelConfigHints = ModelConfigHints()) {
        let hidden = Self.hiddenSize(tensors, hints: hints)
        var assignments: [Assignment] = tensors.map { tensor in
            let layer = ExpertLayout.layerIndex(name: tensor.name)
            if let role = Self.roleByName(tensor) {
                return Assignment(role: role, layer: layer, basis: "name")
            }
            return Assignment(role: .other, layer: layer, basis: "shape")
        }
        Self.assignByShape(tensors, hidden: hidden, into: &assignments)
        self.assignments = assignments
        structure = Self.structure(tensors, assignments, hidden: hidden, hints: hints)
    }

    // MARK: - Names

    static func normalizedComponents(_ name: String) -> [String] {
        name.lowercased().split(whereSeparator: { $0 == "." || $0 == "/" || $0 == ":" }).map(String.init)
    }

    static func roleByName(_ tensor: TensorInfo) -> TensorRole? {
        if tensor.scaledWeight != nil { return .quantizationScale }
        if tensor.scale == nil && !tensor.dtype.isFloatingPoint && tensor.dtype.unsupportedReason == nil && !tensor.dtype.isBlockQuantized {
            return .buffer
        }
        let name = tensor.name.lowercased()
        let parts = normalizedComponents(tensor.name)
        func has(_ fragment: String) -> Bool { name.contains(fragment) }
        func part(_ value: String) -> Bool { parts.contains(value) }
        let isBias = parts.last == "bias" || parts.last == "b"
        // RoPE frequencies a converter computes from the config (llama.cpp's `rope_freqs` for
        // Llama 3's scaled RoPE; `rotary_emb.inv_freq` in older transformers checkpoints): not weights.
        if tensor.shape.count <= 1, has("rope_freqs") || has("inv_freq") { return .buffer }
        if tensor.shape.count <= 1 {
            if has("norm") || has("ln_") || part("ln") || has("layer_norm") || has("rms") { return isBias ? .bias : .norm }
            if isBias { return .bias }
            return nil
        }
        if has("position_embeddings") || part("wpe") || has("embed_positions") || has("pos_emb") { return .positionEmbedding }
        if has("token_type_embeddings") { return .tokenTypeEmbedding }
        if has("embed_tokens") || has("word_embeddings") || part("wte") || has("tok_embeddings") || has("token_embd")
            || has("embed_in") || part("shared") { return .tokenEmbedding }
        if has("lm_head") || has("embed_out") || has("cls.predictions.decoder") || (parts.first == "output" && parts.count == 2) {
            return .outputHead
        }
        // MoE routers: `…block_sparse_moe.gate`, `…mlp.gate`, llama.cpp's `ffn_gate_inp`, `…router`.
        if ExpertLayout.isRouter(name: tensor.name) { return .mlpRouter }
        if has("qkv") || has("query_key_value") || part("c_attn") || has("wqkv") { return .attentionQKV }
        if has("gate_up") { return .mlpGateUp }
        if has("q_proj") || part("query") || part("wq") || has("attn_q") || part("to_q") || part("q") { return .attentionQuery }
        if has("k_proj") || part("key") || part("wk") || has("attn_k") || part("to_k") || part("k") { return .attentionKey }
        if has("v_proj") || part("value") || part("wv") || has("attn_v") || part("to_v") || part("v") { return .attentionValue }
        if has("o_proj") || has("attention.output.dense") || part("wo") || has("attn_output") || has("out_proj")
            || (has("attn") && part("c_proj")) || (part("attention") && part("dense")) { return .attentionOutput }
        if has("gate_proj") || part("w1") || has("ffn_gate") { return .mlpGate }
        if has("up_proj") || has("intermediate.dense") || part("w3") || has("ffn_up") || part("fc1") || part("c_fc")
            || has("dense_h_to_4h") { return .mlpUp }
        if has("down_proj") || has("output.dense") || part("w2") || has("ffn_down") || part("fc2") || has("dense_4h_to_h")
            || (has("mlp") && part("c_proj")) { return .mlpDown }
        return nil
    }

    // MARK: - Shapes

    /// The residual width: from config, else the most common length of 1-D float tensors,
    /// else the most common dimension of 2-D tensors.
    static func hiddenSize(_ tensors: [TensorInfo], hints: ModelConfigHints) -> Int {
        if let hidden = hints.hiddenSize, hidden > 0 { return hidden }
        var vectorCounts: [Int: Int] = [:]
        var matrixCounts: [Int: Int] = [:]
        for tensor in tensors where (tensor.dtype.isFloatingPoint || tensor.dtype.isBlockQuantized || tensor.scale != nil) && tensor.scaledWeight == nil {
            if tensor.shape.count == 1 { vectorCounts[tensor.shape[0], default: 0] += 1 }
            if tensor.shape.count == 2 { for dimension in Set(tensor.shape) { matrixCounts[dimension, default: 0] += 1 } }
        }
        if let best = matrixCounts.max(by: { ($0.value, $0.key) < ($1.value, $1.key) }),
           vectorCounts[best.key] != nil || vectorCounts.isEmpty {
            return best.key
        }
        return vectorCounts.max(by: { ($0.value, $0.key) < ($1.value, $1.key) })?.key ?? 0
    }

    static func assignByShape(_ tensors: [TensorInfo], hidden: Int, into assignments: inout [Assignment]) {
        guard hidden > 0 else { return }
        // The vocabulary: the largest "other" dimension of matrices that have a hidden dimension.
        var largestOther = 0
        for tensor in tensors where tensor.shape.count == 2 && tensor.shape.contains(hidden) && tensor.scaledWeight == nil {
            let other = tensor.shape[0] == hidden ? tensor.shape[1] : tensor.shape[0]
            largestOther = max(largestOther, other)
        }
        var sawEmbedding = assignments.contains { $0.role == .tokenEmbedding }
        // A token embedding is a lookup table stored (vocabulary, hidden); a (hidden, vocabulary)
        // matrix is an output head in the (in, out) layout. Prefer the former as the embedding.
        if !sawEmbedding, hidden > 0,
           let table = tensors.indices.first(where: { index in
               assignments[index].role == .other && tensors[index].shape.count == 2
                   && tensors[index].shape[1] == hidden && tensors[index].shape[0] == largestOther && largestOther > 4 * hidden
           }) {
            assignments[table].role = .tokenEmbedding
            sawEmbedding = true
        }
        for (index, tensor) in tensors.enumerated() where assignments[index].role == .other {
            if tensor.shape.count == 1 {
                assignments[index].role = tensor.shape[0] == hidden ? .norm : .bias
                continue
            }
            guard tensor.shape.count == 2, tensor.shape.contains(hidden) else { continue }
            let other = tensor.shape[0] == hidden ? tensor.shape[1] : tensor.shape[0]
            if other == hidden {
                assignments[index].role = .attentionUnknown
            } else if other == largestOther && other > 4 * hidden {
                assignments[index].role = sawEmbedding ? .outputHead : .tokenEmbedding
                sawEmbedding = true
            } else if other == 3 * hidden {
                assignments[index].role = .attentionQKV
            } else if other < hidden {
                assignments[index].role = .attentionUnknown
            } else {
                assignments[index].role = tensor.shape[0] == other ? .mlpUp : .mlpDown
            }
        }
    }

    static func structure(_ tensors: [TensorInfo], _ assignments: [Assignment], hidden: Int, hints: ModelConfigHints) -> ModelStructure {
        let names = tensors.map { $0.name.lowercased() }
        let family: String
        if names.contains(where: { $0.hasPrefix("blk.") }) { family = "gguf-llama" }
        else if names.contains(where: { $0.contains("self_attn.q_proj") }) { family = "llama" }
        else if names.contains(where: { $0.contains("attention.self.query") }) { family = "bert" }
        else if names.contains(where: { $0.contains(".attn.c_attn") }) { family = "gpt2" }
        else if names.contains(where: { $0.contains("query_key_value") }) { family = "gpt-neox" }
        else { family = "unknown" }

        let layers = zip(tensors, assignments).compactMap { $1.role.isWeightMatrix ? $1.layer : nil }
        var intermediateCounts: [Int: Int] = [:]
        for (tensor, assignment) in zip(tensors, assignments) where [.mlpUp, .mlpGate, .mlpDown].contains(assignment.role) {
            // One expert's matrix for a stack of experts.
            let shape = ExpertLayout.stackedExpertCount(of: tensor) != nil ? Array(tensor.shape.dropFirst()) : tensor.shape
            if let other = shape.first(where: { $0 != hidden }) { intermediateCounts[other, default: 0] += 1 }
        }
        let embeddingIndex = assignments.firstIndex { $0.role == .tokenEmbedding }
        let headIndex = assignments.firstIndex { $0.role == .outputHead }
        var sources = ["names", "shapes"]
        if hints.hiddenSize != nil || hints.headCount != nil { sources.append("config.json") }
        return ModelStructure(
            family: family,
            layerCount: (layers.max() ?? -1) + 1,
            hiddenSize: hidden,
            intermediateSize: intermediateCounts.max { ($0.value, $0.key) < ($1.value, $1.key) }?.key,
            headCount: hints.headCount,
            keyValueHeadCount: hints.keyValueHeadCount ?? hints.headCount,
            vocabularyRows: embeddingIndex.map { tensors[$0].shape.first { $0 != hidden } ?? tensors[$0].shape[0] },
            tiedEmbeddings: embeddingIndex != nil && headIndex == nil,
            embeddingTensor: embeddingIndex.map { tensors[$0].name },
            sources: sources)
    }
}
