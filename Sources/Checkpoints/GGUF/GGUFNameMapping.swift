/// Maps llama.cpp tensor names (as `convert_hf_to_gguf.py` writes them) to Hugging Face
/// names, so a GGUF copy lines up with its safetensors original.
///
/// Architectures whose Hugging Face naming is the Llama scheme are mapped, and BERT (to the
/// unprefixed names sentence-transformers checkpoints use, `encoder.layer.N.…`); for others
/// names stay as stored. Values are not transformed beyond undoing the RoPE row permutation
/// of `ropePermutedArchitectures`.
public enum GGUFNameMapping {
    /// Architectures (`general.architecture`) whose names are mapped.
    public static let mappedArchitectures: Set<String> = ["llama", "qwen2", "qwen3", "bert"]
    /// Architectures whose query/key rows llama.cpp permutes for RoPE (`LlamaModel.permute`).
    public static let ropePermutedArchitectures: Set<String> = ["llama"]

    /// Whole-model tensors: llama.cpp base name → Hugging Face base name.
    static let globalNames: [String: String] = [
        "token_embd": "model.embed_tokens",
        "output_norm": "model.norm",
        "output": "lm_head",
    ]

    /// Per-layer tensors (`blk.N.<name>` → `model.layers.N.<name>`).
    static let layerNames: [String: String] = [
        "attn_norm": "input_layernorm",
        "ffn_norm": "post_attention_layernorm",
        "attn_q": "self_attn.q_proj",
        "attn_k": "self_attn.k_proj",
        "attn_v": "self_attn.v_proj",
        "attn_output": "self_attn.o_proj",
        "attn_q_norm": "self_attn.q_norm",
        "attn_k_norm": "self_attn.k_norm",
        "ffn_gate": "mlp.gate_proj",
        "ffn_up": "mlp.up_proj",
        "ffn_down": "mlp.down_proj",
        "ffn_gate_inp": "block_sparse_moe.gate",
    ]

    /// BERT's whole-model tensors (`convert_hf_to_gguf.py`'s BertModel, gguf-py's tensor map).
    static let bertGlobalNames: [String: String] = [
        "token_embd": "embeddings.word_embeddings",
        "position_embd": "embeddings.position_embeddings",
        "token_types": "embeddings.token_type_embeddings",
        "token_embd_norm": "embeddings.LayerNorm",
    ]

    /// BERT's per-layer tensors (`blk.N.<name>` → `encoder.layer.N.<name>`).
    static let bertLayerNames: [String: String] = [
        "attn_q": "attention.self.query",
        "attn_k": "attention.self.key",
        "attn_v": "attention.self.value",
        "attn_output": "attention.output.dense",
        "attn_output_norm": "attention.output.LayerNorm",
        "ffn_up": "intermediate.dense",
        "ffn_down": "output.dense",
        "layer_output_norm": "output.LayerNorm",
    ]

    /// The naming scheme of an architecture: global names, the layer prefix, per-layer names.
    static func scheme(_ architecture: String) -> (global: [String: String], layerPrefix: String, layer: [String: String]) {
        architecture == "bert" ? (bertGlobalNames, "encoder.layer", bertLayerNames) : (globalNames, "model.layers", layerNames)
    }

    /// Per-expert tensors of Mixtral-style GGUFs (`blk.N.ffn_gate.E` → `…experts.E.w1`).
    static let expertNames: [String: String] = ["ffn_gate": "w1", "ffn_down": "w2", "ffn_up": "w3"]

    /// The Hugging Face name of a llama.cpp tensor name, or `nil` if it has none (or the
    /// architecture is not mapped).
    public static func huggingFaceName(forGGUFName name: String, architecture: String) -> String? {
        guard mappedArchitectures.contains(architecture) else { return nil }
        var parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard let suffix = parts.last, suffix == "weight" || suffix == "bias", parts.count >= 2 else { return nil }
        parts.removeLast()
        let names = scheme(architecture)
        if parts.count == 1, let base = names.global[parts[0]] {
            return "\(base).\(suffix)"
        }
        guard parts.count >= 3, parts[0] == "blk", let layer = Int(parts[1]), layer >= 0, String(layer) == parts[1] else {
            return nil
        }
        let prefix = "\(names.layerPrefix).\(layer)"
        if parts.count == 3, let role = names.layer[parts[2]] {
            if role.hasPrefix("block_sparse_moe"), architecture != "llama" { return nil }
            return "\(prefix).\(role).\(suffix)"
        }
        if architecture == "llama", parts.count == 4, let expertRole = expertNames[parts[2]],
           let expert = Int(parts[3]), expert >= 0, String(expert) == parts[3] {
            return "\(prefix).block_sparse_moe.experts.\(expert).\(expertRole).\(suffix)"
        }
        return nil
    }

    /// The llama.cpp name of a Hugging Face tensor name (the inverse of
    /// `huggingFaceName(forGGUFName:architecture:)`), e.g. to write a GGUF copy in tests and demos.
    public static func ggufName(forHuggingFaceName name: String, architecture: String) -> String? {
        guard mappedArchitectures.contains(architecture) else { return nil }
        let names = scheme(architecture)
        let prefixParts = names.layerPrefix.split(separator: ".").map(String.init)
        for suffix in ["weight", "bias"] where name.hasSuffix("." + suffix) {
            let base = String(name.dropLast(suffix.count + 1))
            if let global = names.global.first(where: { $0.value == base }) {
                return "\(global.key).\(suffix)"
            }
            let parts = base.split(separator: ".", maxSplits: 3).map(String.init)
            guard parts.count == 4, Array(parts[0..<2]) == prefixParts, let layer = Int(parts[2]) else { return nil }
            if let role = names.layer.first(where: { $0.value == parts[3] }) {
                let candidate = "blk.\(layer).\(role.key).\(suffix)"
                return huggingFaceName(forGGUFName: candidate, architecture: architecture) == name ? candidate : nil
            }
            let expertParts = parts[3].split(separator: ".").map(String.init)
            if expertParts.count == 4, expertParts[0] == "block_sparse_moe", expertParts[1] == "experts",
               let expert = Int(expertParts[2]), let role = expertNames.first(where: { $0.value == expertParts[3] }) {
                let candidate = "blk.\(layer).\(role.key).\(expert).\(suffix)"
                return huggingFaceName(forGGUFName: candidate, architecture: architecture) == name ? candidate : nil
            }
        }
        return nil
    }

    /// Which RoPE-permuted projection a llama.cpp tensor is, if any.
    enum RoPERole {
        case query, key
    }

    static func ropeRole(ofGGUFName name: String, architecture: String) -> RoPERole? {
        guard ropePermutedArchitectures.contains(architecture) else { return nil }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "blk", parts[3] == "weight" || parts[3] == "bias" else { return nil }
        switch parts[2] {
        case "attn_q": return .query
        case "attn_k": return .key
        default: return nil
        }
    }
}
