import ProvenanceCrypto

/// How mixture-of-experts layers store their experts, read from names and shapes.
///
/// Releases store the experts of one layer either as one 2-D tensor per expert
/// (`model.layers.3.block_sparse_moe.experts.5.w1.weight`, `…mlp.experts.5.up_proj.weight`)
/// or stacked in one rank-3 tensor, expert first (llama.cpp's `blk.3.ffn_up_exps.weight`,
/// `…mlp.experts.down_proj` in Llama 4 and gpt-oss, `…mlp.switch_mlp.up_proj.weight` in MLX). A copy moves between the two layouts
/// (every GGUF conversion stacks them), and a copier may renumber the experts (with the
/// router's rows, the function is unchanged). So the fingerprint's sketch evidence of an MoE
/// layer is the sum of its experts' sketches: the same in both layouts, and unchanged by
/// renumbering (docs/FINGERPRINT_FORMAT.md §4b).
public enum ExpertLayout {
    /// The number of experts stacked in a rank-3 tensor, or `nil` if it is not an expert stack.
    ///
    /// A stack is rank 3 with at least two experts and a name that says so: a component
    /// ending in `_exps` (llama.cpp), a `switch_mlp` component (MLX's `SwitchGLU`), or an
    /// `experts` component not followed by an expert index. llama.cpp's per-head stacks of
    /// latent attention (`blk.N.attn_k_b.weight`, `attn_v_b`) count too: one matrix per head,
    /// sketched and digested as a stack of experts is.
    public static func stackedExpertCount(name: String, shape: [Int]) -> Int? {
        guard shape.count == 3, shape[0] >= 2, shape[1] > 0, shape[2] > 0 else { return nil }
        let parts = components(name)
        if parts.contains(where: { $0.hasSuffix("_exps") }) || parts.contains("switch_mlp") { return shape[0] }
        if let position = parts.firstIndex(of: "experts"), position + 1 < parts.count, Int(parts[position + 1]) == nil {
            return shape[0]
        }
        if isPerHeadStack(name: name) { return shape[0] }
        // Granite MoE (JetMoE's parallel experts): `block_sparse_moe.input_linear` (gate and up fused) and `output_linear`.
        if let position = parts.firstIndex(of: "block_sparse_moe"), position + 1 < parts.count,
           ["input_linear", "output_linear"].contains(parts[position + 1]) {
            return shape[0]
        }
        return nil
    }

    /// Whether a name is one of llama.cpp's per-head stacks of latent attention's key and value
    /// up-projections (`blk.N.attn_k_b.weight`, `blk.N.attn_v_b.weight`; `LatentAttention`):
    /// stacks of heads rather than experts.
    public static func isPerHeadStack(name: String) -> Bool {
        let parts = components(name)
        return parts.count == 4 && parts[0] == "blk" && (parts[2] == "attn_k_b" || parts[2] == "attn_v_b")
    }

    /// The experts stacked in a tensor of a checkpoint: as `stackedExpertCount(name:shape:)`, for
    /// weights only — not for scale-factor companions (`…experts.down_proj_scales`) or integer buffers.
    public static func stackedExpertCount(of tensor: TensorInfo) -> Int? {
        guard tensor.scaledWeight == nil, tensor.dtype.isFloatingPoint || tensor.dtype.isBlockQuantized || tensor.scale != nil else { return nil }
        return stackedExpertCount(name: tensor.name, shape: tensor.shape)
    }

    /// The expert index of a per-expert tensor (`…experts.5.…`, llama.cpp's older
    /// `blk.3.ffn_up.5.weight`), or `nil`.
    public static func expertIndex(name: String) -> Int? {
        let parts = components(name)
        for (position, part) in parts.enumerated().dropLast() {
            let isExpertMarker = part == "experts" || (part.hasPrefix("ffn_") && parts.first == "blk" && position == 2)
            if isExpertMarker, let index = Int(parts[position + 1]), index >= 0, String(index) == parts[position + 1] {
                return index
            }
        }
        return nil
    }

    /// The name shared by every expert of a per-expert tensor's group: its expert index
    /// replaced by `*` (`…experts.*.w1.weight`); `nil` for tensors that are not per-expert.
    public static func groupName(name: String) -> String? {
        guard let index = expertIndex(name: name) else { return nil }
        var parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        for position in parts.indices.dropFirst() where parts[position] == String(index) {
            let marker = parts[position - 1].lowercased()
            if marker == "experts" || (marker.hasPrefix("ffn_") && position == 3) {
                parts[position] = "*"
                return parts.joined(separator: ".")
            }
        }
        return nil
    }

    /// Whether a tensor is part of a mixture-of-experts router (one row or value per expert):
    /// `…block_sparse_moe.gate.*`, `…mlp.gate.*` (Mixtral, Qwen-MoE, DeepSeek), llama.cpp's
    /// `ffn_gate_inp`, or anything under a `router` component (Llama 4, gpt-oss).
    public static func isRouter(name: String) -> Bool {
        let parts = components(name)
        if parts.contains("router") || parts.contains(where: { $0.hasPrefix("ffn_gate_inp") }) { return true }
        return parts.indices.dropFirst().contains { parts[$0] == "gate" }
    }

    /// The layer of a tensor: its first decimal component below 100 000, components separated
    /// by `.`, `/` or `:` (`model.layers.3.…`, `blk.3.…`); the layer numbering role inference uses.
    public static func layerIndex(name: String) -> Int? {
        for part in name.split(whereSeparator: { $0 == "." || $0 == "/" || $0 == ":" }) {
            if let value = Int(part), value >= 0, value < 100_000 { return value }
        }
        return nil
    }

    /// The 2-D view of one expert of a stack: `(shape[1], shape[2])`.
    public static func expertView(_ shape: [Int]) -> (rows: Int, cols: Int) {
        (shape[1], shape[2])
    }

    /// The name of the stack that holds a per-expert group (`groupName`): llama.cpp's
    /// `blk.N.ffn_{gate,up,down}_exps.weight` for llama.cpp names, else the group name without
    /// its `*` component (`…mlp.experts.up_proj.weight`, as Llama 4 and gpt-oss name stacks).
    public static func stackName(forGroup group: String) -> String {
        var parts = group.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard let star = parts.firstIndex(of: "*") else { return group }
        if parts.first == "blk", star == 3 {
            parts[2] += "_exps"
        }
        parts.remove(at: star)
        return parts.joined(separator: ".")
    }

    /// The digest of a group of experts: SHA-256 over their digests in expert order
    /// (`"provenance-expert-group-v1"` first), so the same experts in the same order share it
    /// whether they were stored one by one or stacked.
    public static func groupDigest(_ digests: [SHA256Digest]) -> SHA256Digest {
        let hasher = SHA256()
        hasher.update(utf8: "provenance-expert-group-v1")
        for digest in digests { hasher.update(digest.bytes) }
        return hasher.finalize()
    }

    static func components(_ name: String) -> [String] {
        name.lowercased().split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    }
}
