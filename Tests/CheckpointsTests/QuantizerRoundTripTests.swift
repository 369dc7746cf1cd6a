import Checkpoints
import Foundation
import Testing

@Suite("Quantization to the K-quants, the lattice types and Q1_0")
struct QuantizerRoundTripTests {
    /// Relative rms error of a quantize → dequantize round trip on Gaussian values, measured
    /// with this search (`swift test --filter QuantizerRoundTripTests` prints them), rounded up.
    static let errorBounds: [DType: Double] = [
        .iq4NL: 0.09, .q6K: 0.02, .q5K: 0.04, .q4K: 0.08, .q3K: 0.20, .q2K: 0.40,
        .iq3S: 0.15, .iq3XXS: 0.20, .iq2S: 0.28, .iq2XS: 0.33, .iq2XXS: 0.38, .iq1M: 0.53, .iq1S: 0.61, .q1_0: 0.62,
    ]

    /// Deterministic Gaussian values (Box–Muller over a 64-bit LCG).
    static func gaussian(_ count: Int, seed: UInt64, scale: Float) -> [Float] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        func uniform() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (Double(state >> 11) + 0.5) / Double(1 << 53)
        }
        return (0..<count).map { _ in Float((-2 * log(uniform())).squareRoot() * cos(2 * .pi * uniform())) * scale }
    }

    @Test("round trips stay within the measured error, signs survive, zero blocks stay zero", arguments: GGMLQuantizer.kQuantTypes + GGMLQuantizer.latticeTypes)
    func roundTrip(_ dtype: DType) throws {
        let perBlock = dtype.block.elements
        var values = Self.gaussian(16 * 256, seed: 7, scale: 0.02)
        values += [Float](repeating: 0, count: perBlock)
        var outlier = Self.gaussian(perBlock, seed: 8, scale: 0.02)
        outlier[5] = -0.5
        values += outlier
        let blocks = GGMLQuantizer.quantize(values, as: dtype)
        #expect(blocks.count == values.count / perBlock * dtype.block.bytes)
        let decoded = decode(blocks, as: dtype)
        #expect(decoded.count == values.count)
        let gaussianCount = 16 * 256
        var errorSquares = 0.0, norm = 0.0, signAgreements = 0
        for index in 0..<gaussianCount {
            let difference = Double(decoded[index] - values[index])
            errorSquares += difference * difference
            norm += Double(values[index]) * Double(values[index])
            if (decoded[index] < 0) == (values[index] < 0) { signAgreements += 1 }
        }
        let relativeError = (errorSquares / norm).squareRoot()
        print("round trip \(dtype.name): relative rms error \(String(format: "%.4f", relativeError)), signs kept \(signAgreements)/\(gaussianCount)")
        let bound = try #require(Self.errorBounds[dtype])
        #expect(relativeError <= bound, "\(dtype.name): \(relativeError)")
        // IQ1 codebooks hold zeros (a small value may land on the ±⅛ offset's side); parity
        // types give up the sign of one small value in an odd-signed 8; 2- and 3-bit K-quants
        // round small values to a code near zero of either sign.
        let keptSigns = [.iq1S, .iq1M].contains(dtype) ? 0.7 : [.q2K, .q3K].contains(dtype) ? 0.85 : 0.9
        #expect(Double(signAgreements) >= keptSigns * Double(gaussianCount), "\(dtype.name)")
        #expect(decoded[gaussianCount..<gaussianCount + perBlock].allSatisfy { $0 == 0 }, "\(dtype.name): zero block")
        let outlierDecoded = decoded[gaussianCount + perBlock + 5]
        // Q1_0 keeps one magnitude per 128 values (their mean), so only the outlier's sign.
        #expect(outlierDecoded < (dtype == .q1_0 ? 0 : -0.25), "\(dtype.name): the outlier decodes to \(outlierDecoded)")
        #expect(GGMLQuantizer.quantize(values, as: dtype) == blocks, "\(dtype.name): not deterministic")
    }
}
