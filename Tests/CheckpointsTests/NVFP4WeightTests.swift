import CheckpointFixtures
import Checkpoints
import Foundation
import Testing

/// NVFP4 weights as ModelOpt (`W`, `W_scale`, `W_scale_2`) and compressed-tensors
/// (`B.weight_packed`, `B.weight_scale`, `B.weight_global_scale`) store them.
@Suite("NVFP4 codes, block scales and per-tensor scale are read as one scaled F4 weight")
struct NVFP4WeightTests {
    /// F8_E4M3 (OCP "fn": bias 7, no infinities, 0x7F/0xFF NaN), written out independently of the reader.
    static func e4m3(_ byte: UInt8) -> Float {
        let sign: Float = byte & 0x80 == 0 ? 1 : -1
        let exponent = Int(byte >> 3) & 0x0F, mantissa = Float(byte & 0x07)
        if byte & 0x7F == 0x7F { return .nan }
        if exponent == 0 { return sign * mantissa / 8 * Float(sign: .plus, exponent: -6, significand: 1) }
        return sign * (1 + mantissa / 8) * Float(sign: .plus, exponent: exponent - 7, significand: 1)
    }

    static let rows = 3, columns = 64  // 64 values per row: 32 bytes of codes, 4 block scales

    static func codes() -> [UInt8] { (0..<(rows * columns / 2)).map { UInt8(truncatingIfNeeded: $0 &* 53 &+ 7) } }
    /// Positive, finite E4M3 codes of several binades (subnormal 0x03 included).
    static func scales() -> [UInt8] { (0..<(rows * columns / 16)).map { [0x38, 0x41, 0x2F, 0x03, 0x50, 0x3A][$0 % 6] } }

    static func tensors(compressedTensors: Bool, global: Float, scaleShape: [Int]? = nil, globalShape: [Int] = [], withGlobal: Bool = true)
        -> [SafetensorsWriter.Tensor] {
        let base = "model.layers.0.mlp.down_proj"
        var list: [SafetensorsWriter.Tensor] = [
            .init(name: base + (compressedTensors ? ".weight_packed" : ".weight"), dtype: .u8, shape: [rows, columns / 2], bytes: codes()),
            .init(name: base + ".weight_scale", dtype: .f8E4M3, shape: scaleShape ?? [rows, columns / 16],
                  bytes: Array(scales().prefix((scaleShape ?? [rows, columns / 16]).reduce(1, *)))),
            .init(name: base + ".input_scale", shape: [], values: [0.5], as: .f32),
        ]
        if withGlobal {
            list.append(.init(name: base + (compressedTensors ? ".weight_global_scale" : ".weight_scale_2"), shape: globalShape,
                              values: Array(repeating: global, count: max(1, globalShape.reduce(1, *))), as: .f32))
        }
        return list
    }

    @Test("code × block scale × scale_2 (ModelOpt) or ÷ global_scale (compressed-tensors), low nibble first, any chunk size",
          arguments: [false, true])
    func decoding(compressedTensors: Bool) throws {
        let directory = try TemporaryDirectory()
        let global: Float = compressedTensors ? 2688.5 : 0.0037
        let reader = try openSafetensors(Self.tensors(compressedTensors: compressedTensors, global: global), in: directory)
        let weight = try #require(reader.checkpoint.tensor(named: "model.layers.0.mlp.down_proj.weight"))
        #expect(weight.dtype == .f4 && weight.shape == [Self.rows, Self.columns])
        #expect(weight.storedName == (compressedTensors ? "model.layers.0.mlp.down_proj.weight_packed" : nil))
        #expect(weight.scale?.description == (compressedTensors ? "1×16 block (÷ per-tensor)" : "1×16 block (× per-tensor)"))
        for companion in [".weight_scale", compressedTensors ? ".weight_global_scale" : ".weight_scale_2"] {
            #expect(reader.checkpoint.tensor(named: "model.layers.0.mlp.down_proj" + companion)?.scaledWeight == weight.name, "\(companion)")
        }
        // Scale tensors are not parameters of the model; the activation scale is one.
        #expect(reader.checkpoint.parameterCount == Self.rows * Self.columns + 1)
        let scales = Self.scales()
        var expected: [Float] = []
        for (byteIndex, byte) in Self.codes().enumerated() {
            let block = Self.e4m3(scales[byteIndex * 2 / 16])
            let factor = compressedTensors ? block / global : block * global
            expected.append(MicroscaledWeightTests.e2m1[Int(byte & 0x0F)] * factor)
            expected.append(MicroscaledWeightTests.e2m1[Int(byte >> 4)] * factor)
        }
        for chunk in [1, 5, 64, 1 << 20] {
            let difference = firstBitDifference(try readAllFloats(reader, weight, chunkBytes: chunk), expected)
            #expect(difference == nil, "chunk \(chunk): first difference at \(difference ?? "-")")
        }
    }

    @Test("block scales of the wrong shape, a missing or non-scalar per-tensor scale: errors naming the tensors and the rule")
    func malformed() throws {
        let cases: [([SafetensorsWriter.Tensor], String)] = [
            (Self.tensors(compressedTensors: false, global: 1, scaleShape: [Self.rows, Self.columns / 32]), "has shape [3, 2], not [3, 4]"),
            (Self.tensors(compressedTensors: false, global: 1, withGlobal: false), "has no per-tensor scale 'model.layers.0.mlp.down_proj.weight_scale_2'"),
            (Self.tensors(compressedTensors: true, global: 1, globalShape: [2]), "is F32 [2], not one F32, BF16 or F16 value"),
        ]
        try expectOpeningFails(cases, naming: ["model.layers.0.mlp.down_proj.weight", "NVFP4", "rule:"])
    }
}
