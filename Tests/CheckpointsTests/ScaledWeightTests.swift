import CheckpointFixtures
import Checkpoints
import Foundation
import Testing

/// Quantized weights stored with a companion tensor of scale factors: block-scaled FP8 as
/// DeepSeek-V3 and Qwen3-FP8 publish it (`weight_scale_inv`), per-channel INT8 and per-tensor
/// FP8 as compressed-tensors does (`weight_scale`).
@Suite("Scaled weights are read as codes × factors")
struct ScaledWeightTests {
    /// F8_E4M3 codes that are finite (0x7F and 0xFF are NaN).
    static func codes(rows: Int, columns: Int) -> [UInt8] {
        (0..<(rows * columns)).map { index in
            let code = UInt8((index / columns * 7 + index % columns * 3) % 0x7E)
            return index % 5 == 0 ? code | 0x80 : code
        }
    }

    static func f32Bytes(_ values: [Float]) -> [UInt8] {
        values.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
    }

    /// Writes `tensors` as one safetensors file and opens it.

    @Test("128 × 128 block factors (DeepSeek-V3 layout) multiply the codes of their block, however the tensor is read")
    func blockScaled() throws {
        let directory = try TemporaryDirectory()
        let rows = 130, columns = 260
        let codes = Self.codes(rows: rows, columns: columns)
        let factors: [Float] = [0.5, 2, 4, 0.25, 8, 1.5]
        let reader = try openSafetensors([
            .init(name: "mlp.down_proj.weight", dtype: .f8E4M3, shape: [rows, columns], bytes: codes),
            .init(name: "mlp.down_proj.weight_scale_inv", dtype: .f32, shape: [2, 3], bytes: Self.f32Bytes(factors)),
        ], in: directory)
        let weight = try #require(reader.checkpoint.tensor(named: "mlp.down_proj.weight"))
        let scale = try #require(weight.scale)
        #expect(scale.name == "mlp.down_proj.weight_scale_inv")
        #expect(scale.granularity == .block && scale.blockRows == 128 && scale.blockColumns == 128)
        #expect(scale.description == "128×128 block")
        #expect(reader.checkpoint.tensor(named: "mlp.down_proj.weight_scale_inv")?.scaledWeight == "mlp.down_proj.weight")

        let expected = (0..<(rows * columns)).map { index in
            FloatBits.float8E4M3(codes[index]) * factors[(index / columns / 128) * 3 + index % columns / 128]
        }
        // Chunks of 1000 bytes start mid-row and mid-block.
        for chunkBytes in [1000, 4096, CheckpointReader.defaultChunkBytes] {
            #expect(sameBits(try readAllFloats(reader, weight, chunkBytes: chunkBytes), expected), "chunks of \(chunkBytes) bytes")
        }
        // Random access across the row-block boundary (rows 127–128) and a column-block boundary.
        let range = (127 * columns + 250)..<(128 * columns + 10)
        var values = [Float](repeating: .nan, count: range.count)
        try values.withUnsafeMutableBufferPointer { try reader.readElements(of: weight, range: range, into: $0) }
        #expect(sameBits(values, Array(expected[range])))
        // The factors' own tensor reads as itself.
        let companion = try #require(reader.checkpoint.tensor(named: "mlp.down_proj.weight_scale_inv"))
        #expect(try readAllFloats(reader, companion) == factors)
    }

    @Test("a factor tensor in another shard than its weight is found through the index")
    func acrossShards() throws {
        let directory = try TemporaryDirectory()
        let codes = Self.codes(rows: 3, columns: 4)
        let sharded = ShardedCheckpoint(shards: [
            [.init(name: "w.weight_scale_inv", shape: [1, 1], values: [0.75])],
            [.init(name: "x.bias", shape: [4], values: [1, 2, 3, 4]), .init(name: "w.weight", dtype: .f8E4M3, shape: [3, 4], bytes: codes)],
        ])
        let reader = try CheckpointReader(path: try sharded.write(into: directory))
        let weight = try #require(reader.checkpoint.tensor(named: "w.weight"))
        #expect(weight.fileIndex == 1 && weight.scale?.fileIndex == 0)
        #expect(try readAllFloats(reader, weight) == codes.map { FloatBits.float8E4M3($0) * 0.75 })
        // The factors are not parameters of the model.
        #expect(reader.checkpoint.parameterCount == 4 + 12)
    }

    @Test("PyTorch archives: INT8 weights keep their factor tensor and read as the same values; FP8 weights (no torch typed storage) are written as their values")
    func pytorchArchive() throws {
        let directory = try TemporaryDirectory()
        let codes = Self.codes(rows: 130, columns: 260)
        let integers = codes.map { $0 &- 60 }
        let safetensors = try openSafetensors([
            .init(name: "w.weight", dtype: .f8E4M3, shape: [130, 260], bytes: codes),
            .init(name: "w.weight_scale_inv", dtype: .f32, shape: [2, 3], bytes: Self.f32Bytes([1, 2, 3, 4, 5, 6])),
            .init(name: "q.weight", dtype: .i8, shape: [130, 260], bytes: integers),
            .init(name: "q.weight_scale", dtype: .f32, shape: [130], bytes: Self.f32Bytes((0..<130).map { Float($0) / 64 })),
        ], in: directory)
        let path = directory.path("model.bin")
        try CheckpointConversion.writePyTorch(from: safetensors, to: path)
        let pytorch = try CheckpointReader(path: path)
        #expect(pytorch.checkpoint.format == .pytorch)
        #expect(pytorch.checkpoint.tensors.map(\.name).sorted() == ["q.weight", "q.weight_scale", "w.weight"])
        let q = try #require(pytorch.checkpoint.tensor(named: "q.weight"))
        #expect(q.dtype == .i8 && q.scale?.name == "q.weight_scale" && q.scale?.granularity == .row)
        let w = try #require(pytorch.checkpoint.tensor(named: "w.weight"))
        #expect(w.dtype == .f32 && w.scale == nil)
        for name in ["q.weight", "w.weight"] {
            #expect(sameBits(try readAllFloats(pytorch, pytorch.checkpoint.tensor(named: name)!),
                             try readAllFloats(safetensors, safetensors.checkpoint.tensor(named: name)!)), "\(name)")
        }
    }

    @Test("a DeepSeek-style FP8 file and a compressed-tensors INT8 weight made by numpy/ml_dtypes read as numpy dequantizes them, bit for bit")
    func independentReference() throws {
        // Fixtures/make_scaled_fixtures.py: ragged 128 × 128 blocks (130 × 140), per-channel INT8.
        let reader = try CheckpointReader(path: FormatFixtures.path("Scaled/deepseek-fp8.safetensors"))
        for (name, expected) in [("model.layers.0.mlp.down_proj.weight", "Scaled/down_proj.expected.f32"),
                                 ("model.layers.0.self_attn.o_proj.weight", "Scaled/o_proj.expected.f32")] {
            let tensor = try #require(reader.checkpoint.tensor(named: name))
            #expect(tensor.scale != nil, "\(name)")
            #expect(sameBits(try readAllFloats(reader, tensor, chunkBytes: 1000), try FormatFixtures.floats(expected)), "\(name)")
        }
    }

    @Test("per-row INT8 factors, per-tensor FP8 factors and compressed-tensors group factors")
    func otherGranularities() throws {
        let directory = try TemporaryDirectory()
        let rows = 4, columns = 64
        let integers: [Int8] = (0..<(rows * columns)).map { Int8(truncatingIfNeeded: $0 * 37 % 255 - 127) }
        let rowFactors: [Float] = [0.01, 0.02, 0.5, 3]
        let groupFactors: [Float] = (0..<(rows * 2)).map { Float($0 + 1) / 8 }
        let codes = Self.codes(rows: rows, columns: columns)
        let reader = try openSafetensors([
            .init(name: "a.weight", dtype: .i8, shape: [rows, columns], bytes: integers.map { UInt8(bitPattern: $0) }),
            .init(name: "a.weight_scale", dtype: .f32, shape: [rows, 1], bytes: Self.f32Bytes(rowFactors)),
            .init(name: "b.weight", dtype: .f8E5M2, shape: [rows, columns], bytes: codes),
            .init(name: "b.weight_scale", shape: [], values: [0.125], as: .bf16),
            .init(name: "c.weight", dtype: .f8E4M3, shape: [rows, columns], bytes: codes),
            .init(name: "c.weight_scale", dtype: .f32, shape: [rows, 2], bytes: Self.f32Bytes(groupFactors)),
        ], in: directory)
        let a = try #require(reader.checkpoint.tensor(named: "a.weight"))
        #expect(a.scale?.granularity == .row && a.scale?.blockRows == 1 && a.scale?.blockColumns == columns)
        #expect(try readAllFloats(reader, a) == (0..<(rows * columns)).map { Float(integers[$0]) * rowFactors[$0 / columns] })
        let b = try #require(reader.checkpoint.tensor(named: "b.weight"))
        #expect(b.scale?.granularity == .tensor && b.scale?.description == "per-tensor")
        // Codes 0x7C… are E5M2 infinities and NaNs: they stay so.
        #expect(sameBits(try readAllFloats(reader, b), codes.map { FloatBits.float8E5M2($0) * 0.125 }))
        let c = try #require(reader.checkpoint.tensor(named: "c.weight"))
        #expect(c.scale?.granularity == .block && c.scale?.blockRows == 1 && c.scale?.blockColumns == 32)
        #expect(try readAllFloats(reader, c) == (0..<(rows * columns)).map {
            FloatBits.float8E4M3(codes[$0]) * groupFactors[($0 / columns) * 2 + $0 % columns / 32]
        })
    }

    @Test("an FP8 weight without a companion, and a float weight next to a tensor named like one, are read as stored")
    func unscaled() throws {
        let directory = try TemporaryDirectory()
        let codes = Self.codes(rows: 2, columns: 8)
        let reader = try openSafetensors([
            .init(name: "plain.weight", dtype: .f8E4M3, shape: [2, 8], bytes: codes),
            .init(name: "float.weight", shape: [2, 8], values: (0..<16).map(Float.init), as: .bf16),
            .init(name: "float.weight_scale", shape: [], values: [3]),
        ], in: directory)
        #expect(reader.checkpoint.tensors.allSatisfy { $0.scale == nil && $0.scaledWeight == nil })
        #expect(try readAllFloats(reader, reader.checkpoint.tensor(named: "plain.weight")!) == codes.map(FloatBits.float8E4M3))
        #expect(try readAllFloats(reader, reader.checkpoint.tensor(named: "float.weight")!) == (0..<16).map(Float.init))
    }

    @Test("a companion that is not a float grid of the weight's shape is an error naming file, tensor and rule")
    func malformedCompanions() throws {
        let directory = try TemporaryDirectory()
        let weight = SafetensorsWriter.Tensor(name: "w.weight", dtype: .f8E4M3, shape: [130, 260], bytes: Self.codes(rows: 130, columns: 260))
        let cases: [(String, [SafetensorsWriter.Tensor], CheckpointError.Rule, String)] = [
            ("dtype", [weight, .init(name: "w.weight_scale_inv", dtype: .i32, shape: [2, 3], bytes: [UInt8](repeating: 0, count: 24))],
             .scaleDType(companion: "w.weight_scale_inv", dtype: .i32), "is not a float (rule: scale factors are F32, BF16 or F16)"),
            ("shape", [weight, .init(name: "w.weight_scale_inv", shape: [3, 3], values: [Float](repeating: 1, count: 9))],
             .scaleShape(companion: "w.weight_scale_inv", shape: [3, 3], weightShape: [130, 260]), "which fits no scaling"),
            ("two", [weight, .init(name: "w.weight_scale_inv", shape: [2, 3], values: [Float](repeating: 1, count: 6)),
                     .init(name: "w.weight_scale", shape: [], values: [1])],
             .scaleAmbiguous(companions: ["w.weight_scale_inv", "w.weight_scale"]), "has two scale tensors"),
            ("zero-point", [weight, .init(name: "w.weight_scale", shape: [130, 1], values: [Float](repeating: 1, count: 130)),
                            .init(name: "w.weight_zero_point", dtype: .i8, shape: [130, 1], bytes: [UInt8](repeating: 3, count: 130))],
             .scaleZeroPoint(companion: "w.weight_zero_point"), "this tool does not read (rule: zero points of an I8 weight are I8"),
        ]
        for (name, tensors, rule, sentence) in cases {
            let path = try directory.write(SafetensorsBytes.file(tensors), to: "\(name).safetensors")
            let error = #expect(throws: CheckpointError.self) { _ = try CheckpointReader(path: path) }
            #expect(error?.rule == rule, "\(name)")
            #expect(error?.file == path && error?.tensor == "w.weight", "\(name)")
            #expect(error?.description.contains(sentence) == true, "\(error?.description ?? "")")
        }
    }

    @Test("E4M3 encoding (EightBitTable) picks the nearest finite code, as a search over all codes does")
    func fixtureRounding() {
        let finite: [Float] = (0..<256).filter { $0 & 0x7F != 0x7F }.map { FloatBits.float8E4M3(UInt8($0)) }
        let edges: [Float] = [0, -0.0009765625, 448, 500, -1e6, 0.0029296875]
        for value in QuantizerRoundTripTests.gaussian(4000, seed: 22, scale: 60) + edges {
            let chosen = FloatBits.float8E4M3(EightBitTable.e4m3.code(nearest: value))
            let best = finite.min { abs($0 - value) < abs($1 - value) }!
            #expect(abs(chosen - value) == abs(best - value), "\(value): \(chosen) vs \(best)")
        }
    }

    @Test("the rounding energy read from codes and factors predicts the round trip's squared error, within 20 %")
    func roundingEnergy() throws {
        let rows = 256, columns = 256
        let values = QuantizerRoundTripTests.gaussian(rows * columns, seed: 21, scale: 0.02)
        // Block-scaled FP8 as DeepSeek-V3 makes it: factor = block maximum / 448.
        var factors = [Float](repeating: 0, count: 4)
        for (index, value) in values.enumerated() {
            let cell = (index / columns / 128) * 2 + index % columns / 128
            factors[cell] = max(factors[cell], abs(value) / 448)
        }
        let codes = values.indices.map { EightBitTable.e4m3.code(nearest: values[$0] / factors[($0 / columns / 128) * 2 + $0 % columns / 128]) }
        let directory = try TemporaryDirectory()
        let reader = try openSafetensors([
            .init(name: "w.weight", dtype: .f8E4M3, shape: [rows, columns], bytes: codes),
            .init(name: "w.weight_scale_inv", dtype: .f32, shape: [2, 2], bytes: Self.f32Bytes(factors)),
        ], in: directory)
        let weight = try #require(reader.checkpoint.tensor(named: "w.weight"))
        let scales = try #require(try reader.scaleFactors(of: weight))
        let decoded = try readAllFloats(reader, weight)
        let actual = zip(values, decoded).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
        let expected = codes.withUnsafeBytes { scales.roundingEnergy(ofCodes: $0, dtype: .f8E4M3, firstElement: 0) }
        // Split at an odd element: the sum does not depend on where the codes are cut.
        let split = codes.withUnsafeBytes { bytes in
            scales.roundingEnergy(ofCodes: UnsafeRawBufferPointer(rebasing: bytes[0..<1001]), dtype: .f8E4M3, firstElement: 0)
                + scales.roundingEnergy(ofCodes: UnsafeRawBufferPointer(rebasing: bytes[1001...]), dtype: .f8E4M3, firstElement: 1001)
        }
        print("block-scaled F8_E4M3 rounding: measured / expected \(String(format: "%.3f", actual / expected))")
        #expect(actual / expected > 0.8 && actual / expected < 1.2, "\(actual / expected)")
        #expect(abs(split - expected) <= 1e-9 * expected)

        // Per-row INT8: every code's step is its row's factor.
        let integerFactors: [Float] = (0..<rows).map { row in (0..<columns).reduce(Float(0)) { max($0, abs(values[row * columns + $1])) } / 127 }
        let integers = values.indices.map { UInt8(bitPattern: Int8((values[$0] / integerFactors[$0 / columns]).rounded())) }
        let integerScales = ScaleFactors(
            scale: TensorScale(companion: TensorInfo(name: "f", dtype: .f32, shape: [rows], fileIndex: 0, offset: 0, byteCount: UInt64(rows * 4)),
                               granularity: .row, blockRows: 1, blockColumns: columns),
            weightShape: [rows, columns], factors: integerFactors)
        let integerActual = values.indices.reduce(0.0) { total, index in
            let error = Double(values[index]) - Double(Float(Int8(bitPattern: integers[index])) * integerFactors[index / columns])
            return total + error * error
        }
        let integerExpected = integers.withUnsafeBytes { integerScales.roundingEnergy(ofCodes: $0, dtype: .i8, firstElement: 0) }
        print("per-row INT8 rounding: measured / expected \(String(format: "%.3f", integerActual / integerExpected))")
        #expect(integerActual / integerExpected > 0.8 && integerActual / integerExpected < 1.2, "\(integerActual / integerExpected)")
    }
}
