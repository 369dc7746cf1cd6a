/// How a fused MLP gate/up tensor (`gate_up_proj`) holds its two matrices.
///
/// Some releases store the gate and up projections as one tensor: Phi-3's dense
/// `mlp.gate_up_proj.weight` (`[2I, H]`, gate rows then up rows), Llama 4's stacked experts
/// `feed_forward.experts.gate_up_proj` (`[E, H, 2I]`, gate columns then up columns) and
/// gpt-oss's `mlp.experts.gate_up_proj` (gate and up interleaved: even columns gate, odd up;
/// `[E, H, 2I]` in its BF16 form, `[E, 2I, H]` as MXFP4 blocks) and Granite MoE's
/// `block_sparse_moe.input_linear` (`[E, 2I, H]`, gate rows then up rows). Conversions split them —
/// llama.cpp writes `ffn_gate_exps` and `ffn_up_exps`, "llamafied" Phi-3 copies write
/// `gate_proj` and `up_proj` — so the fingerprint also sketches the two parts as the separate
/// matrices they become (docs/FINGERPRINT_FORMAT.md §4c).
public struct FusedGateUp: Sendable, Hashable {
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
    }

    /// One of the two matrices.
    public enum Part: String, Sendable, Hashable, CaseIterable {
        case gate, up
    }

    public var axis: Axis
    public var layout: Layout

    public init(axis: Axis, layout: Layout) {
        self.axis = axis
        self.layout = layout
    }

    /// The split of a checkpoint tensor, or `nil` if it is not a fused gate/up weight. A scaled
    /// weight (gpt-oss's MXFP4 blocks) keeps the original output-major layout.
    public static func split(of tensor: TensorInfo) -> FusedGateUp? {
        guard tensor.scaledWeight == nil, tensor.dtype.isFloatingPoint || tensor.dtype.isBlockQuantized || tensor.scale != nil else { return nil }
        return split(name: tensor.name, shape: tensor.shape, outputMajor: tensor.scale != nil)
    }

    /// The split of a tensor named `name` with `shape`, or `nil`: a component `gate_up_proj`,
    /// a 2-D matrix (fused rows, halves) or a stack of experts (fused columns, or rows when
    /// `outputMajor`; interleaved unless the name has a `feed_forward` component, as Llama 4's
    /// do), with an even fused length of at least 2; or Granite MoE's `block_sparse_moe.input_linear`
    /// stack (fused rows, halves).
    public static func split(name: String, shape: [Int], outputMajor: Bool) -> FusedGateUp? {
        let parts = ExpertLayout.components(name)
        let granite = parts.contains("block_sparse_moe") && parts.contains("input_linear")
        guard parts.contains("gate_up_proj") || granite else { return nil }
        let fused: FusedGateUp
        let view: (rows: Int, cols: Int)
        if granite {
            guard shape.count == 3, let experts = ExpertLayout.stackedExpertCount(name: name, shape: shape), experts >= 2 else { return nil }
            fused = FusedGateUp(axis: .rows, layout: .halves)
            view = ExpertLayout.expertView(shape)
        } else if shape.count == 2 {
            fused = FusedGateUp(axis: .rows, layout: .halves)
            view = (shape[0], shape[1])
        } else if let experts = ExpertLayout.stackedExpertCount(name: name, shape: shape), experts >= 2 {
            fused = FusedGateUp(axis: outputMajor ? .rows : .cols, layout: parts.contains("feed_forward") ? .halves : .interleaved)
            view = ExpertLayout.expertView(shape)
        } else {
            return nil
        }
        let length = fused.axis == .rows ? view.rows : view.cols
        guard length >= 2, length % 2 == 0, view.rows > 0, view.cols > 0 else { return nil }
        return fused
    }

    /// The 2-D view of one part, given the fused tensor's 2-D view.
    public func partView(rows: Int, cols: Int) -> (rows: Int, cols: Int) {
        axis == .rows ? (rows / 2, cols) : (rows, cols / 2)
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
        }
    }
}
