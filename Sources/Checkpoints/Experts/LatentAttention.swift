/// Multi-head latent attention (DeepSeek-V2/V3, Kimi K2): where the per-head key and value
/// rows sit in the fused up-projection `self_attn.kv_b_proj.weight`, read from shapes.
///
/// `kv_b_proj` is `[H·(n+v), L]` (per head, n key rows then v value rows; L the latent rank),
/// `kv_a_proj_with_mqa` is `[L + r, hidden]` (r the rotary key width) and `q_proj` (or
/// `q_b_proj` with a low-rank query) is `[H·(n+r), …]`. With n = v — every DeepSeek-V2/V3 and
/// Kimi K2 release — that fixes them: H·n = rows(kv_b)/2, r = rows(kv_a) − L, H = (rows(q) − H·n)/r.
/// Shapes rather than `config.json`, so a copy without its config splits the same way.
public enum LatentAttention {
    /// The key/value split (`FusedProjection(keyRows:valueRows:)`) of each `kv_b_proj` weight in
    /// `tensors` whose layer's shapes determine it, by tensor index.
    public static func keyValueSplits(_ tensors: [TensorInfo]) -> [Int: FusedProjection] {
        let suffix = "kv_b_proj.weight"
        var byName: [String: TensorInfo] = [:]
        for tensor in tensors where tensor.shape.count == 2 && tensor.scaledWeight == nil { byName[tensor.name] = tensor }
        var splits: [Int: FusedProjection] = [:]
        for (index, tensor) in tensors.enumerated() where tensor.name.hasSuffix("." + suffix) && tensor.shape.count == 2 {
            guard tensor.scaledWeight == nil, tensor.dtype.isFloatingPoint || tensor.dtype.isBlockQuantized || tensor.scale != nil else { continue }
            let prefix = String(tensor.name.dropLast(suffix.count))
            guard let latentInput = byName[prefix + "kv_a_proj_with_mqa.weight"],
                  let query = byName[prefix + "q_proj.weight"] ?? byName[prefix + "q_b_proj.weight"],
                  let heads = headCount(keyValueRows: tensor.shape[0], latentRank: tensor.shape[1],
                                        latentInputRows: latentInput.shape[0], queryRows: query.shape[0]) else { continue }
            let rowsPerPart = tensor.shape[0] / (2 * heads)
            splits[index] = FusedProjection(keyRows: rowsPerPart, valueRows: rowsPerPart)
        }
        return splits
    }

    /// H from the row counts of `kv_b_proj` (H·2n, with its column count L), `kv_a_proj_with_mqa`
    /// (L + r) and the query projection (H·(n + r)), or `nil` when they do not fit that layout.
    public static func headCount(keyValueRows: Int, latentRank: Int, latentInputRows: Int, queryRows: Int) -> Int? {
        let rotary = latentInputRows - latentRank
        guard keyValueRows > 0, keyValueRows % 2 == 0, latentRank > 0, rotary > 0 else { return nil }
        let keyRows = keyValueRows / 2
        let rotaryRows = queryRows - keyRows
        guard rotaryRows > 0, rotaryRows % rotary == 0 else { return nil }
        let heads = rotaryRows / rotary
        guard heads > 0, keyRows % heads == 0 else { return nil }
        return heads
    }
}
