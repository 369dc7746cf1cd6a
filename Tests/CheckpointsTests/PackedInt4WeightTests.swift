import CheckpointFixtures
import Checkpoints
import Foundation
import Testing

/// compressed-tensors' `pack-quantized` INT4 weights: `B.weight_packed` (I32, eight offset-8
/// codes per word), `B.weight_scale` (per group or per channel), `B.weight_shape`.
@Suite("Packed INT4 weights (compressed-tensors pack-quantized) are read as codes × factors")
struct PackedInt4WeightTests {
    static let rows = 3, columns = 64

    /// Signed codes −8…7, a fixed pattern.
    static func codes() -> [Int] { (0..<(rows * columns)).map { ($0 * 7 + $0 / 5) % 16 - 8 } }

    /// Packed as compressed-tensors' `pack_to_int32` does: `packed |= (value + 8) << (4 · i)` for
    /// the i-th of each eight consecutive values of a row, words stored little-endian.
    static func packed(_ codes: [Int]) -> [UInt8] {
        var bytes: [UInt8] = []
        for word in 0..<(codes.count / 8) {
            var value: UInt32 = 0
            for i in 0..<8 { value |= UInt32(codes[word * 8 + i] + 8) << (4 * i) }
            withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
        }
        return bytes
    }

    static func tensors(scaleShape: [Int], scales: [Float], zeroPoint: Bool = false) -> [SafetensorsWriter.Tensor] {
        let base = "model.layers.0.mlp.down_proj"
        var list: [SafetensorsWriter.Tensor] = [
            .init(name: base + ".weight_packed", dtype: .i32, shape: [rows, columns / 8], bytes: packed(codes())),
            .init(name: base + ".weight_scale", shape: scaleShape, values: scales, as: .bf16),
            .init(name: base + ".weight_shape", dtype: .i64, shape: [2],
                  bytes: [Int64(rows), Int64(columns)].flatMap { value in withUnsafeBytes(of: value.littleEndian, Array.init) }),
        ]
        if zeroPoint {
            list.append(.init(name: base + ".weight_zero_point", dtype: .i8, shape: scaleShape, bytes: [UInt8](repeating: 0, count: scales.count)))
        }
        return list
    }

    @Test("(code − 8) × factor per group of 32 or per channel, whatever the chunk size", arguments: [32, 64])
    func decoding(group: Int) throws {
        let directory = try TemporaryDirectory()
        let groups = Self.columns / group
        // BF16-exact factors of several magnitudes.
        let scales: [Float] = (0..<(Self.rows * groups)).map { [0.0078125, 0.5, 0.01171875, 3][$0 % 4] }
        let reader = try openSafetensors(Self.tensors(scaleShape: [Self.rows, groups], scales: scales), in: directory)
        let weight = try #require(reader.checkpoint.tensor(named: "model.layers.0.mlp.down_proj.weight"))
        #expect(weight.dtype == .i4 && weight.shape == [Self.rows, Self.columns])
        #expect(weight.storedName == "model.layers.0.mlp.down_proj.weight_packed")
        #expect(weight.scale?.description == (groups == 1 ? "per-row" : "1×\(group) block"))
        for companion in [".weight_scale", ".weight_shape"] {
            #expect(reader.checkpoint.tensor(named: "model.layers.0.mlp.down_proj" + companion)?.scaledWeight == weight.name, "\(companion)")
        }
        #expect(reader.checkpoint.parameterCount == Self.rows * Self.columns)
        let codes = Self.codes()
        let expected = codes.indices.map { Float(codes[$0]) * scales[($0 / Self.columns) * groups + ($0 % Self.columns) / group] }
        for chunk in [1, 3, 64, 1 << 20] {
            let difference = firstBitDifference(try readAllFloats(reader, weight, chunkBytes: chunk), expected)
            #expect(difference == nil, "chunk \(chunk): first difference at \(difference ?? "-")")
        }
    }

    @Test("a zero point is refused, a scale of no granularity is an error, and I4 is not a safetensors dtype")
    func malformed() throws {
        let cases: [([SafetensorsWriter.Tensor], String)] = [
            (Self.tensors(scaleShape: [Self.rows, 2], scales: [Float](repeating: 1, count: 6), zeroPoint: true), "zero-point tensor 'model.layers.0.mlp.down_proj.weight_zero_point'"),
            (Self.tensors(scaleShape: [Self.rows, 3], scales: [Float](repeating: 1, count: 9)), "fits no scaling"),
        ]
        try expectOpeningFails(cases, naming: ["model.layers.0.mlp.down_proj.weight_packed"])
        #expect(DType(safetensorsName: "I4") == nil)
        #expect(DType(safetensorsName: "F4") == .f4)
    }
}
