/// How a suspect matrix was lined up with its reference when its rows or columns were
/// renumbered or removed (`compare --deep` on permuted or width-pruned copies): which reference
/// row and column each of the suspect's is, recovered from the weights themselves. A matrix has
/// a *hidden* axis (the residual width, shared by the whole model, lined up once from the token
/// embeddings) and a *unit* axis of its own (MLP neurons, attention rows, vocabulary entries).
public struct RecoveredIndices: Codable, Sendable, Hashable {
    /// How the matched indices relate to the reference's.
    public enum Order: String, Codable, Sendable, Hashable {
        /// Every index is the reference's own (nothing renumbered or removed).
        case unchanged
        /// Some removed or added, the rest in the reference's order (pruning).
        case inOrder = "in order"
        /// Renumbered (a permutation, possibly with some removed).
        case renumbered
        /// Hidden axis only: no dimension is the reference's, a change of basis fitted to the
        /// token embeddings lines them up (a rotated residual stream).
        case rotated
    }

    /// The change of basis a rotated copy's hidden width was lined up through.
    public struct Rotation: Codable, Sendable, Hashable {
        /// Token embedding rows the least-squares fit used.
        public var fittedTokens: Int
        /// ‖E′ − E·X‖ / ‖E′‖ over held-out token rows.
        public var heldOutResidual: Double
        /// ‖X·Xᵀ − I‖ / √n over n sampled rows of X: ≈ 0 for an orthogonal X (a rotation).
        public var orthogonalityError: Double

        public init(fittedTokens: Int, heldOutResidual: Double, orthogonalityError: Double) {
            self.fittedTokens = fittedTokens
            self.heldOutResidual = heldOutResidual
            self.orthogonalityError = orthogonalityError
        }
    }

    /// The suspect's axis that runs along the hidden width: `rows` or `columns`.
    public var hiddenAxis: String
    public var suspectHidden: Int
    public var referenceHidden: Int
    /// Hidden positions of the suspect lined up with one of the reference's.
    public var matchedHidden: Int
    public var hiddenOrder: Order
    /// The other axis: MLP neurons, attention rows or vocabulary entries.
    public var suspectUnits: Int
    public var referenceUnits: Int
    /// Units of the suspect whose signature found one of the reference's (tokens: the common rows).
    public var matchedUnits: Int
    public var unitOrder: Order
    /// Matched units compared element by element when only a sample was (a rotated stream:
    /// each unit costs d² multiply-adds); nil when all were.
    public var comparedUnits: Int?
    /// The fitted change of basis, when `hiddenOrder` is `rotated`.
    public var rotation: Rotation?

    public init(hiddenAxis: String, suspectHidden: Int, referenceHidden: Int, matchedHidden: Int, hiddenOrder: Order,
                suspectUnits: Int, referenceUnits: Int, matchedUnits: Int, unitOrder: Order,
                comparedUnits: Int? = nil, rotation: Rotation? = nil) {
        self.hiddenAxis = hiddenAxis
        self.suspectHidden = suspectHidden
        self.referenceHidden = referenceHidden
        self.matchedHidden = matchedHidden
        self.hiddenOrder = hiddenOrder
        self.suspectUnits = suspectUnits
        self.referenceUnits = referenceUnits
        self.matchedUnits = matchedUnits
        self.unitOrder = unitOrder
        self.comparedUnits = comparedUnits.flatMap { $0 < matchedUnits ? $0 : nil }
        self.rotation = rotation
    }

    /// Whether anything was renumbered or removed (otherwise the pair lines up as stored).
    public var isRearranged: Bool { hiddenOrder != .unchanged || unitOrder != .unchanged }

    /// Whether the suspect has fewer hidden positions or units than the reference.
    public var isNarrower: Bool { suspectHidden < referenceHidden || suspectUnits < referenceUnits }

    /// "hidden 48/64 in order, units 132/176 in order": for tables.
    public var shortText: String {
        func axis(_ name: String, _ matched: Int, _ reference: Int, _ order: Order) -> String {
            "\(name) \(matched)/\(reference)" + (order == .unchanged ? "" : " " + order.rawValue)
        }
        return axis("hidden", matchedHidden, referenceHidden, hiddenOrder) + ", " + axis("units", matchedUnits, referenceUnits, unitOrder)
    }
}
