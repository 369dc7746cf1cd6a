/// How a fused projection tensor holds the matrices a conversion splits it into.
///
/// **Gate and up.** Some releases store the gate and up projections as one tensor: Phi-3's dense
/// `mlp.gate_up_proj.weight` (`[2I, H]`, gate rows then up rows), Llama 4's stacked experts
/// `feed_forward.experts.gate_up_proj` (`[E, H, 2I]`, gate columns then up columns) and
/// gpt-oss's `mlp.experts.gate_up_proj` (gate and up interleaved: even columns gate, odd up;
/// `[E, H, 2I]` in its BF16 form, `[E, 2I, H]` as MXFP4 blocks) and Granite MoE's
/// `block_sparse_moe.input_linear` (`[E, 2I, H]`, gate rows then up rows) and Granite 4.0's
/// `shared_mlp.input_linear` (`[2I, H]`, likewise). Conversions split them —
/// llama.cpp writes `ffn_gate_exps` and `ffn_up_exps`, "llamafied" Phi-3 copies write
/// `gate_proj` and `up_proj`.
///
/// **Key and value of latent attention.** DeepSeek-V2/V3's (and Kimi K2's) multi-head latent
/// attention up-projects the compressed key/value with `self_attn.kv_b_proj` (`[H·(n+v), L]`:
/// per head, n key rows then v value rows). llama.cpp's converter writes it as per-head stacks,
/// `attn_k_b` (`[H, L, n]`, each head's key rows transposed) and `attn_v_b` (`[H, v, L]`);
/// `LatentAttention` finds the head layout.
///
/// The fingerprint also sketches the parts as the separate matrices (or stacks) they become
/// (docs/FINGERPRINT_FORMAT.md §4c).
public struct FusedProjection: Sendable, Hashable {
    /// The axis of the 2-D view (one expert's matrix for a stack) that holds both parts.
    public enum Axis: String, Sendable, Hashable {
        case rows, cols
    }

    /// How the parts share the fused axis.
    public enum Layout: String, Sendable, Hashable {
        /// The first half is the gate, the second half the up projection.
        case halves
        /// Even indices are the gate, odd indices the up projection.
        case interleaved
        /// Blocks of `keyRows + valueRows` rows, one per head: key rows, then value rows.
        /// Each part is a stack of one matrix per head.
        case headBlocks = "head-blocks"
    }

    /// One of the matrices.
    public enum Part: String, Sendable, Hashable, CaseIterable {
        case gate, up, key, value
    }

    public var axis: Axis
    public var layout: Layout
    /// Rows of each head's key and value parts (`headBlocks`; 0 otherwise).
    public var keyRows: Int
    public var valueRows: Int

    public init(axis: Axis, layout: Layout) {
        precondition(layout != .headBlocks, "FusedProjection: head blocks need their row counts")
        self.axis = axis
        self.layout = layout
        keyRows = 0
        valueRows = 0
    }

    /// Key/value head blocks of `keyRows` then `valueRows` rows each.
    public init(keyRows: Int, valueRows: Int) {
        precondition(keyRows > 0 && valueRows > 0, "FusedProjection: empty head block")
        axis = .rows
        layout = .headBlocks
        self.keyRows = keyRows
        self.valueRows = valueRows
    }

    /// The parts, in the order they are recorded.
    public var parts: [Part] {
        layout == .headBlocks ? [.key, .value] : [.gate, .up]
    }

    /// Matrices each part stacks for a fused 2-D view of `rows` rows: the heads for head blocks, else 1.
    public func stackedMatrices(rows: Int) -> Int {
        layout == .headBlocks ? rows / (keyRows + valueRows) : 1
    }

    /// The split of a checkpoint tensor, or `nil` if it is not a fused gate/up weight. A scaled
    /// weight (gpt-oss's MXFP4 blocks) keeps the original output-major layout.
    public static func split(of tensor: TensorInfo) -> FusedProjection? {
        guard tensor.scaledWeight == nil, tensor.dtype.isFloatingPoint || tensor.dtype.isBlockQuantized || tensor.scale != nil else { return nil }
        return split(name: tensor.name, shape: tensor.shape, outputMajor: tensor.scale != nil)
    }

    /// The split of a tensor named `name` with `shape`, or `nil`: a component `gate_up_proj`,
    /// a 2-D matrix (fused rows, halves) or a stack of experts (fused columns, or rows when
    /// `outputMajor`; interleaved unless the name has a `feed_forward` component, as Llama 4's
    /// do), with an even fused length of at least 2; Granite MoE's `block_sparse_moe.input_linear`
    /// stack (fused rows, halves); Granite 4.0's 2-D `…shared_mlp.input_linear` (fused rows,
    /// halves); or gpt-oss's expert biases, a 2-D `…experts.gate_up_proj_bias` (one row per
    /// expert: fused columns, interleaved unless under `feed_forward`).
    public static func split(name: String, shape: [Int], outputMajor: Bool) -> FusedProjection? {
        let parts = ExpertLayout.components(name)
        let granite = parts.contains("block_sparse_moe") && parts.contains("input_linear")
        // gpt-oss's expert biases `…mlp.experts.gate_up_proj_bias` `[E, 2I]`: one row per expert, fused columns.
        let expertBias = parts.contains("gate_up_proj_bias") && parts.contains("experts")
        // Granite 4.0's (and Granite MoE shared's) dense MLP `…shared_mlp.input_linear.weight` `[2I, H]`: gate rows, then up rows.
        let graniteShared = parts.contains("shared_mlp") && parts.contains("input_linear")
        guard parts.contains("gate_up_proj") || granite || expertBias || graniteShared else { return nil }
        let fused: FusedProjection
        let view: (rows: Int, cols: Int)
        if graniteShared {
            guard shape.count == 2 else { return nil }
            fused = FusedProjection(axis: .rows, layout: .halves)
            view = (shape[0], shape[1])
        } else if expertBias {
            guard shape.count == 2 else { return nil }
            fused = FusedProjection(axis: .cols, layout: parts.contains("feed_forward") ? .halves : .interleaved)
            view = (shape[0], shape[1])
        } else if granite {
            guard shape.count == 3, let experts = ExpertLayout.stackedExpertCount(name: name, shape: shape), experts >= 2 else { return nil }
            fused = FusedProjection(axis: .rows, layout: .halves)
            view = ExpertLayout.expertView(shape)
        } else if shape.count == 2 {
            fused = FusedProjection(axis: .rows, layout: .halves)
            view = (shape[0], shape[1])
        } else if let experts = ExpertLayout.stackedExpertCount(name: name, shape: shape), experts >= 2 {
            fused = FusedProjection(axis: outputMajor ? .rows : .cols, layout: parts.contains("feed_forward") ? .halves : .interleaved)
            view = ExpertLayout.expertView(shape)
        } else {
            return nil
        }
        return fused.fits(rows: view.rows, cols: view.cols) ? fused : nil
    }

    /// The 2-D view of one part (one head's matrix for head blocks), given the fused tensor's 2-D view.
    public func partView(_ part: Part, rows: Int, cols: Int) -> (rows: Int, cols: Int) {
        switch layout {
        case .headBlocks: (part == .key ? keyRows : valueRows, cols)
        case .halves, .interleaved: axis == .rows ? (rows / 2, cols) : (rows, cols / 2)
        }
    }

    /// Whether the split fits a fused 2-D view of `rows` × `cols`: an even, non-empty fused
    /// length, or whole head blocks.
    public func fits(rows: Int, cols: Int) -> Bool {
        guard rows > 0, cols > 0 else { return false }
        if layout == .headBlocks { return rows % (keyRows + valueRows) == 0 }
        let length = axis == .rows ? rows : cols
        return length >= 2 && length % 2 == 0
    }

    /// The part an index along the fused axis (of `length`) belongs to, and its index in that part.
    @inline(__always)
    public func locate(_ index: Int, length: Int) -> (part: Part, index: Int) {
        switch layout {
        case .halves:
            let half = length / 2
            return index < half ? (.gate, index) : (.up, index - half)
        case .interleaved:
            return (index & 1 == 0 ? .gate : .up, index >> 1)
        case .headBlocks:
            let within = index % (keyRows + valueRows)
            return within < keyRows ? (.key, within) : (.value, within - keyRows)
        }
    }
}
