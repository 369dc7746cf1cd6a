import Checkpoints
import Foundation
import Testing

@Suite("Expected rounding energy read from GGML block scales")
struct RoundingEnergyTests {
    static let gridTypes: [DType] = [.q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q2K, .q3K, .q4K, .q5K, .q6K, .iq4NL]

    /// Heavy-tailed values (Student t with 4 degrees of freedom), as trained weights have.
    static func heavyTailed(_ count: Int, seed: UInt64, scale: Float) -> [Float] {
        let normals = QuantizerRoundTripTests.gaussian(count * 5, seed: seed, scale: 1)
        return (0..<count).map { index in
            let chiSquare = (1...4).reduce(Float(0)) { $0 + normals[index * 5 + $1] * normals[index * 5 + $1] }
            return normals[index * 5] / (chiSquare / 4).squareRoot() * scale
        }
    }

    /// Actual squared error of a round trip over the expected one from the stored scales.
    static func measuredOverExpected(_ values: [Float], as dtype: DType) -> Double {
        let blocks = GGMLQuantizer.quantize(values, as: dtype)
        let decoded = decode(blocks, as: dtype)
        let actual = zip(values, decoded).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
        let expected = blocks.withUnsafeBytes { dtype.expectedRoundingEnergy(ofBlocks: $0) }
        return actual / expected
    }

    @Test("the energy predicted from the blocks is the round trip's squared error, within 20 %", arguments: gridTypes)
    func predictsRoundTrip(_ dtype: DType) {
        #expect(dtype.hasRoundingGrid)
        let gaussian = Self.measuredOverExpected(QuantizerRoundTripTests.gaussian(64 * 256, seed: 11, scale: 0.02), as: dtype)
        let heavy = Self.measuredOverExpected(Self.heavyTailed(64 * 256, seed: 12, scale: 0.02), as: dtype)
        print("rounding energy \(dtype.name): measured / expected \(String(format: "%.3f", gaussian)) (Gaussian), \(String(format: "%.3f", heavy)) (t₄)")
        for ratio in [gaussian, heavy] {
            #expect(ratio > 0.8 && ratio < 1.2, "\(dtype.name): \(ratio)")
        }
    }

    @Test("all-zero blocks have no rounding error; scaled values scale the energy by the square")
    func scaling() {
        for dtype in Self.gridTypes {
            let zero = GGMLQuantizer.quantize([Float](repeating: 0, count: dtype.block.elements), as: dtype)
            #expect(zero.withUnsafeBytes { dtype.expectedRoundingEnergy(ofBlocks: $0) } == 0, "\(dtype.name)")
            let values = QuantizerRoundTripTests.gaussian(4 * 256, seed: 13, scale: 0.01)
            let small = GGMLQuantizer.quantize(values, as: dtype).withUnsafeBytes { dtype.expectedRoundingEnergy(ofBlocks: $0) }
            let large = GGMLQuantizer.quantize(values.map { $0 * 4 }, as: dtype).withUnsafeBytes { dtype.expectedRoundingEnergy(ofBlocks: $0) }
            #expect(abs(large / small - 16) < 0.5, "\(dtype.name): \(large / small)")
        }
    }

    @Test("types without a rounding grid predict nothing")
    func withoutGrid() {
        for dtype in [DType.iq2XXS, .iq3S, .iq1M, .q1_0, .mxfp4, .f16, .bf16, .f32] {
            #expect(!dtype.hasRoundingGrid, "\(dtype.name)")
        }
        let blocks = GGMLQuantizer.quantize(QuantizerRoundTripTests.gaussian(256, seed: 14, scale: 0.02), as: .iq3S)
        #expect(blocks.withUnsafeBytes { DType.iq3S.expectedRoundingEnergy(ofBlocks: $0) } == 0)
    }
}
