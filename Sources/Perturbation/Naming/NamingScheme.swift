import SyntheticModels

/// Target naming schemes for the rename attack.
public enum NamingScheme: String, Sendable, CaseIterable {
    /// GPT-style module paths: `transformer.wte`, `transformer.h.N.attn.q_proj`,
    /// `transformer.h.N.mlp.w1/w3/w2` (Llama gate/up/down) or `mlp.c_fc/c_proj` (BERT),
    /// `transformer.h.N.ln_1/ln_2`, `transformer.ln_f`. Needs a recognised architecture.
    case gpt
    /// Meaningless names (`t` + 16 hex digits), for any checkpoint.
    case opaque

    /// The GPT-style name for a Hugging Face name with this role.
    static func gptName(_ name: String, role: TensorRole, layer: Int?) -> String {
        func suffix(_ part: TensorRole.Part) -> String { part == .weight ? "weight" : "bias" }
        let h = layer.map { "transformer.h.\($0)." } ?? "transformer."
        switch role {
        case .tokenEmbedding: return "transformer.wte.weight"
        case .positionEmbedding: return "transformer.wpe.weight"
        case .tokenTypeEmbedding: return "transformer.wtt.weight"
        case .embeddingNorm(let part): return "transformer.ln_emb." + suffix(part)
        case .attentionNorm: return h + "ln_1.weight"
        case .query(let part): return h + "attn.q_proj." + suffix(part)
        case .key(let part): return h + "attn.k_proj." + suffix(part)
        case .value(let part): return h + "attn.v_proj." + suffix(part)
        case .attentionOutput(let part): return h + "attn.c_proj." + suffix(part)
        case .attentionOutputNorm(let part): return h + "ln_1." + suffix(part)
        case .mlpNorm: return h + "ln_2.weight"
        case .gate: return h + "mlp.w1.weight"
        case .up: return h + "mlp.w3.weight"
        case .down: return h + "mlp.w2.weight"
        case .intermediate(let part): return h + "mlp.c_fc." + suffix(part)
        case .output(let part): return h + "mlp.c_proj." + suffix(part)
        case .outputNorm(let part): return h + "ln_2." + suffix(part)
        case .finalNorm: return "transformer.ln_f.weight"
        case .languageModelHead: return "lm_head.weight"
        case .pooler(let part): return "transformer.pooler." + suffix(part)
        case .unknown: return "transformer.extra." + name
        }
    }
}
