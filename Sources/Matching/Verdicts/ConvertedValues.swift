import Fingerprinting

/// Tensors a converter stores through an elementwise function of the original's values, so
/// their digests differ though the weights are the same: norms as `1 + w` (`ShiftedNorms`:
/// Gemma, Nemotron) and state-space decays as `−exp(w)` (`NegatedExponentials`: Mamba and its
/// hybrids). Found among the suspect's evidential tensors the reference does not hold, paired
/// with reference tensors the suspect does not hold.
struct ConvertedValues: Sendable {
    var shiftedNorms: ShiftedNorms?
    var negatedExponentials: NegatedExponentials?
    /// Whether the pairs account for every evidential suspect tensor the reference does not hold.
    var explainsAll: Bool

    /// The suspect's and the reference's tensors in some pair.
    var suspectTensors: Set<String> { Set(pairs.map(\.suspect)) }
    var referenceTensors: Set<String> { Set(pairs.map(\.reference)) }
    private var pairs: [(suspect: String, reference: String)] {
        (shiftedNorms?.pairs ?? []) + (negatedExponentials?.pairs ?? [])
    }

    /// `nil` when no tensor pairs.
    static func find(suspect: Fingerprint, reference: Fingerprint, signs: SignTable) -> ConvertedValues? {
        let differing = PairComparison.evidenceNotHeld(in: suspect, by: reference)
        guard !differing.isEmpty else { return nil }
        let heldValues = Set(suspect.tensors.map(\.canonical.sha256))
        let candidates = reference.tensors.filter { !heldValues.contains($0.canonical.sha256) }
        let shifted = ShiftedNorms.find(differing: differing, candidates: candidates, signs: signs)
        let shiftedNames = Set(shifted?.pairs.map(\.suspect) ?? []), shiftedSources = Set(shifted?.pairs.map(\.reference) ?? [])
        let exponentials = NegatedExponentials.find(
            differing: differing.filter { !shiftedNames.contains($0.name) },
            candidates: candidates.filter { !shiftedSources.contains($0.name) })
        guard shifted != nil || exponentials != nil else { return nil }
        var found = ConvertedValues(shiftedNorms: shifted, negatedExponentials: exponentials, explainsAll: false)
        let explained = found.suspectTensors
        found.explainsAll = differing.allSatisfy { explained.contains($0.name) }
        return found
    }

    // MARK: - Wording

    /// What the verdict's sentence adds: "with 2 norms stored as 1 + w and 4 state-space decays stored as −exp(w) (…)".
    var clause: String {
        var parts: [String] = []
        if let shifted = shiftedNorms {
            parts.append("\(shifted.pairs.count == 1 ? "one norm" : "\(shifted.pairs.count) norms") stored as 1 + w")
        }
        if let exponentials = negatedExponentials {
            let count = exponentials.pairs.count
            parts.append("\(count == 1 ? "one state-space decay" : "\(count) state-space decays") stored as −exp(A_log)")
        }
        let who = [shiftedNorms.map { _ in "Gemma and Nemotron" }, negatedExponentials.map { _ in "Mamba and its hybrids" }].compactMap { $0 }
        return "with " + parts.joined(separator: " and ") + " (as llama.cpp's conversions of " + who.joined(separator: " and of ") + " write them)"
    }

    /// The evidence lines, one per kind of conversion.
    var evidence: [String] {
        var lines: [String] = []
        if let shifted = shiftedNorms {
            let listed = VerdictRules.listing(shifted.pairs.map { "\($0.suspect) ↔ \($0.reference)" }, limit: 3)
            let side = shifted.shift > 0 ? "the suspect stores" : "the reference stores"
            lines.append(String(format: "%d norm weight vectors differ only as 1 + w does from w (%@ 1 + w, rounded; %@): each pairs with a norm of its layer whose mean differs by 1, and what else differs is within the rounding of 1 + w to BF16 (the largest deviation is %.2g of that bound).",
                                shifted.pairs.count, side, listed, shifted.worstRatio))
        }
        if let exponentials = negatedExponentials {
            let listed = VerdictRules.listing(exponentials.pairs.map { "\($0.suspect) ↔ \($0.reference)" }, limit: 3)
            let side = exponentials.direction > 0 ? "the suspect stores" : "the reference stores"
            let count = exponentials.pairs.count == 1 ? "1 tensor differs" : "\(exponentials.pairs.count) tensors differ"
            lines.append("\(count) only as −exp(w) does from w (\(side) −exp(w); \(listed)): each pairs with a tensor of its layer and size whose smallest, largest and sampled quantile values map through −exp to the other's within rounding to BF16, with a mean where exp's convexity puts it. A function that is not linear has no sketch to compare, so these few tensors are checked on order statistics only.")
        }
        return lines
    }
}
