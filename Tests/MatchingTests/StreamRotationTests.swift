@testable import Matching
import SyntheticModels
import Testing

/// The change of basis `compare --deep` fits from two token embeddings when no permutation lines
/// a rotated copy's residual stream up (`StreamRotation`).
@Suite("Fitting a rotated residual stream")
struct StreamRotationTests {
    /// A random orthogonal d × d matrix (Gram–Schmidt on Gaussian rows), row-major.
    static func orthogonal(_ d: Int, seed: UInt64) -> [Double] {
        var generator = SplitMix64(seed: seed)
        var rows: [[Double]] = []
        while rows.count < d {
            var v = (0..<d).map { _ in Double(generator.nextGaussian()) }
            for u in rows {
                let dot = zip(u, v).reduce(0) { $0 + $1.0 * $1.1 }
                v = zip(v, u).map { $0 - dot * $1 }
            }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            rows.append(v.map { $0 / norm })
        }
        return rows.flatMap { $0 }
    }

    /// `rows` × d Gaussian values.
    static func embedding(_ rows: Int, _ d: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var generator = SplitMix64(seed: seed)
        return (0..<rows * d).map { _ in scale * generator.nextGaussian() }
    }

    /// E · Q (row vectors times a row-major d × d matrix).
    static func times(_ e: [Float], _ q: [Double], d: Int) -> [Float] {
        stride(from: 0, to: e.count, by: d).flatMap { start in
            (0..<d).map { j in Float((0..<d).reduce(0.0) { $0 + Double(e[start + $1]) * q[$1 * d + j] }) }
        }
    }

    @Test("a rotation is recovered: the fitted X is Q, nothing is left unexplained, X·Xᵀ = I")
    func exactRotation() throws {
        let d = 24, rows = 200
        let q = Self.orthogonal(d, seed: 1)
        let e = Self.embedding(rows, d, seed: 2, scale: 0.02)
        let fit = try #require(StreamRotation.fit(reference: e, suspect: Self.times(e, q, d: d), rows: rows, width: d, heldOut: 40))
        #expect(fit.width == d && fit.fittedTokens == 160 && fit.heldOutTokens == 40)
        #expect(fit.heldOutResidual < 1e-5 && fit.orthogonalityError < 1e-4 && fit.linesUp, "\(fit.heldOutResidual) \(fit.orthogonalityError)")
        #expect(zip(fit.matrix, q).allSatisfy { abs(Double($0) - $1) < 1e-4 })
        // Applying it turns a reference vector into the suspect's.
        var turned: [Float] = []
        fit.transform(Array(e[0..<d]), into: &turned)
        let expected = Self.times(Array(e[0..<d]), q, d: d)
        #expect(zip(turned, expected).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    @Test("noise on the copy: the held-out residual is about its size; the fit stays near-orthogonal")
    func noisedRotation() throws {
        let d = 32, rows = 400
        let q = Self.orthogonal(d, seed: 3)
        let e = Self.embedding(rows, d, seed: 4)
        let noise = Self.embedding(rows, d, seed: 5, scale: 0.05)
        let suspect = zip(Self.times(e, q, d: d), noise).map { $0 + $1 }
        let fit = try #require(StreamRotation.fit(reference: e, suspect: suspect, rows: rows, width: d))
        #expect(fit.heldOutResidual > 0.04 && fit.heldOutResidual < 0.08, "\(fit.heldOutResidual)")
        #expect(fit.orthogonalityError < 0.05 && fit.linesUp, "\(fit.orthogonalityError)")
    }

    @Test("unrelated embeddings: least squares explains nothing of the held-out rows, so nothing lines up")
    func unrelated() throws {
        let d = 32, rows = 400
        let fit = try #require(StreamRotation.fit(reference: Self.embedding(rows, d, seed: 6), suspect: Self.embedding(rows, d, seed: 7), rows: rows, width: d))
        #expect(fit.heldOutResidual > 0.9 && !fit.linesUp, "\(fit.heldOutResidual)")
    }

    @Test("too few rows, or rows spanning less than the width: no fit")
    func degenerate() {
        let d = 16
        let few = Self.embedding(d + 20, d, seed: 8)
        #expect(StreamRotation.fit(reference: few, suspect: few, rows: d + 20, width: d, heldOut: 16) == nil)
        // Every row in a 4-dimensional subspace: the normal equations are singular.
        let basis = Self.embedding(4, d, seed: 9)
        var generator = SplitMix64(seed: 10)
        let flat = (0..<300).flatMap { _ -> [Float] in
            let c = (0..<4).map { _ in generator.nextGaussian() }
            return (0..<d).map { j in (0..<4).reduce(Float(0)) { $0 + c[$1] * basis[$1 * d + j] } }
        }
        #expect(StreamRotation.fit(reference: flat, suspect: flat, rows: 300, width: d) == nil)
        #expect(StreamRotation.tokenCount(width: 2048) == 2048 + 1024 + StreamRotation.heldOutCount)
        #expect(StreamRotation.tokenCount(width: 64) == (1 << 31) / 4096 + StreamRotation.heldOutCount)
    }
}
