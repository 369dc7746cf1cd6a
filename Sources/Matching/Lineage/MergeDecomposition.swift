import Foundation

/// A linear merge of several related releases, recovered from linear sketches: the suspect's
/// sketches are fitted as an affine combination of the references',
///
///     S(suspect) − S(R₀) ≈ Σⱼ wⱼ (S(Rⱼ) − S(R₀)),   w₀ = 1 − Σⱼ wⱼ,
///
/// by least squares over every sketch entry of the matrices all of them matched. The pairwise
/// delta analysis finds the best pair; this adds a further release only when it at least halves
/// what the pair leaves unexplained and its weight is clearly non-zero.
struct MergeDecomposition {
    /// A fitted combination.
    struct Fit {
        /// Indices into the references, the anchor R₀ first.
        var members: [Int]
        /// Mixing weights, in `members` order (they sum to 1).
        var weights: [Double]
        /// Standard errors of the weights (from the residual variance).
        var standardErrors: [Double]
        /// ‖residual‖² and ‖S(suspect) − S(R₀)‖².
        var residual: Double
        var offset: Double

        /// Share of the suspect's difference from the anchor that the combination explains.
        var explained: Double { offset > 0 ? max(0, 1 - residual / offset) : 1 }
    }

    /// Smallest weight a further release must get to join a merge.
    static let minimumWeight = 0.05
    /// z-score (weight / standard error) a further release must reach.
    static let minimumZ = 4.0
    /// Share of the current residual a further release must remove.
    static let residualReduction = 0.5
    /// Most releases in one reported merge.
    static let maximumMembers = 4

    private let aligned: AlignedSketches

    init(aligned: AlignedSketches) {
        self.aligned = aligned
    }

    /// Least-squares weights of `members` (anchor first), or nil when their sketches are
    /// (nearly) linearly dependent or share no matrices.
    func fit(_ members: [Int]) -> Fit? {
        let names = aligned.common(members)
        let m = members.count - 1
        guard m >= 1, !names.isEmpty else { return nil }
        var gram = [Double](repeating: 0, count: m * m)
        var moments = [Double](repeating: 0, count: m)
        var offset = 0.0, entries = 0
        var differences = [Double](repeating: 0, count: m)
        for name in names {
            let suspect = aligned.suspect[name]!.sketch
            let anchor = aligned.references[members[0]][name]!
            let others = members.dropFirst().map { aligned.references[$0][name]! }
            for index in suspect.indices {
                let base = Double(anchor[index])
                let e = Double(suspect[index]) - base
                for j in 0..<m { differences[j] = Double(others[j][index]) - base }
                for j in 0..<m {
                    moments[j] += e * differences[j]
                    for k in j..<m { gram[j * m + k] += differences[j] * differences[k] }
                }
                offset += e * e
                entries += 1
            }
        }
        for j in 0..<m { for k in 0..<j { gram[j * m + k] = gram[k * m + j] } }
        guard let inverse = Self.invert(gram, size: m) else { return nil }
        var w = [Double](repeating: 0, count: m)
        for j in 0..<m { for k in 0..<m { w[j] += inverse[j * m + k] * moments[k] } }
        let explainedSquares = zip(w, moments).reduce(0) { $0 + $1.0 * $1.1 }
        let residual = max(0, offset - explainedSquares)
        let variance = residual / Double(max(1, entries - m))
        var errors = (0..<m).map { (variance * max(0, inverse[$0 * m + $0])).squareRoot() }
        // The anchor's weight is 1 − Σ w: its variance is the sum of the covariance matrix.
        let anchorVariance = variance * inverse.reduce(0, +)
        errors.insert(max(0, anchorVariance).squareRoot(), at: 0)
        return Fit(members: members, weights: [1 - w.reduce(0, +)] + w, standardErrors: errors, residual: residual, offset: offset)
    }

    /// Grows the pair (`first`, `second`) with further references from `candidates` while each
    /// addition meets the thresholds; returns the larger merge and each addition with the fits
    /// before and after it, or nil when none qualified.
    func extend(pair first: Int, _ second: Int, candidates: [Int]) -> (fit: Fit, added: [(index: Int, before: Fit, after: Fit)])? {
        guard var current = fit([first, second]) else { return nil }
        var added: [(index: Int, before: Fit, after: Fit)] = []
        while current.members.count < Self.maximumMembers {
            let options = candidates.filter { !current.members.contains($0) }.compactMap { fit(current.members + [$0]) }
            guard let best = options.min(by: { $0.residual < $1.residual }),
                  best.residual <= Self.residualReduction * current.residual,
                  zip(best.weights, best.standardErrors).allSatisfy({ $0 >= Self.minimumWeight && $0 >= Self.minimumZ * $1 })
            else { break }
            added.append((best.members.last!, current, best))
            current = best
        }
        return added.isEmpty ? nil : (current, added)
    }

    /// Gauss–Jordan inverse with partial pivoting; nil when the matrix is (nearly) singular.
    static func invert(_ matrix: [Double], size n: Int) -> [Double]? {
        var a = matrix
        var inverse = [Double](repeating: 0, count: n * n)
        for i in 0..<n { inverse[i * n + i] = 1 }
        let scale = (0..<n).map { abs(matrix[$0 * n + $0]) }.max() ?? 0
        guard scale > 0 else { return nil }
        for column in 0..<n {
            let pivot = (column..<n).max { abs(a[$0 * n + column]) < abs(a[$1 * n + column]) }!
            guard abs(a[pivot * n + column]) > 1e-12 * scale else { return nil }
            if pivot != column {
                for k in 0..<n {
                    a.swapAt(pivot * n + k, column * n + k)
                    inverse.swapAt(pivot * n + k, column * n + k)
                }
            }
            let divisor = a[column * n + column]
            for k in 0..<n { a[column * n + k] /= divisor; inverse[column * n + k] /= divisor }
            for row in 0..<n where row != column {
                let factor = a[row * n + column]
                guard factor != 0 else { continue }
                for k in 0..<n {
                    a[row * n + k] -= factor * a[column * n + k]
                    inverse[row * n + k] -= factor * inverse[column * n + k]
                }
            }
        }
        return inverse
    }
}
