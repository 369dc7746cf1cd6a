import ModelFixtures
import Checkpoints
@testable import Fingerprinting
import Foundation
import SyntheticModels
import Testing

@Suite("Linear sketches: estimates, null band, transposition, specification")
struct SketchTests {
    /// Sketches a matrix directly from the definition in SketchGeometry (reference implementation).
    static func referenceSketch(_ values: [Float], rows: Int, cols: Int, seed: PublicSeed = .standard) -> [Double] {
        let signs = seed.signs(label: "sign", count: max(rows, cols))
        var sketch = [Double](repeating: 0, count: 64 * 64)
        for i in 0..<rows {
            for j in 0..<cols {
                sketch[(i % 64) * 64 + j % 64] += Double(signs[i]) * Double(signs[j]) * Double(values[i * cols + j])
            }
        }
        return sketch
    }

    static func sketch(_ values: [Float], rows: Int, cols: Int) throws -> [Float] {
        let directory = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try SafetensorsWriter.write([.init(name: "w", shape: [rows, cols], values: values)], to: directory + "/w.safetensors")
        var options = FingerprintOptions()
        options.fileDigests = false
        return try Fingerprinter.fingerprint(path: directory + "/w.safetensors", options: options).tensors[0].sketch
    }

    static func gaussian(_ count: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in rng.nextGaussian() * 0.02 }
    }

    static func trueCosine(_ a: [Float], _ b: [Float]) -> Double {
        var ab = 0.0, aa = 0.0, bb = 0.0
        for i in a.indices { ab += Double(a[i]) * Double(b[i]); aa += Double(a[i]) * Double(a[i]); bb += Double(b[i]) * Double(b[i]) }
        return ab / (aa * bb).squareRoot()
    }

    @Test("the computed sketch matches the specification's definition")
    func matchesDefinition() throws {
        let rows = 130, cols = 70
        let values = Self.gaussian(rows * cols, seed: 1)
        let computed = try Self.sketch(values, rows: rows, cols: cols)
        let reference = Self.referenceSketch(values, rows: rows, cols: cols)
        for index in reference.indices { #expect(abs(Double(computed[index]) - reference[index]) < 1e-5) }
    }

    /// Stated tolerance: |estimated − true cosine| ≤ 0.01 for relative noise up to 0.5.
    @Test("estimated cosine under noise matches the true cosine within 0.01", arguments: [0.001, 0.01, 0.1, 0.5])
    func noisyCopy(relative: Double) throws {
        let rows = 256, cols = 384
        let base = Self.gaussian(rows * cols, seed: 2)
        var rng = SplitMix64(seed: 3)
        let noisy = base.map { $0 + Float(relative) * 0.02 * rng.nextGaussian() }
        let estimate = SketchMath.cosine(try Self.sketch(base, rows: rows, cols: cols), try Self.sketch(noisy, rows: rows, cols: cols))
        let truth = Self.trueCosine(base, noisy)
        #expect(abs(estimate - truth) <= 0.01, "r = \(relative): estimate \(estimate), true \(truth)")
        #expect(truth < 1 - relative * relative / 4)  // the perturbation is real
    }

    /// Stated null band: for independent tensors the estimate is within ±4/64 = ±0.0625 of 0
    /// (the sketch has 4096 buckets, null standard deviation ≈ 1/64), and z ≈ N(0, 1).
    @Test("independent tensors: estimates within the null band, z-scores calibrated")
    func independentNull() throws {
        let rows = 128, cols = 192
        var estimates: [Double] = [], zs: [Double] = []
        for pair in 0..<40 {
            let a = try Self.sketch(Self.gaussian(rows * cols, seed: 100 + UInt64(pair)), rows: rows, cols: cols)
            let b = try Self.sketch(Self.gaussian(rows * cols, seed: 900 + UInt64(pair)), rows: rows, cols: cols)
            estimates.append(SketchMath.cosine(a, b))
            zs.append(SketchMath.zScore(a, b))
        }
        #expect(estimates.allSatisfy { abs($0) < 0.0625 })
        let mean = estimates.reduce(0, +) / Double(estimates.count)
        #expect(abs(mean) < 0.02)
        let zVariance = zs.reduce(0) { $0 + $1 * $1 } / Double(zs.count)
        #expect(zVariance > 0.5 && zVariance < 1.8, "z variance \(zVariance)")
        #expect(zs.filter { abs($0) > 3.5 }.isEmpty)
    }

    @Test("storing a matrix transposed transposes its sketch")
    func transposition() throws {
        let rows = 96, cols = 160
        let values = Self.gaussian(rows * cols, seed: 4)
        let direct = try Self.sketch(values, rows: rows, cols: cols)
        let transposed = try Self.sketch(Fixtures.transpose(values, rows: rows, cols: cols), rows: cols, cols: rows)
        let back = SketchMath.transposed(transposed)
        for index in direct.indices { #expect(abs(direct[index] - back[index]) < 1e-6) }
    }

    @Test("appending 5% new rows (a grown vocabulary) keeps the estimated cosine above 0.95")
    func appendedRows() throws {
        let rows = 1000, cols = 64
        let base = Self.gaussian(rows * cols, seed: 5)
        let extended = base + Self.gaussian(50 * cols, seed: 6)
        let estimate = SketchMath.cosine(try Self.sketch(base, rows: rows, cols: cols), try Self.sketch(extended, rows: rows + 50, cols: cols))
        #expect(estimate > 0.95)
    }

    @Test("rescaling does not change the estimate; sketches are linear")
    func linearity() throws {
        let rows = 64, cols = 128
        let a = Self.gaussian(rows * cols, seed: 7), b = Self.gaussian(rows * cols, seed: 8)
        let sa = try Self.sketch(a, rows: rows, cols: cols), sb = try Self.sketch(b, rows: rows, cols: cols)
        let mix = try Self.sketch(zip(a, b).map { 0.3 * $0 + 0.7 * $1 }, rows: rows, cols: cols)
        for index in mix.indices { #expect(abs(mix[index] - (0.3 * sa[index] + 0.7 * sb[index])) < 1e-5) }
        let scaled = try Self.sketch(a.map { $0 * -3.5 }, rows: rows, cols: cols)
        #expect(abs(SketchMath.cosine(sa, scaled) + 1) < 1e-6)
    }

    @Test("centring removes a shared constant offset (norm weights ≈ 1)")
    func centring() throws {
        let count = 384
        var rng = SplitMix64(seed: 9)
        let a = (0..<count).map { _ in 1 + 0.05 * rng.nextGaussian() }
        let b = (0..<count).map { _ in 1 + 0.05 * rng.nextGaussian() }
        let directory = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try SafetensorsWriter.write([.init(name: "a", shape: [count], values: a), .init(name: "b", shape: [count], values: b)],
                                    to: directory + "/n.safetensors")
        let fingerprint = try Fingerprinter.fingerprint(path: directory + "/n.safetensors")
        let signs = SignTable(seed: .standard, count: count)
        let raw = SketchMath.cosine(fingerprint.tensors[0].sketch, fingerprint.tensors[1].sketch)
        let centered = SketchMath.cosine(
            SketchMath.centered(fingerprint.tensors[0].sketch, rows: 1, cols: count, mean: fingerprint.tensors[0].statistics!.mean, signs: signs),
            SketchMath.centered(fingerprint.tensors[1].sketch, rows: 1, cols: count, mean: fingerprint.tensors[1].statistics!.mean, signs: signs))
        #expect(raw > 0.9)
        #expect(abs(centered) < 0.35)
    }
}
