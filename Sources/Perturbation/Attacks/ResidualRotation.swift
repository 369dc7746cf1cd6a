import Checkpoints
import SyntheticModels

/// Rotates the residual stream of an RMSNorm (Llama) model by a random orthogonal matrix R,
/// after folding every norm weight into the matrices that read the norm's output:
/// 1. fold: q/k/v columns ×`input_layernorm`, gate/up columns ×`post_attention_layernorm`,
///    `lm_head` columns ×`model.norm`; the norm weights become 1 (a tied head whose final
///    norm is not all ones is untied first: `lm_head.weight` is written explicitly);
/// 2. rotate: embedding rows E·Rᵀ, every stream-reading matrix W·Rᵀ (q, k, v, gate, up,
///    lm_head), every stream-writing matrix R·W (o_proj, down_proj).
/// RMS normalisation commutes with R (it preserves norms), so the logits are unchanged.
/// LayerNorm subtracts the mean, which a rotation does not preserve: BERT is refused.
///
/// R = `RandomOrthogonal.matrix(d, SplitMix64.derived(seed: seed, label: "rotation"))`.
public struct ResidualRotation: Perturbation {
    public var seed: UInt64
    public var step: PerturbationStep { .rotate }

    public init(seed: UInt64) {
        self.seed = seed
    }

    /// The rotation matrix (row-major d × d).
    public func rotation(hiddenSize: Int) -> [Double] {
        var rng = SplitMix64.derived(seed: seed, label: "rotation")
        return RandomOrthogonal.matrix(hiddenSize, &rng)
    }

    public func apply(to model: inout CheckpointModel) throws(PerturbationError) -> PerturbationRecord {
        let attack = step.name
        var spec = try model.requireSpec(for: attack)
        try model.requireLlama(spec, attack: attack, reason:
            "rotating the residual stream preserves the function of RMSNorm (Llama) models only; LayerNorm (BERT) subtracts the mean, which a rotation does not preserve")
        try model.requireAllRolesKnown(spec, attack: attack)
        let d = spec.hiddenSize

        // Untie a tied head if the final norm has to be folded into it.
        var untied = false
        if spec.tiedEmbeddings {
            let finalNorm = try model.requireIndex(of: "model.norm.weight", for: attack)
            if model.entries[finalNorm].tensor.values.contains(where: { $0 != 1 }) {
                let embedding = try model.requireIndex(of: "model.embed_tokens.weight", for: attack)
                var head = model.entries[embedding]
                head.tensor.name = "lm_head.weight"
                model.entries.append(head)
                spec.tiedEmbeddings = false
                model.spec = spec
                model.config = ModelConfig.setting("tie_word_embeddings", to: .bool(false), in: model.config)
                untied = true
            }
        }

        // 1. Fold norm weights into the matrices that read the normalised stream.
        for layer in 0..<spec.layerCount {
            let p = "model.layers.\(layer)."
            try fold(p + "input_layernorm.weight", into: [p + "self_attn.q_proj.weight", p + "self_attn.k_proj.weight", p + "self_attn.v_proj.weight"], model: &model, d: d)
            try fold(p + "post_attention_layernorm.weight", into: [p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight"], model: &model, d: d)
        }
        try fold("model.norm.weight", into: spec.tiedEmbeddings ? [] : ["lm_head.weight"], model: &model, d: d)

        // 2. Rotate.
        let r = rotation(hiddenSize: d)
        for item in model.classified(spec) where model.entries[item.index].isFloatingPoint {
            let tensor = model.entries[item.index].tensor
            switch item.role.residualAxis {
            case .columns:
                model.entries[item.index].tensor.values = TensorMath.multiplyingByTranspose(tensor.values, columns: d, rotation: r)
            case .rows:
                model.entries[item.index].tensor.values = TensorMath.multiplyingOnLeft(tensor.values, columns: tensor.shape[1], rotation: r, d: d)
            case .vector, .none:
                continue  // norm weights are all ones after folding; Llama has no biases
            }
        }
        return PerturbationRecord(
            attack: attack, functionPreserving: true,
            summary: "folded the RMSNorm weights into the following matrices and rotated the \(d)-dimensional residual stream by a random orthogonal matrix (seed \(seed))"
                + (untied ? "; the tied LM head was untied" : ""),
            parameters: ["seed": .integer(Int(truncatingIfNeeded: seed)), "hidden_size": .integer(d), "untied_head": .bool(untied)])
    }

    /// Multiplies the columns of each `matrices` by the norm weight `norm`, then sets it to 1.
    private func fold(_ norm: String, into matrices: [String], model: inout CheckpointModel, d: Int) throws(PerturbationError) {
        let attack = step.name
        let normIndex = try model.requireIndex(of: norm, for: attack)
        let weights = model.entries[normIndex].tensor.values
        guard weights.count == d else {
            throw PerturbationError(attack: attack, tensor: norm, rule: .shapeMismatch(expected: [d], actual: model.entries[normIndex].tensor.shape))
        }
        for matrix in matrices {
            try model.updateTensor(matrix, attack: attack) { $0.values = TensorMath.scalingColumns($0.values, columns: d, by: weights) }
        }
        model.entries[normIndex].tensor.values = Array(repeating: 1, count: d)
    }
}
