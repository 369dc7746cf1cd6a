import Dispatch

/// A change of the residual basis that no permutation explains — a copy whose residual stream
/// was rotated by an orthogonal matrix (DESIGN.md attack 5; QuaRot and SpinQuant releases do it
/// too, to quantize better) — fitted from the token embeddings of both sides by least squares:
/// each suspect embedding row ≈ the reference's row · `matrix`. Every matrix that reads or
/// writes the stream turns by the same matrix, so one fit lines the whole model up.
struct StreamRotation: Sendable {
    /// The residual width d.
    let width: Int
    /// X, row-major d × d: suspect vector ≈ reference vector · X (row vectors).
    let matrix: [Float]
    /// Token rows the fit used, and the rows held out to test it.
    let fittedTokens: Int
    let heldOutTokens: Int
    /// ‖E′ₕ − Eₕ·X‖ / ‖E′ₕ‖ over the held-out token rows: ≈ 0 for a rotated copy, the relative
    /// size of any change for a changed one, ≈ 1 or more for unrelated embeddings.
    let heldOutResidual: Double
    /// ‖X·Xᵀ − I‖ / √n over n ≤ 64 evenly spaced rows: ≈ 0 when the change of basis is a
    /// rotation (orthogonal).
    let orthogonalityError: Double

    /// The largest held-out residual taken as the same embeddings in another basis: a change
    /// of half the rows' size is still the reference's (a fine-tune moves far less), while
    /// unrelated embeddings leave ≈ 1.
    static let maximumResidual = 0.5

    /// How many token rows more than d the fit uses, as a fraction of d: least squares with
    /// barely more rows than unknowns amplifies noise (by ≈ √(d / extra)).
    static let extraTokenFraction = 0.5

    /// The held-out token rows that test the fit.
    static let heldOutCount = 128

    /// Token rows a fit of width `d` reads: the fitted ones, then the held-out ones — at least
    /// d · (1 + `extraTokenFraction`), more while the normal equations stay within 2³¹
    /// multiply-adds (every token added beyond d shrinks the noise the fit passes on).
    static func tokenCount(width d: Int) -> Int {
        max(d + max(32, Int(Double(d) * extraTokenFraction)), (1 << 31) / max(d * d, 1)) + heldOutCount
    }

    /// Fits X from `reference` and `suspect` token rows (`rows` × `width` each, row-major, the
    /// same token ids in the same order); the last `heldOut` rows only test it. Nil when there
    /// are too few rows or they span less than the full width (the normal equations are
    /// singular).
    static func fit(reference: [Float], suspect: [Float], rows: Int, width d: Int, heldOut: Int = heldOutCount) -> StreamRotation? {
        guard reference.count == rows * d, suspect.count == rows * d else { return nil }
        return fit(rows: rows, width: d, heldOut: heldOut) { range in
            (Array(reference[range.lowerBound * d..<range.upperBound * d]), Array(suspect[range.lowerBound * d..<range.upperBound * d]))
        }
    }

    /// The same, the token rows delivered in blocks by `read` (rows `range` of each side,
    /// row-major): the rows never need to be in memory at once (3 072 rows of an embedding
    /// 2 048 wide are 50 MB a side).
    static func fit(rows: Int, width d: Int, heldOut: Int = heldOutCount,
                    read: (Range<Int>) throws -> (reference: [Float], suspect: [Float])) rethrows -> StreamRotation? {
        let fitted = rows - heldOut
        guard d > 0, heldOut > 0, fitted >= d + 8 else { return nil }
        // Normal equations G·X = B with G = EᵀE and B = EᵀE′, in Double.
        var g = [Double](repeating: 0, count: d * d), b = g
        let block = 256
        for first in stride(from: 0, to: fitted, by: block) {
            let range = first..<min(fitted, first + block)
            let (e, f) = try read(range)
            guard e.count == range.count * d, f.count == range.count * d else { return nil }
            accumulateGram(e, f, rows: range.count, width: d, gram: &g, cross: &b)
        }
        guard cholesky(&g, width: d) else { return nil }
        solve(lower: g, right: &b, width: d)
        g = []
        let x = b.map { Float($0) }

        // Held-out rows: how much of E′ the fit leaves unexplained.
        let (reference, suspect) = try read(fitted..<rows)
        guard reference.count == heldOut * d, suspect.count == heldOut * d else { return nil }
        var residual = 0.0, total = 0.0
        var predicted = [Float](repeating: 0, count: d)
        for row in 0..<heldOut {
            let r = Array(reference[row * d..<(row + 1) * d])
            transform(r, by: x, width: d, into: &predicted)
            for j in 0..<d {
                let target = Double(suspect[row * d + j])
                residual += (target - Double(predicted[j])) * (target - Double(predicted[j]))
                total += target * target
            }
        }
        guard total > 0 else { return nil }
        // X·Xᵀ − I (zero exactly when the square X is orthogonal) over evenly spaced rows: the
        // whole product would cost d³.
        let sampled = (0..<min(d, 64)).map { $0 * d / min(d, 64) }
        var deviation = 0.0
        for (a, i) in sampled.enumerated() {
            for j in sampled[a...] {
                var dot = 0.0
                for k in 0..<d { dot += b[i * d + k] * b[j * d + k] }
                let off = dot - (i == j ? 1 : 0)
                deviation += off * off * (i == j ? 1 : 2)
            }
        }
        return StreamRotation(width: d, matrix: x, fittedTokens: fitted, heldOutTokens: heldOut,
                              heldOutResidual: (residual / total).squareRoot(),
                              orthogonalityError: (deviation / Double(sampled.count)).squareRoot())
    }

    /// Whether the fit lines the embeddings up.
    var linesUp: Bool { heldOutResidual <= Self.maximumResidual }

    // MARK: - Applying it

    /// `vector` (d values) · X into `output` (d values).
    func transform(_ vector: [Float], into output: inout [Float]) {
        Self.transform(vector, by: matrix, width: width, into: &output)
    }

    /// `vector` · X, Float accumulation over rows of X (each output is a sum of d products of
    /// unit-scale values: far from Float's precision limits at d ≤ 16 384).
    static func transform(_ vector: [Float], by x: [Float], width d: Int, into output: inout [Float]) {
        if output.count != d { output = [Float](repeating: 0, count: d) }
        output.withUnsafeMutableBufferPointer { out in
            for j in 0..<d { out[j] = 0 }
            x.withUnsafeBufferPointer { x in
                for i in 0..<d {
                    let a = vector[i]
                    guard a != 0 else { continue }
                    let row = i * d
                    for j in 0..<d { out[j] += a * x[row + j] }
                }
            }
        }
    }

    /// The columns `positions` of X, d × positions.count row-major: the products of whole vectors
    /// at a few positions (signatures) for d · positions multiply-adds each.
    func columns(_ positions: [Int]) -> [Float] {
        var result = [Float](repeating: 0, count: width * positions.count)
        for i in 0..<width {
            for (k, position) in positions.enumerated() { result[i * positions.count + k] = matrix[i * width + position] }
        }
        return result
    }

    // MARK: - Linear algebra

    /// G += EᵀE (its lower triangle: G is symmetric and the Cholesky factor reads no more) and
    /// B += EᵀE′ over the first `rows` rows. Blocks of 32 rows, widened to Double once and kept
    /// transposed as well, pass over each output row four rows at a time, so a row of G and B
    /// is loaded and stored once per four products; output rows are split over the cores.
    private static func accumulateGram(_ e: [Float], _ f: [Float], rows: Int, width d: Int, gram: inout [Double], cross: inout [Double]) {
        let block = 32, chunk = max(1, min(64, d / 4))
        gram.withUnsafeMutableBufferPointer { gram in
            cross.withUnsafeMutableBufferPointer { cross in
                let g = IndexMatching.SendableBuffer(gram), c = IndexMatching.SendableBuffer(cross)
                for first in stride(from: 0, to: rows, by: block) {
                    let count = min(rows, first + block) - first
                    // Row-major (t, j) for the products, transposed (i, t) for the coefficients.
                    var wideE = [Double](repeating: 0, count: count * d), wideF = wideE, transposed = wideE
                    for t in 0..<count {
                        for j in 0..<d {
                            let value = Double(e[(first + t) * d + j])
                            wideE[t * d + j] = value
                            transposed[j * count + t] = value
                            wideF[t * d + j] = Double(f[(first + t) * d + j])
                        }
                    }
                    wideE.withUnsafeBufferPointer { we in
                        wideF.withUnsafeBufferPointer { wf in
                            transposed.withUnsafeBufferPointer { et in
                                let we = IndexMatching.ReadOnlyBuffer(we), wf = IndexMatching.ReadOnlyBuffer(wf), et = IndexMatching.ReadOnlyBuffer(et)
                                DispatchQueue.concurrentPerform(iterations: (d + chunk - 1) / chunk) { part in
                                    for i in part * chunk..<min(d, (part + 1) * chunk) {
                                        let rowG = g.base.baseAddress! + i * d, rowC = c.base.baseAddress! + i * d
                                        let a = et.base.baseAddress! + i * count
                                        var t = 0
                                        while t + 4 <= count {
                                            let a0 = a[t], a1 = a[t + 1], a2 = a[t + 2], a3 = a[t + 3]
                                            let p0 = we.base.baseAddress! + t * d, p1 = p0 + d, p2 = p1 + d, p3 = p2 + d
                                            let q0 = wf.base.baseAddress! + t * d, q1 = q0 + d, q2 = q1 + d, q3 = q2 + d
                                            for j in 0...i { rowG[j] += a0 * p0[j] + a1 * p1[j] + a2 * p2[j] + a3 * p3[j] }
                                            for j in 0..<d { rowC[j] += a0 * q0[j] + a1 * q1[j] + a2 * q2[j] + a3 * q3[j] }
                                            t += 4
                                        }
                                        while t < count {
                                            let a0 = a[t], p0 = we.base.baseAddress! + t * d, q0 = wf.base.baseAddress! + t * d
                                            for j in 0...i { rowG[j] += a0 * p0[j] }
                                            for j in 0..<d { rowC[j] += a0 * q0[j] }
                                            t += 1
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Replaces the lower triangle of the symmetric `g` by its Cholesky factor L (G = L·Lᵀ);
    /// false when G is not safely positive definite: a pivot keeping less than 10⁻⁷ of its
    /// diagonal is a direction the rows do not span (what is left there is Float rounding).
    private static func cholesky(_ g: inout [Double], width d: Int) -> Bool {
        for i in 0..<d {
            let diagonal = g[i * d + i]
            for j in 0...i {
                var sum = g[i * d + j]
                for k in 0..<j { sum -= g[i * d + k] * g[j * d + k] }
                if i == j {
                    guard diagonal > 0, sum > diagonal * 1e-7 else { return false }
                    g[i * d + i] = sum.squareRoot()
                } else {
                    g[i * d + j] = sum / g[j * d + j]
                }
            }
        }
        return true
    }

    /// Solves L·Lᵀ·X = B in place of B: row operations on blocks of 128 columns (a block of X,
    /// d × 128 Doubles, stays in cache while L streams past it), four source rows per pass over
    /// the target row, the blocks split over the cores.
    private static func solve(lower l: [Double], right b: inout [Double], width d: Int) {
        let chunk = 128
        b.withUnsafeMutableBufferPointer { buffer in
            let x = IndexMatching.SendableBuffer(buffer)
            l.withUnsafeBufferPointer { l in
                let l = IndexMatching.ReadOnlyBuffer(l)
                DispatchQueue.concurrentPerform(iterations: (d + chunk - 1) / chunk) { part in
                    let first = part * chunk, width = min(d, first + chunk) - first
                    let base = x.base.baseAddress! + first, lower = l.base.baseAddress!
                    // The target row i minus Σ factor(k)·row k over `sources`, four at a time.
                    func eliminate(_ i: Int, _ sources: [Int], factor: (Int) -> Double) {
                        let target = base + i * d
                        var index = 0
                        while index + 4 <= sources.count {
                            let k0 = sources[index], k1 = sources[index + 1], k2 = sources[index + 2], k3 = sources[index + 3]
                            let f0 = factor(k0), f1 = factor(k1), f2 = factor(k2), f3 = factor(k3)
                            let r0 = base + k0 * d, r1 = base + k1 * d, r2 = base + k2 * d, r3 = base + k3 * d
                            for j in 0..<width { target[j] -= f0 * r0[j] + f1 * r1[j] + f2 * r2[j] + f3 * r3[j] }
                            index += 4
                        }
                        while index < sources.count {
                            let k = sources[index], f = factor(k), r = base + k * d
                            for j in 0..<width { target[j] -= f * r[j] }
                            index += 1
                        }
                        let pivot = 1 / lower[i * d + i]
                        for j in 0..<width { target[j] *= pivot }
                    }
                    // L·Y = B, top down; then Lᵀ·X = Y, bottom up.
                    for i in 0..<d { eliminate(i, Array(0..<i)) { lower[i * d + $0] } }
                    for i in stride(from: d - 1, through: 0, by: -1) { eliminate(i, Array(i + 1..<d)) { lower[$0 * d + i] } }
                }
            }
        }
    }
}
