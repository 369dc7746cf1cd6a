import SyntheticModels

/// Random orthogonal matrices for the residual-stream rotation.
enum RandomOrthogonal {
    /// A d × d orthogonal matrix (row-major), Haar-distributed: Gram–Schmidt (applied twice
    /// for accuracy) on the columns of a matrix of independent normal values drawn from `rng`.
    static func matrix(_ d: Int, _ rng: inout SplitMix64) -> [Double] {
        var columns = [[Double]](repeating: [], count: d)
        for j in 0..<d {
            var v = (0..<d).map { _ in SeededRandom.gaussian(&rng) }
            while true {
                for _ in 0..<2 {
                    for i in 0..<j {
                        var dot = 0.0
                        for k in 0..<d { dot += columns[i][k] * v[k] }
                        for k in 0..<d { v[k] -= dot * columns[i][k] }
                    }
                }
                var norm = 0.0
                for k in 0..<d { norm += v[k] * v[k] }
                norm = norm.squareRoot()
                if norm > 1e-6 {
                    for k in 0..<d { v[k] /= norm }
                    break
                }
                // Numerically dependent draw (practically never): draw again.
                v = (0..<d).map { _ in SeededRandom.gaussian(&rng) }
            }
            columns[j] = v
        }
        var matrix = [Double](repeating: 0, count: d * d)
        for i in 0..<d {
            for j in 0..<d { matrix[i * d + j] = columns[j][i] }
        }
        return matrix
    }
}
