import ModelFixtures
import Fingerprinting
import Foundation
import Matching
import SyntheticModels
import Testing

/// The false-positive rate on independent pairs must not exceed the significance level.
@Suite("Null calibration over many independent pairs")
struct CalibrationTests {
    static let spec = TransformerSpec(family: .llama, vocabSize: 256, hiddenSize: 32, intermediateSize: 88, layerCount: 2, headCount: 4)
    static let pairs = 200

    @Test("flag rate of independent pairs is at or below α for α = 0.05, 0.01 and the default 1e-6")
    func falsePositiveRate() throws {
        var options = FingerprintOptions()
        options.fileDigests = false
        options.threads = 2
        let fingerprints = try (0...Self.pairs).map { index in
            try Fixtures.fingerprint(ModelGenerator.generate(Self.spec, seed: 10_000 + UInt64(index)), options: options)
        }
        var log10Ps: [Double] = []
        for index in 0..<Self.pairs {
            let result = Scan.compare(fingerprints[index], fingerprints[index + 1])
            log10Ps.append(result.verdict.log10P)
            #expect(result.verdict.kind == .independent, "pair \(index): \(result.verdict.sentence)")
        }
        for alpha in [0.05, 0.01] {
            let rate = Double(log10Ps.filter { $0 < log10(alpha) }.count) / Double(Self.pairs)
            let slack = 3 * (alpha * (1 - alpha) / Double(Self.pairs)).squareRoot()
            #expect(rate <= alpha + slack, "α = \(alpha): empirical rate \(rate)")
        }
        // Not absurdly conservative either: some pairs must land below p = 0.5.
        #expect(log10Ps.filter { $0 < log10(0.5) }.count > Self.pairs / 10)
    }
}
