import Foundation
import Fingerprinting

/// Tensors one side stores as `−exp(w)` where the other stores `w`: llama.cpp's converter
/// writes a state-space layer's `A_log` as `ssm_a = −exp(A_log)` (Mamba, Mamba-2, Jamba,
/// Falcon-H1, Granite 4.0-H, Nemotron-H, Qwen3-Next and the rest of the family), so its
/// runtime need not take the exponential. At llama.cpp 0c1e570 the converter widens BF16 to
/// F32 first, so the stored values are `−exp(w)` rounded once to F32 (checked on tiny Mamba,
/// Mamba-2 and Granite 4.0-H conversions); the check allows a converter that rounds to BF16.
///
/// The function is not linear, so no sketch of `−exp(w)` follows from `w`'s: what the
/// fingerprint keeps that a monotone function carries over are order statistics. A pair is
/// a suspect tensor the reference does not hold and a reference tensor of its layer and
/// element count the suspect does not hold, the transformed side all negative, where
/// - the smallest and largest values map to each other (`−exp` reverses the order), and the
///   nine sampled quantiles (§3 of the format: the same positions on both sides) map to the
///   mirrored ones, or lie on the side of them the sample's ranks say when the mirror falls one
///   rank off, all to within rounding to BF16;
/// - the mean lies between `−exp(mean)` (Jensen: `exp` is convex) and the chord of `−exp`
///   between the extremes at the mean.
/// This says the values were carried over value by value, as far as eleven order statistics
/// and a mean can; an edit that keeps them (below BF16's rounding of these few tensors) is not
/// excluded. It is asked only when every other evidential tensor holds the other side's values.
struct NegatedExponentials: Sendable {
    /// The transformed tensors, paired with their sources: (suspect, reference) names.
    var pairs: [(suspect: String, reference: String)]
    /// +1 when the suspect holds `−exp(w)`, −1 when the reference does.
    var direction: Int

    /// One rounding to BF16 errs by at most half a spacing, and a spacing is at most 2^-7 of
    /// the value.
    static let relativeTolerance = 0x1p-8

    /// Pairs the tensors among `differing` (the suspect's evidential tensors the reference does
    /// not hold) with reference tensors in `candidates` (those the suspect does not hold), all
    /// in one direction; `nil` when none pairs.
    static func find(differing: [TensorFingerprint], candidates: [TensorFingerprint]) -> NegatedExponentials? {
        var pairs: [(suspect: String, reference: String)] = []
        var used = Set<String>()
        var direction: Int?
        for tensor in differing {
            let match = candidates.first { other in
                guard other.layer == tensor.layer, !used.contains(other.name), let pair = pairDirection(tensor, other) else { return false }
                return direction == nil || direction == pair
            }
            guard let match, let pair = pairDirection(tensor, match) else { continue }
            pairs.append((tensor.name, match.name))
            used.insert(match.name)
            direction = pair
        }
        return pairs.isEmpty ? nil : NegatedExponentials(pairs: pairs, direction: direction ?? 1)
    }

    /// +1 when `suspect` holds `−exp` of `reference`'s values, −1 for the reverse, `nil` when neither.
    static func pairDirection(_ suspect: TensorFingerprint, _ reference: TensorFingerprint) -> Int? {
        guard let own = suspect.statistics, let theirs = reference.statistics, own.count == theirs.count else { return nil }
        if holdsNegatedExponential(own, of: theirs) { return 1 }
        if holdsNegatedExponential(theirs, of: own) { return -1 }
        return nil
    }

    /// Whether `transformed` is the statistics of `−exp(w)` over the values w `source` describes.
    static func holdsNegatedExponential(_ transformed: TensorStatistics, of source: TensorStatistics) -> Bool {
        guard transformed.count == source.count, transformed.count > 0, transformed.nans == 0, transformed.infinities == 0,
              source.nans == 0, source.infinities == 0, transformed.maximum < 0,
              transformed.quantiles.count == source.quantiles.count,
              transformed.quantiles.count == TensorStatistics.quantileLevels.count else { return false }
        func f(_ value: Double) -> Double { -exp(value) }
        func close(_ stored: Double, _ expected: Double) -> Bool {
            abs(stored - expected) <= relativeTolerance * abs(expected) + 1e-30
        }
        // −exp reverses the order: the largest value of w gives the smallest stored one.
        guard close(transformed.minimum, f(source.maximum)), close(transformed.maximum, f(source.minimum)) else { return false }

        // Quantiles: level p is the sample's value of rank ⌊p·m⌋ (m finite values, the same positions
        // on both sides). Stored rank k holds f of the source's rank m − 1 − k: the mirrored level's
        // rank, or one off from it, where the inequality's direction is known.
        let m = min(source.count, TensorStatistics.sampleSize)
        let levels = TensorStatistics.quantileLevels
        func rank(_ level: Double) -> Int { min(m - 1, Int(level * Double(m))) }
        for (index, level) in levels.enumerated() {
            let mirrored = levels.count - 1 - index
            guard abs(levels[mirrored] + level - 1) < 1e-12 else { return false }
            let sourceRank = m - 1 - rank(level), mirroredRank = rank(levels[mirrored])
            let stored = transformed.quantiles[index], expected = f(source.quantiles[mirrored])
            let slack = relativeTolerance * abs(expected)
            if sourceRank == mirroredRank {
                guard close(stored, expected) else { return false }
            } else if sourceRank < mirroredRank {
                // A lower source rank: a value no larger, so f of it no smaller.
                guard stored >= expected - slack else { return false }
            } else {
                guard stored <= expected + slack else { return false }
            }
        }

        // The mean: −mean(exp w) ≤ −exp(mean w) by convexity, and ≥ the chord's value at the mean.
        let (low, high) = (source.minimum, source.maximum)
        let upper = f(source.mean)
        let chord = high > low ? ((high - source.mean) * f(low) + (source.mean - low) * f(high)) / (high - low) : f(low)
        let slack = relativeTolerance * abs(chord)
        return transformed.mean <= upper + slack && transformed.mean >= chord - slack
    }
}
