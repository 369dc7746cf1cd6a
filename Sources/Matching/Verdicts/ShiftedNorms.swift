import Fingerprinting

/// Norm gains one side stores as `1 + w` where the other stores `w`: llama.cpp's converter
/// writes Gemma's RMSNorm weights so (Gemma multiplies by `1 + w`, and convert_hf_to_gguf.py
/// adds the 1 for its runtime). At llama.cpp 0c1e570 the sum is taken in F32, so a BF16
/// release's norms come back exactly as `s − 1` (checked on a converted Gemma 2 and 3); the
/// check allows the sum to have been rounded to BF16, the coarsest precision norms are kept in.
///
/// A suspect norm vector whose values the reference does not hold pairs with a reference norm
/// of its layer and length whose mean differs by one and whose centred sketch (§5 of the
/// format: the mean removed) differs by no more than BF16's rounding of the shifted values
/// allows (`ConvertedValues` asks whether such pairs explain every such tensor).
struct ShiftedNorms: Sendable {
    /// The suspect's shifted norms, paired with the reference's: (suspect, reference) names.
    var pairs: [(suspect: String, reference: String)]
    /// +1 when the suspect holds `1 + w`, −1 when the reference does.
    var shift: Int
    /// The largest observed deviation over the rounding bound, among the pairs (≤ `margin`).
    var worstRatio: Double

    /// Rounding `1 + w` to BF16 errs by at most half a spacing, and a spacing is at most 2^-7 of
    /// the value: the error energy is at most Σ (2^-7 · v)² / 12 over the shifted values v. The
    /// bound holds for F16 and F32 sums too (finer). The sketch estimates an energy to a few
    /// tens of per cent on vectors of a few hundred values: allowed twice the bound.
    static let margin = 2.0
    static let relativeSpacing = 0x1p-7

    /// Pairs the norm vectors among `differing` (the suspect's evidential tensors the reference
    /// does not hold) with reference norms in `candidates` (its tensors the suspect does not
    /// hold), all with one shift; `nil` when none pairs.
    static func find(differing: [TensorFingerprint], candidates: [TensorFingerprint], signs: SignTable) -> ShiftedNorms? {
        let norms = candidates.filter { $0.role == .norm && $0.shape.count == 1 }
        var pairs: [(suspect: String, reference: String)] = []
        var used = Set<String>()
        var shift: Int?
        var worstRatio = 0.0
        for tensor in differing where tensor.role == .norm && tensor.shape.count == 1 {
            var best: (name: String, ratio: Double, shift: Int)?
            for other in norms where other.layer == tensor.layer && other.shape == tensor.shape && !used.contains(other.name) {
                guard let pair = compare(tensor, other, signs: signs), shift == nil || shift == pair.shift else { continue }
                if best == nil || pair.ratio < best!.ratio { best = (other.name, pair.ratio, pair.shift) }
            }
            guard let best else { continue }
            pairs.append((tensor.name, best.name))
            used.insert(best.name)
            shift = best.shift
            worstRatio = max(worstRatio, best.ratio)
        }
        return pairs.isEmpty ? nil : ShiftedNorms(pairs: pairs, shift: shift ?? 1, worstRatio: worstRatio)
    }

    /// Whether `tensor` is `other` shifted by ±1 within the rounding of the shifted side: the
    /// shift and the ratio of the observed deviation energy to the bound; `nil` if not.
    private static func compare(_ tensor: TensorFingerprint, _ other: TensorFingerprint, signs: SignTable) -> (shift: Int, ratio: Double)? {
        guard let own = tensor.statistics, let theirs = other.statistics, own.count == theirs.count, own.count <= signs.count,
              tensor.sketch.count == SketchGeometry.side, other.sketch.count == SketchGeometry.side else { return nil }
        let difference = own.mean - theirs.mean
        let shift = difference > 0 ? 1 : -1
        let shiftedSumSquares = shift > 0 ? own.sumSquares : theirs.sumSquares
        let bound = relativeSpacing * relativeSpacing / 12 * shiftedSumSquares
        // The means differ by the shift plus the mean rounding error: at most half a spacing of the largest value.
        let largest = shift > 0 ? max(abs(own.minimum), abs(own.maximum)) : max(abs(theirs.minimum), abs(theirs.maximum))
        guard abs(abs(difference) - 1) <= relativeSpacing / 2 * largest + 1e-6 else { return nil }
        let centredOwn = SketchMath.centered(tensor.sketch, rows: 1, cols: own.count, mean: own.mean, signs: signs)
        let centredTheirs = SketchMath.centered(other.sketch, rows: 1, cols: theirs.count, mean: theirs.mean, signs: signs)
        let deviation = zip(centredOwn, centredTheirs).reduce(0.0) { $0 + (Double($1.0) - Double($1.1)) * (Double($1.0) - Double($1.1)) }
        let ratio = bound > 0 ? deviation / bound : (deviation == 0 ? 0 : .infinity)
        return ratio <= margin ? (shift, ratio) : nil
    }
}
