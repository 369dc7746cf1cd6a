/// Arithmetic on sketches: centring, transposition, similarity estimates and their null.
public enum SketchMath {
    /// The sketch of `W − mean` (removes a constant offset, e.g. norm weights ≈ 1).
    ///
    /// The sketch of an all-ones r × c matrix is `R ⊗ C`, `R`/`C` the bucket sums of the signs.
    public static func centered(_ sketch: [Float], rows: Int, cols: Int, mean: Double, signs: SignTable) -> [Float] {
        guard mean != 0 else { return sketch }
        let side = SketchGeometry.side
        let columnSums = signs.bucketSums(length: cols)
        if sketch.count == side {
            // Vectors are row 0 of a 1 × n matrix: v[b] = s(0) · Σ_{j≡b} s(j) x_j.
            let rowSign = Double(signs[0])
            return (0..<side).map { Float(Double(sketch[$0]) - mean * rowSign * columnSums[$0]) }
        }
        let rowSums = signs.bucketSums(length: rows)
        var result = sketch
        for a in 0..<side where rowSums[a] != 0 {
            for b in 0..<side {
                result[a * side + b] = Float(Double(sketch[a * side + b]) - mean * rowSums[a] * columnSums[b])
            }
        }
        return result
    }

    /// The transpose of a 64 × 64 sketch (the sketch of the transposed matrix).
    public static func transposed(_ sketch: [Float]) -> [Float] {
        let side = SketchGeometry.side
        guard sketch.count == side * side else { return sketch }
        var result = sketch
        for a in 0..<side { for b in 0..<side { result[b * side + a] = sketch[a * side + b] } }
        return result
    }

    /// Inner product in Double.
    public static func dot(_ x: [Float], _ y: [Float]) -> Double {
        precondition(x.count == y.count)
        var sum = 0.0
        for index in x.indices { sum += Double(x[index]) * Double(y[index]) }
        return sum
    }

    /// Estimated cosine between the sketched tensors: `⟨Sx, Sy⟩ / (‖Sx‖ ‖Sy‖)`.
    public static func cosine(_ x: [Float], _ y: [Float]) -> Double {
        let denominator = (dot(x, x) * dot(y, y)).squareRoot()
        return denominator > 0 ? dot(x, y) / denominator : 0
    }

    /// The self-normalised statistic `z = ⟨Sx, Sy⟩ / √(Σ_b Sx_b² Sy_b²)`.
    ///
    /// If `y` is independent of `x` with sign-symmetric entries (independently initialised
    /// weights), the bucket values `Sy_b` are independent and symmetric, so conditionally on
    /// their magnitudes `z` is a normalised Rademacher sum: approximately N(0, 1), and
    /// `P(|z| ≥ t) ≤ 2·exp(−t²/2)` exactly (Hoeffding).
    public static func zScore(_ x: [Float], _ y: [Float]) -> Double {
        precondition(x.count == y.count)
        var inner = 0.0, variance = 0.0
        for index in x.indices {
            let product = Double(x[index]) * Double(y[index])
            inner += product
            variance += product * product
        }
        return variance > 0 ? inner / variance.squareRoot() : 0
    }
}
