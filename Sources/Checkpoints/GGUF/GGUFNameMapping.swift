/// Maps llama.cpp tensor names (as `convert_hf_to_gguf.py` writes them) to Hugging Face
/// names, so a GGUF copy lines up with its safetensors original.
///
/// Each mapped architecture (`general.architecture`) has a naming scheme: whole-model names,
/// a layer prefix and per-layer names, checked against files the real converter wrote
/// (`Tests/CheckpointsTests/Fixtures/LlamaCppArchitectures`, llama.cpp 0c1e570). For other
/// architectures names stay as stored. Values are not transformed beyond undoing the RoPE row
/// permutation of `ropePermutedArchitectures`; tensors with no single Hugging Face counterpart
/// (stacks of experts whose original is one tensor per expert, or split out of a fused one)
/// keep their llama.cpp names.
public enum GGUFNameMapping {
    /// Architectures whose names are mapped.
    public static let mappedArchitectures: Set<String> = Set(schemes.keys)

    /// Architectures whose query/key rows llama.cpp permutes for RoPE (`LlamaModel.permute`,
    /// `undo_permute = True`): its LlamaModel and the subclasses that keep that conversion —
    /// llama (also Mistral, Mixtral), granite, granitemoe, arcee and smollm3 checked on files it
    /// wrote; granite_swa, llama-embed and nanbeige read from the converter (they inherit it
    /// unchanged). Not apertus or llama4 (`undo_permute = False`), nor qwen2/qwen3, gemma, phi3, olmo2.
    public static let ropePermutedArchitectures: Set<String> = [
        "llama", "granite", "granitemoe", "granite_swa", "arcee", "smollm3", "llama-embed", "nanbeige",
    ]

    /// One architecture's names: whole-model tensors, the layer prefix, per-layer tensors
    /// (llama.cpp base name → Hugging Face base name; `blk.N.<name>` → `<layerPrefix>.N.<name>`).
    struct Scheme {
        var global: [String: String]
        var layerPrefix: String
        var layer: [String: String]
        /// Per-expert tensors (`blk.N.ffn_gate.E` → `….block_sparse_moe.experts.E.w1`), Mixtral in older llama.cpp files.
        var perExpert = false

        func adding(_ more: [String: String]) -> Scheme {
            var result = self
            result.layer.merge(more) { _, new in new }
            return result
        }
    }

    /// The Llama scheme most decoder-only architectures share.
    static let llama = Scheme(
        global: ["token_embd": "model.embed_tokens", "output_norm": "model.norm", "output": "lm_head"],
        layerPrefix: "model.layers",
        layer: [
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
        ])

    /// Norms after attention and after the MLP as well as before them (Gemma 2 and 3; OLMo 2 has only the after ones).
    static let sandwichNorms = llama.adding([
        "ffn_norm": "pre_feedforward_layernorm",
        "post_attention_norm": "post_attention_layernorm",
        "post_ffw_norm": "post_feedforward_layernorm",
    ])

    /// Qwen's mixture of experts: the router, and a shared expert beside the routed ones.
    static let qwenMixture = llama.adding([
        "ffn_gate_inp": "mlp.gate",
        "ffn_gate_shexp": "mlp.shared_expert.gate_proj",
        "ffn_up_shexp": "mlp.shared_expert.up_proj",
        "ffn_down_shexp": "mlp.shared_expert.down_proj",
        "ffn_gate_inp_shexp": "mlp.shared_expert_gate",
    ])

    /// BERT (`convert_hf_to_gguf.py`'s BertModel), to the unprefixed names sentence-transformers
    /// checkpoints use.
    static let bert = Scheme(
        global: [
            "token_embd": "embeddings.word_embeddings",
            "position_embd": "embeddings.position_embeddings",
            "token_types": "embeddings.token_type_embeddings",
            "token_embd_norm": "embeddings.LayerNorm",
        ],
        layerPrefix: "encoder.layer",
        layer: [
            "attn_q": "attention.self.query",
            "attn_k": "attention.self.key",
            "attn_v": "attention.self.value",
            "attn_output": "attention.output.dense",
            "attn_output_norm": "attention.output.LayerNorm",
            "ffn_up": "intermediate.dense",
            "ffn_down": "output.dense",
            "layer_output_norm": "output.LayerNorm",
        ])

    /// The mapped architectures' schemes.
    static let schemes: [String: Scheme] = {
        var schemes: [String: Scheme] = [:]
        for architecture in ["qwen2", "qwen3", "granite", "granite_swa", "arcee", "smollm3", "llama-embed", "nanbeige", "gemma", "stablelm"] {
            schemes[architecture] = llama
        }
        var mixtral = llama.adding(["ffn_gate_inp": "block_sparse_moe.gate"])
        mixtral.perExpert = true
        schemes["llama"] = mixtral
        schemes["gemma2"] = sandwichNorms
        schemes["gemma3"] = sandwichNorms
        schemes["olmo2"] = sandwichNorms
        schemes["qwen2moe"] = qwenMixture
        schemes["qwen3moe"] = qwenMixture
        // Granite MoE's experts are stacks in both files (its fused gate/up `input_linear` is split in two by the converter).
        schemes["granitemoe"] = llama.adding(["ffn_gate_inp": "block_sparse_moe.router.layer", "ffn_down_exps": "block_sparse_moe.output_linear"])
        schemes["apertus"] = llama.adding(["attn_norm": "attention_layernorm", "ffn_norm": "feedforward_layernorm"])
        schemes["phi3"] = llama.adding(["attn_qkv": "self_attn.qkv_proj", "ffn_up": "mlp.gate_up_proj"])
        schemes["starcoder2"] = llama.adding(["ffn_up": "mlp.c_fc", "ffn_down": "mlp.c_proj"])
        var phi2 = llama.adding(["attn_output": "self_attn.dense", "ffn_up": "mlp.fc1", "ffn_down": "mlp.fc2"])
        phi2.global["output_norm"] = "model.final_layernorm"
        schemes["phi2"] = phi2
        schemes["bert"] = bert
        return schemes
    }()

    /// Per-expert tensors of Mixtral-style GGUFs (`blk.N.ffn_gate.E` → `…experts.E.w1`).
    static let expertNames: [String: String] = ["ffn_gate": "w1", "ffn_down": "w2", "ffn_up": "w3"]

    /// The Hugging Face name of a llama.cpp tensor name, or `nil` if it has none (or the
    /// architecture is not mapped).
    public static func huggingFaceName(forGGUFName name: String, architecture: String) -> String? {
        guard let scheme = schemes[architecture] else { return nil }
        var parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard let suffix = parts.last, suffix == "weight" || suffix == "bias", parts.count >= 2 else { return nil }
        parts.removeLast()
        if parts.count == 1, let base = scheme.global[parts[0]] {
            return "\(base).\(suffix)"
        }
        guard parts.count >= 3, parts[0] == "blk", let layer = Int(parts[1]), layer >= 0, String(layer) == parts[1] else {
            return nil
        }
        let prefix = "\(scheme.layerPrefix).\(layer)"
        if parts.count == 3, let role = scheme.layer[parts[2]] {
            return "\(prefix).\(role).\(suffix)"
        }
        if scheme.perExpert, parts.count == 4, let expertRole = expertNames[parts[2]],
           let expert = Int(parts[3]), expert >= 0, String(expert) == parts[3] {
            return "\(prefix).block_sparse_moe.experts.\(expert).\(expertRole).\(suffix)"
        }
        return nil
    }

    /// The llama.cpp name of a Hugging Face tensor name (the inverse of
    /// `huggingFaceName(forGGUFName:architecture:)`), e.g. to write a GGUF copy in tests and demos.
    public static func ggufName(forHuggingFaceName name: String, architecture: String) -> String? {
        guard let scheme = schemes[architecture] else { return nil }
        let prefixParts = scheme.layerPrefix.split(separator: ".").map(String.init)
        for suffix in ["weight", "bias"] where name.hasSuffix("." + suffix) {
            let base = String(name.dropLast(suffix.count + 1))
            if let global = scheme.global.first(where: { $0.value == base }) {
                return "\(global.key).\(suffix)"
            }
            let parts = base.split(separator: ".", maxSplits: prefixParts.count + 1).map(String.init)
            guard parts.count == prefixParts.count + 2, Array(parts[0..<prefixParts.count]) == prefixParts,
                  let layer = Int(parts[prefixParts.count]) else { return nil }
            let rest = parts[prefixParts.count + 1]
            if let role = scheme.layer.first(where: { $0.value == rest }) {
                let candidate = "blk.\(layer).\(role.key).\(suffix)"
                return huggingFaceName(forGGUFName: candidate, architecture: architecture) == name ? candidate : nil
            }
            let expertParts = rest.split(separator: ".").map(String.init)
            if scheme.perExpert, expertParts.count == 4, expertParts[0] == "block_sparse_moe", expertParts[1] == "experts",
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
