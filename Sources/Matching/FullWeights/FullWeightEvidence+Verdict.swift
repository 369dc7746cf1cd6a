import Foundation

// MARK: - What the figures settle

extension FullWeightEvidence {
    /// Whether a compared pair shows that the suspect matrix holds the reference matrix's
    /// weights, changed or not: an exact |cosine| of at least `VerdictRules.partialMatchCosine`
    /// (the heaviest rounding still leaves ≈ 0.8; unrelated matrices give ≈ 0), over at least
    /// half of the suspect's units when its indices had to be recovered.
    static func holdsReferenceWeights(_ pair: Pair) -> Bool {
        guard effectiveCosine(pair) >= VerdictRules.partialMatchCosine else { return false }
        guard let indices = pair.recoveredIndices else { return true }
        return indices.matchedUnits * 2 >= indices.suspectUnits && indices.matchedHidden * 2 >= indices.suspectHidden
    }

    /// The least |cosine| a per-unit rescaling must leave to count as the whole change: the
    /// verdict's "weights changed" threshold.
    static let unitRescalingCosine = 0.99995

    /// Whether the suspect matrix is the reference's with each row (or column) multiplied by its
    /// own factor — reciprocal rescaling of neurons or heads, function-preserving in pairs —
    /// and otherwise unchanged.
    static func isUnitRescaled(_ pair: Pair) -> Bool {
        (pair.unitScaledCosine ?? 0) >= unitRescalingCosine && abs(pair.cosine) < unitRescalingCosine
    }

    /// |cosine|, or the cosine after per-unit scales when those explain the whole change.
    static func effectiveCosine(_ pair: Pair) -> Double {
        isUnitRescaled(pair) ? pair.unitScaledCosine! : abs(pair.cosine)
    }

    /// The pairs whose suspect matrix holds the reference's weights (`holdsReferenceWeights`).
    var linedUpPairs: [Pair] { pairs.filter(Self.holdsReferenceWeights) }

    /// Suspect matrices that hold the reference's weights.
    public var linedUpTensors: Set<String> { Set(linedUpPairs.map(\.suspectTensor)) }

    /// Suspect matrices read and lined up against the reference matrices of their role (the
    /// aligned layer's, then every other layer's) where none of their rows or columns is one of
    /// theirs: weights from elsewhere.
    public var unrelatedTensors: Set<String> { Set(skipped.filter { $0.unrelated == true }.map(\.suspectTensor)) }

    /// The element-weighted mean exact |cosine| of the lined-up pairs, `excluding` some suspect
    /// matrices (elementwise conversions, whose cosine measures the conversion); nil when none.
    func exactCosine(excluding excluded: Set<String> = []) -> Double? {
        let counted = linedUpPairs.filter { !excluded.contains($0.suspectTensor) }
        let elements = counted.reduce(0) { $0 + $1.elements }
        guard elements > 0 else { return nil }
        return counted.reduce(0.0) { $0 + Self.effectiveCosine($1) * Double($1.elements) } / Double(elements)
    }

    /// Lined-up suspect matrices that are the reference's multiplied by a constant: the same
    /// direction (|cosine| > 0.9) and a scale more than 5 % away from 1, as `TensorMatch.isRescaled`;
    /// or by a factor per row or column (`isUnitRescaled`).
    var rescaledTensors: [String] {
        linedUpPairs.filter { (abs($0.cosine) > 0.9 && $0.scale != 0 && abs(log(abs($0.scale))) > 0.05) || Self.isUnitRescaled($0) }.map(\.suspectTensor)
    }

    /// How the residual stream's dimensions were lined up, when they had to be: the hidden
    /// order of the first lined-up pair whose indices were recovered.
    var hiddenOrder: RecoveredIndices.Order? {
        linedUpPairs.lazy.compactMap(\.recoveredIndices).first?.hiddenOrder
    }

    /// Suspect matrices lined up with their units (neurons, attention rows) renumbered.
    var renumberedTensors: Set<String> {
        Set(linedUpPairs.filter { $0.recoveredIndices?.unitOrder == .renumbered }.map(\.suspectTensor))
    }
}
