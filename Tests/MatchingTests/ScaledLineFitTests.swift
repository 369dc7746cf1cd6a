@testable import Matching
import Testing

/// β(Y | X) from the scaled fit S(suspect) ≈ a·S(X) + b·(S(Y) − S(X)), β = b / a.
@Suite("Lineage coefficient β: the scaled line fit")
struct ScaledLineFitTests {
    /// Deterministic Gaussian-like vectors (sums of uniforms over a 64-bit LCG).
    static func vector(_ count: Int, seed: UInt64, scale: Double = 1) -> [Double] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            var sum = 0.0
            for _ in 0..<4 {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                sum += Double(state >> 11) / Double(1 << 53) - 0.5
            }
            return sum * scale * 1.732
        }
    }

    static let base = vector(20_000, seed: 1)
    /// The release's fine-tune: 5 % of the base's norm.
    static let delta = vector(20_000, seed: 2, scale: 0.05)

    static func fit(_ suspect: [Double]) -> (beta: Double, explained: Double) {
        var line = ScaledLineFit()
        for i in suspect.indices { line.add(suspect: suspect[i], x: base[i], y: base[i] + delta[i]) }
        return line.result
    }

    @Test("a shrunk, noisy copy of Y is at β ≈ 1, where the unscaled projection is biased low")
    func shrunkCopy() {
        let noise = Self.vector(20_000, seed: 3, scale: 0.2)
        let copy = Self.base.indices.map { 0.6 * (Self.base[$0] + Self.delta[$0]) + noise[$0] }
        let beta = Self.fit(copy).beta
        #expect(abs(beta - 1) < 0.15, "β = \(beta)")
        // What the projection ⟨s − x, d⟩ / ‖d‖² gives for the same copy.
        var numerator = 0.0, denominator = 0.0
        for i in copy.indices { numerator += (copy[i] - Self.base[i]) * Self.delta[i]; denominator += Self.delta[i] * Self.delta[i] }
        #expect(numerator / denominator < 0.8, "unscaled β = \(numerator / denominator)")
    }

    @Test("an independent fine-tune of X is at β ≈ 0; linear merges of X and Y at their weight, on the line")
    func siblingAndMerges() {
        let sibling = Self.vector(20_000, seed: 4, scale: 0.05)
        #expect(abs(Self.fit(Self.base.indices.map { Self.base[$0] + sibling[$0] }).beta) < 0.05)
        for weight in [0.25, 0.5, 0.85] {
            let (beta, explained) = Self.fit(Self.base.indices.map { Self.base[$0] + weight * Self.delta[$0] })
            #expect(abs(beta - weight) < 1e-9 && explained > 0.999, "w = \(weight): β = \(beta), explained \(explained)")
        }
    }

    @Test("without a clearly positive scale the fit falls back to the unscaled projection")
    func fallback() {
        let unrelated = Self.vector(20_000, seed: 5)
        let (beta, _) = Self.fit(unrelated)
        var numerator = 0.0, denominator = 0.0
        for i in unrelated.indices { numerator += (unrelated[i] - Self.base[i]) * Self.delta[i]; denominator += Self.delta[i] * Self.delta[i] }
        #expect(abs(beta - numerator / denominator) < 1e-9)
    }
}
