import CheckpointFixtures
import Checkpoints
import Foundation
import Testing

/// MXFP4 weights as gpt-oss publishes them: `W_blocks` (U8 `[…, G, 16]`, two E2M1 codes per
/// byte, low nibble first) and `W_scales` (U8 `[…, G]`, E8M0 exponents, one per 32 values).
@Suite("MXFP4 blocks and scales (gpt-oss layout) are read as one scaled F4 weight")
struct MicroscaledWeightTests {
    /// E2M1 by code, written out (the OCP MX spec's table; transformers' `FP4_VALUES`).
    static let e2m1: [Float] = [0, 0.5, 1, 1.5, 2, 3, 4, 6, -0.0, -0.5, -1, -1.5, -2, -3, -4, -6]

    @Test("codes × 2^(scale − 127), low nibble first, whatever the chunk size; the scales become a factor tensor")
    func decoding() throws {
        let directory = try TemporaryDirectory()
        let (experts, rows, groups) = (2, 3, 2)
        let blocks = (0..<(experts * rows * groups * 16)).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        let scales: [UInt8] = (0..<(experts * rows * groups)).map { [127, 128, 120, 130, 126, 127][$0 % 6] }
        let reader = try openSafetensors([
            .init(name: "model.layers.0.mlp.experts.down_proj_blocks", dtype: .u8, shape: [experts, rows, groups, 16], bytes: blocks),
            .init(name: "model.layers.0.mlp.experts.down_proj_scales", dtype: .u8, shape: [experts, rows, groups], bytes: scales),
        ], in: directory)
        let weight = try #require(reader.checkpoint.tensor(named: "model.layers.0.mlp.experts.down_proj"))
        #expect(weight.dtype == .f4 && weight.shape == [experts, rows, groups * 32])
        #expect(weight.storedName == "model.layers.0.mlp.experts.down_proj_blocks")
        let factors = try #require(reader.checkpoint.tensor(named: "model.layers.0.mlp.experts.down_proj_scales"))
        #expect(factors.scaledWeight == weight.name && factors.dtype == .f8E8M0)
        // Expected values from the definition.
        var expected: [Float] = []
        for (byteIndex, byte) in blocks.enumerated() {
            let factor = Float(sign: .plus, exponent: Int(scales[byteIndex / 16]) - 127, significand: 1)
            expected.append(Self.e2m1[Int(byte & 0x0F)] * factor)
            expected.append(Self.e2m1[Int(byte >> 4)] * factor)
        }
        for chunk in [1, 7, 64, 1 << 20] {
            let difference = firstBitDifference(try readAllFloats(reader, weight, chunkBytes: chunk), expected)
            #expect(difference == nil, "chunk \(chunk): first difference at \(difference ?? "-")")
        }
        var middle = [Float](repeating: 0, count: 64)
        try middle.withUnsafeMutableBufferPointer { try reader.readElements(of: weight, range: 64..<128, into: $0) }
        #expect(middle == Array(expected[64..<128]))
    }

    @Test("a scales tensor of the wrong shape or dtype is an error naming both tensors and the rule")
    func malformed() throws {
        let blocks = [UInt8](repeating: 0x21, count: 2 * 3 * 16)
        for (dtype, shape, bytes) in [(DType.u8, [2, 4], [UInt8](repeating: 127, count: 8)), (.f32, [2, 3], [UInt8](repeating: 0, count: 24))] {
            let directory = try TemporaryDirectory()
            #expect {
                _ = try openSafetensors([
                    .init(name: "mlp.experts.gate_up_proj_blocks", dtype: .u8, shape: [2, 3, 16], bytes: blocks),
                    .init(name: "mlp.experts.gate_up_proj_scales", dtype: dtype, shape: shape, bytes: bytes),
                ], in: directory)
            } throws: { error in
                let text = "\(error)"
                return text.contains("mlp.experts.gate_up_proj_blocks") && text.contains("mlp.experts.gate_up_proj_scales")
                    && text.contains("MXFP4 scales are U8 (E8M0)")
            }
        }
    }

    @Test("the rounding energy of MXFP4 codes is Σ (E2M1 spacing × factor)² / 12")
    func roundingEnergy() throws {
        let scale = TensorScale(companion: TensorInfo(name: "s", dtype: .f8E8M0, shape: [2], fileIndex: 0, offset: 0, byteCount: 2),
                                granularity: .block, blockRows: 1, blockColumns: 32)
        let factors = ScaleFactors(scale: scale, weightShape: [64], factors: [1, 4])
        let codes = (0..<32).map { UInt8(truncatingIfNeeded: $0 &* 29 &+ 3) }
        // Spacing by magnitude code 0…7: 0.5, 0.5, 0.5, 0.5, 1, 1, 2, 2.
        let spacing: [Double] = [0.5, 0.5, 0.5, 0.5, 1, 1, 2, 2]
        var expected = 0.0
        for (index, byte) in codes.enumerated() {
            let factor = index < 16 ? 1.0 : 4.0
            for code in [byte & 0x0F, byte >> 4] {
                let step = spacing[Int(code & 7)] * factor
                expected += step * step / 12
            }
        }
        let energy = codes.withUnsafeBytes { factors.roundingEnergy(ofCodes: $0, dtype: .f4, firstElement: 0) }
        #expect(abs(energy - expected) <= 1e-12 * expected)
    }
}
