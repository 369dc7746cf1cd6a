/// Element-by-element evidence from comparing two checkpoints on disk (`compare --deep`): for
/// every significantly matched pair of weight matrices, exact figures instead of sketch
/// estimates. The excess kurtosis of the differences is descriptive only: Gaussian noise gives
/// 0, but on the real MiniLM a real fine-tune also gave ≈ 0.1, Q8_0 rounding −0.3 and BF16
/// rounding (steps proportional to the values) +5, so its shape does not tell noise from training.
public struct FullWeightEvidence: Codable, Sendable, Hashable {
    /// One compared pair.
    public struct Pair: Codable, Sendable, Hashable {
        public var suspectTensor: String
        public var referenceTensor: String
        /// Elements compared (the common rows of a grown or trimmed vocabulary).
        public var elements: Int
        /// Whether the suspect is stored transposed relative to the reference.
        public var transposed: Bool
        /// Exact cosine of the two matrices (not mean-removed).
        public var cosine: Double
        /// The least-squares scale a in suspect ≈ a · reference (1 unless rescaled).
        public var scale: Double
        /// ‖suspect − a · reference‖ / ‖a · reference‖.
        public var relativeDifference: Double
        /// Fraction of elements equal in both (after decoding).
        public var identicalFraction: Double
        /// Excess kurtosis of the element differences (suspect − a · reference); absent when
        /// they are all equal.
        public var differenceKurtosis: Double?
        /// How the pair was lined up when the suspect's rows or columns were renumbered or
        /// removed (nil: compared as stored, only the common rows of a resized vocabulary).
        public var recoveredIndices: RecoveredIndices? = nil
        /// The cosine after the best scale of each row (or column) of its own, when higher than
        /// `cosine`: ≈ 1 for a copy that multiplied each neuron or head by its own factor.
        public var unitScaledCosine: Double? = nil
        /// The axis of those scales: `rows` or `columns` of the suspect as compared.
        public var unitScaleAxis: String? = nil

        public init(suspectTensor: String, referenceTensor: String, elements: Int, transposed: Bool, cosine: Double, scale: Double,
                    relativeDifference: Double, identicalFraction: Double, differenceKurtosis: Double?) {
            self.suspectTensor = suspectTensor
            self.referenceTensor = referenceTensor
            self.elements = elements
            self.transposed = transposed
            self.cosine = cosine
            self.scale = scale
            self.relativeDifference = relativeDifference
            self.identicalFraction = identicalFraction
            self.differenceKurtosis = differenceKurtosis
        }
    }

    /// A matched pair that was not compared, and why.
    public struct Skipped: Codable, Sendable, Hashable {
        public var suspectTensor: String
        public var reason: String
        /// True when the matrix was read and lined up against the reference matrices of its
        /// role, in the aligned layer and every other, and none of its rows or columns is one of
        /// theirs: weights from elsewhere (or retrained beyond recognition). Absent otherwise.
        public var unrelated: Bool?

        public init(suspectTensor: String, reason: String, unrelated: Bool? = nil) {
            self.suspectTensor = suspectTensor
            self.reason = reason
            self.unrelated = unrelated
        }
    }

    public var pairs: [Pair]
    public var skipped: [Skipped]

    public init(pairs: [Pair], skipped: [Skipped]) {
        self.pairs = pairs
        self.skipped = skipped
    }
}

// MARK: - Summary

extension FullWeightEvidence {
    /// What the comparison shows, one sentence each (terminal summary and reports).
    public var summary: [String] {
        guard !pairs.isEmpty else {
            return ["No matched matrix could be compared element by element" + (skipped.isEmpty ? "." : " (" + skipped.map(\.reason).uniqued().joined(separator: "; ") + ").")]
        }
        func median(_ values: [Double]) -> Double { let sorted = values.sorted(); return sorted[sorted.count / 2] }
        var lines: [String] = []
        let identical = pairs.filter { $0.identicalFraction == 1 }.count
        lines.append(String(format: "%d matched matrices compared element by element: cosine median %.6f (min %.6f), difference median %.3g × norm%@.",
                            pairs.count, median(pairs.map(\.cosine)), pairs.map(\.cosine).min()!, median(pairs.map(\.relativeDifference)),
                            identical > 0 ? ", \(identical) identical" : ""))
        let kurtoses = pairs.compactMap(\.differenceKurtosis)
        if !kurtoses.isEmpty {
            lines.append(String(format: "Excess kurtosis of the element differences: median %.2g over %d matrices (Gaussian noise gives 0; fine-tuning and rounding can give values near it too).",
                                median(kurtoses), kurtoses.count))
        }
        let rescaled = pairs.filter { abs($0.scale - 1) > 0.01 && $0.cosine > 0.9999 }.count
        if rescaled > 0 {
            lines.append("\(rescaled) \(rescaled == 1 ? "matrix is" : "matrices are") the reference's multiplied by a constant (rescaled).")
        }
        let unitRescaled = pairs.filter(Self.isUnitRescaled)
        if !unitRescaled.isEmpty {
            let least = unitRescaled.compactMap(\.unitScaledCosine).min()!
            lines.append("\(unitRescaled.count) \(unitRescaled.count == 1 ? "matrix is" : "matrices are") the reference's with each row or column multiplied by its own factor (cosine after those factors at least \(String(format: "%.6f", least))): neurons or heads rescaled, which leaves the function unchanged when the matrix they feed is scaled back.")
        }
        lines += recoverySummary
        if !skipped.isEmpty {
            lines.append("\(skipped.count) matched \(skipped.count == 1 ? "matrix was" : "matrices were") not compared: " + skipped.map(\.reason).uniqued().joined(separator: "; ") + ".")
        }
        return lines
    }
}

// MARK: - Recovered indices

extension FullWeightEvidence {
    /// What lining up renumbered or removed rows and columns showed, when it was needed.
    var recoverySummary: [String] {
        let rearranged = pairs.filter { $0.recoveredIndices?.isRearranged == true }
        let indices = rearranged.compactMap(\.recoveredIndices)
        guard let first = indices.first else { return [] }
        var lines: [String] = []
        if first.hiddenOrder == .rotated, let rotation = first.rotation {
            let sampled = indices.compactMap(\.comparedUnits).max()
            lines.append("No hidden dimension is the reference's, but one change of basis X lines the stream up: fitted by least squares to \(rotation.fittedTokens) token embeddings, it leaves \(String(format: "%.3g", rotation.heldOutResidual)) of held-out embeddings unexplained (relative norm), and ‖X·Xᵀ − I‖ = \(String(format: "%.3g", rotation.orthogonalityError)) per row (0 for a rotation). Every matrix reading or writing the stream was compared through it, each reference unit's vector multiplied by X" + (sampled.map { " (up to \($0) units per matrix: each costs d² multiply-adds)" } ?? "") + ".")
        } else if first.hiddenOrder != .unchanged {
            let found = first.matchedHidden == first.suspectHidden ? "all \(first.suspectHidden)" : "\(first.matchedHidden) of \(first.suspectHidden)"
            let removed = first.referenceHidden - first.matchedHidden
            let order = first.hiddenOrder == .inOrder
                ? "in the reference's order" + (removed > 0 ? " (\(removed) removed: width pruning)" : "")
                : "renumbered (a hidden permutation)"
            lines.append("The hidden width was lined up by its values in the embeddings: \(found) of the suspect's dimensions are found among the reference's \(first.referenceHidden), \(order).")
        }
        let groups = Dictionary(grouping: indices) { "\($0.matchedUnits) of \($0.referenceUnits) \($0.unitOrder.rawValue)" }
        let units = groups.sorted { $0.value.count > $1.value.count || ($0.value.count == $1.value.count && $0.key < $1.key) }
            .map { "\($0.key) in \($0.value.count)" }
        lines.append("\(rearranged.count) \(rearranged.count == 1 ? "matrix was" : "matrices were") lined up by recovering each renumbered or removed row and column from its values; units (neurons, attention rows, tokens) found among the reference's: " + units.joined(separator: ", ") + ".")
        if rearranged.allSatisfy({ $0.identicalFraction == 1 }) {
            let narrower = indices.contains(where: \.isNarrower)
            let renumbered = indices.contains { $0.hiddenOrder == .renumbered || $0.unitOrder == .renumbered }
            let what = [narrower ? "removed" : nil, renumbered ? "renumbered" : nil].compactMap { $0 }.joined(separator: " and ")
            lines.append("Every value these matrices kept is the reference's own, bit for bit: the suspect is the reference with rows and columns \(what) (exact \(narrower ? "width pruning" : "permutation")), not a retrained model.")
        }
        let partial = indices.filter { $0.matchedUnits < $0.suspectUnits }
        if !partial.isEmpty {
            let unmatched = partial.map { $0.suspectUnits - $0.matchedUnits }.reduce(0, +)
            lines.append("In \(partial.count) \(partial.count == 1 ? "matrix" : "matrices"), \(unmatched) of the suspect's units match none of the reference's (correlation below \(IndexMatching.minimumCorrelation) at the sampled positions): added or retrained units, left out of the figures.")
        }
        return lines
    }
}

extension Sequence where Element: Hashable {
    /// The elements in order, without repeats.
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
