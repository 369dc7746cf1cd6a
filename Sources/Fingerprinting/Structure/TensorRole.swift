/// What a tensor does in a transformer, inferred from its name and shape.
public enum TensorRole: String, Sendable, Codable, CaseIterable, Comparable {
    case tokenEmbedding = "embedding"
    case positionEmbedding = "embedding.position"
    case tokenTypeEmbedding = "embedding.token-type"
    case attentionQuery = "attention.q"
    case attentionKey = "attention.k"
    case attentionValue = "attention.v"
    case attentionQKV = "attention.qkv"
    case attentionOutput = "attention.o"
    /// A square hidden×hidden matrix whose attention role is unknown.
    case attentionUnknown = "attention"
    case mlpGate = "mlp.gate"
    case mlpUp = "mlp.up"
    case mlpGateUp = "mlp.gate-up"
    case mlpDown = "mlp.down"
    /// The router of a mixture-of-experts layer (experts × hidden): scores each expert per token.
    case mlpRouter = "mlp.router"
    case norm
    case bias
    case outputHead = "head"
    /// Integer or boolean buffers (position ids, masks): not weights.
    case buffer
    /// The scale factors of a quantized weight (`…weight_scale_inv`, `…weight_scale`): part of
    /// how that weight is stored, fingerprinted with it.
    case quantizationScale = "quantization.scale"
    case other

    /// Whether the tensor is a learned weight matrix that carries identifying evidence.
    public var isWeightMatrix: Bool {
        switch self {
        case .tokenEmbedding, .positionEmbedding, .attentionQuery, .attentionKey, .attentionValue, .attentionQKV,
             .attentionOutput, .attentionUnknown, .mlpGate, .mlpUp, .mlpGateUp, .mlpDown, .mlpRouter, .outputHead, .other:
            true
        case .tokenTypeEmbedding, .norm, .bias, .buffer, .quantizationScale:
            false
        }
    }

    /// Roles grouped for layer-to-layer comparison (q/k/v/o/unknown attention are one family).
    public var family: String {
        switch self {
        case .attentionQuery, .attentionKey, .attentionValue, .attentionOutput, .attentionUnknown, .attentionQKV: "attention"
        case .mlpGate, .mlpUp, .mlpGateUp: "mlp.in"
        case .mlpDown: "mlp.out"
        default: rawValue
        }
    }

    public static func < (lhs: TensorRole, rhs: TensorRole) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
