import CheckpointFixtures
import Checkpoints
import Foundation
import Testing

/// compressed-tensors' `pack-quantized` weights: `B.weight_packed` (I32, ⌊32/bits⌋ codes of 2 to
/// 8 bits per word along each row, each the signed code + 2^(bits−1)), `B.weight_scale` (per
/// tensor, channel or group), `B.weight_shape` and, when asymmetric, `B.weight_zero_point`
/// (I32 packed down the rows, or I8).
@Suite("Packed integer weights (compressed-tensors pack-quantized) are read as (code − zero) × factor")
struct PackedIntegerWeightTests {
    static let rows = 11, columns = 64
    static let base = "model.layers.0.mlp.down_proj"

    /// How the zero points of an asymmetric weight are stored.
    enum Zeros { case none, packed, bytes }

    /// A weight quantized with `bits`-bit codes in groups of `group` columns (the whole row for a
    /// channel scale), with BF16-exact factors of several magnitudes and, when asymmetric, zeros.
    struct Quantized {
        var bits: Int, group: Int, zeros: Zeros
        var codes: [Int] = []      // signed, −2^(bits−1) ..< 2^(bits−1)
        var factors: [Float] = []  // [rows, groups]
        var zeroPoints: [Int] = [] // signed, one per factor
        /// Each column's group (`weight_g_idx`, GPTQ's activation order); `nil` for contiguous groups.
        var columnGroups: [Int]?
        var columnGroupsDType = DType.i32

        var groups: Int { PackedIntegerWeightTests.columns / group }

        init(bits: Int, group: Int, zeros: Zeros, activationOrder: Bool = false) {
            (self.bits, self.group, self.zeros) = (bits, group, zeros)
            if activationOrder {
                // Columns ranked by a stand-in for diag(H) (37 is prime to 64: a permutation); each run of `group` ranks is a group.
                columnGroups = (0..<PackedIntegerWeightTests.columns).map { (($0 * 37 + 11) % PackedIntegerWeightTests.columns) / group }
            }
            let half = 1 << (bits - 1), (rows, columns) = (PackedIntegerWeightTests.rows, PackedIntegerWeightTests.columns)
            codes = (0..<(rows * columns)).map { ($0 * 7 + $0 / 5) % (2 * half) - half }
            factors = (0..<(rows * groups)).map { [0.0078125, 0.5, 0.01171875, 3][$0 % 4] }
            zeroPoints = zeros == .none ? [] : (0..<(rows * groups)).map { ($0 * 5 + 3) % (2 * half) - half }
        }

        /// compressed-tensors' `dequantize`: (code − zero point) × scale.
        var values: [Float] {
            (0..<codes.count).map { index in
                let column = index % PackedIntegerWeightTests.columns
                let factor = (index / PackedIntegerWeightTests.columns) * groups + (columnGroups?[column] ?? column / group)
                return Float(codes[index] - (zeroPoints.isEmpty ? 0 : zeroPoints[factor])) * factors[factor]
            }
        }

        /// `pack_to_int32(value, bits, packed_dim)`: values + 2^(bits−1) as unsigned, 32/bits per
        /// word, the first in the lowest bits, consecutive along dim 1 (or along dim 0).
        static func pack(_ values: [Int], rows: Int, columns: Int, bits: Int, alongRows: Bool = false) -> [UInt8] {
            let perWord = 32 / bits, offset = 1 << (bits - 1)
            let shape = alongRows ? [(rows + perWord - 1) / perWord, columns] : [rows, (columns + perWord - 1) / perWord]
            var words = [UInt32](repeating: 0, count: shape[0] * shape[1])
            for row in 0..<rows {
                for column in 0..<columns {
                    let code = UInt32(values[row * columns + column] + offset)
                    if alongRows {
                        words[(row / perWord) * columns + column] |= code << UInt32(bits * (row % perWord))
                    } else {
                        words[row * shape[1] + column / perWord] |= code << UInt32(bits * (column % perWord))
                    }
                }
            }
            return words.flatMap { word in withUnsafeBytes(of: word.littleEndian, Array.init) }
        }

        func tensors(shapeStated: Bool = true) -> [SafetensorsWriter.Tensor] {
            let (rows, columns) = (PackedIntegerWeightTests.rows, PackedIntegerWeightTests.columns)
            let scaleShape = groups == 1 ? [rows, 1] : [rows, groups]
            var list: [SafetensorsWriter.Tensor] = [
                .init(name: base + ".weight_packed", dtype: .i32, shape: [rows, (columns + 32 / bits - 1) / (32 / bits)],
                      bytes: Self.pack(codes, rows: rows, columns: columns, bits: bits)),
                .init(name: base + ".weight_scale", shape: scaleShape, values: factors, as: .bf16),
            ]
            if shapeStated {
                list.append(.init(name: base + ".weight_shape", dtype: .i64, shape: [2],
                                  bytes: [Int64(rows), Int64(columns)].flatMap { value in withUnsafeBytes(of: value.littleEndian, Array.init) }))
            }
            if let columnGroups {
                list.append(.init(name: base + ".weight_g_idx", dtype: columnGroupsDType, shape: [columns], bytes: columnGroups.flatMap { group in
                    columnGroupsDType == .i64 ? withUnsafeBytes(of: Int64(group).littleEndian, Array.init) : withUnsafeBytes(of: Int32(group).littleEndian, Array.init)
                }))
            }
            switch zeros {
            case .none: break
            case .packed:
                list.append(.init(name: base + ".weight_zero_point", dtype: .i32, shape: [(rows + 32 / bits - 1) / (32 / bits), groups],
                                  bytes: Self.pack(zeroPoints, rows: rows, columns: groups, bits: bits, alongRows: true)))
            case .bytes:
                list.append(.init(name: base + ".weight_zero_point", dtype: .i8, shape: scaleShape, bytes: zeroPoints.map { UInt8(bitPattern: Int8($0)) }))
            }
            return list
        }
    }

    /// Reads the weight through chunks of several sizes and by random access, against `expected`.
    static func expectValues(_ reader: CheckpointReader, _ quantized: Quantized, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let weight = try #require(reader.checkpoint.tensor(named: base + ".weight"), sourceLocation: sourceLocation)
        #expect(weight.dtype == (quantized.bits == 4 ? .i4 : .u8) && weight.shape == [rows, columns], "\(weight)", sourceLocation: sourceLocation)
        #expect(weight.storedName == base + ".weight_packed", sourceLocation: sourceLocation)
        #expect(reader.checkpoint.parameterCount == rows * columns, sourceLocation: sourceLocation)
        let expected = quantized.values
        for chunk in [1, 3, 64, 1 << 20] {
            let difference = firstBitDifference(try readAllFloats(reader, weight, chunkBytes: chunk), expected)
            #expect(difference == nil, "chunk \(chunk): first difference at \(difference ?? "-")", sourceLocation: sourceLocation)
        }
        for range in [(9 * columns + 6)..<(10 * columns + 4), (3 * columns)..<(5 * columns)] {
            var part = [Float](repeating: .nan, count: range.count)
            try part.withUnsafeMutableBufferPointer { try reader.readElements(of: weight, range: range, into: $0) }
            #expect(firstBitDifference(part, Array(expected[range])) == nil, "\(range)", sourceLocation: sourceLocation)
        }
    }

    @Test("symmetric INT4 per group of 32 or per channel, with or without weight_shape", arguments: [32, 64])
    func int4(group: Int) throws {
        for shapeStated in [true, false] {
            let directory = try TemporaryDirectory()
            let quantized = Quantized(bits: 4, group: group, zeros: .none)
            let reader = try openSafetensors(quantized.tensors(shapeStated: shapeStated), in: directory)
            try Self.expectValues(reader, quantized)
            let weight = try #require(reader.checkpoint.tensor(named: Self.base + ".weight"))
            #expect(weight.scale?.description == (group == Self.columns ? "per-row" : "1×\(group) block"))
            #expect(weight.scale?.zeroPoints == nil && weight.scale?.codeCentre == nil)
            for companion in [".weight_scale"] + (shapeStated ? [".weight_shape"] : []) {
                #expect(reader.checkpoint.tensor(named: Self.base + companion)?.scaledWeight == weight.name, "\(companion)")
            }
        }
    }

    @Test("asymmetric INT4 and INT8 with zeros packed down the rows or as I8 (llm-compressor's W4A16_ASYM), symmetric INT8",
          arguments: [4, 8])
    func asymmetricAndEightBit(bits: Int) throws {
        for (zeros, group) in [(Zeros.none, 32), (.packed, 32), (.packed, 64), (.bytes, 16)] {
            let directory = try TemporaryDirectory()
            let quantized = Quantized(bits: bits, group: group, zeros: zeros)
            let reader = try openSafetensors(quantized.tensors(), in: directory)
            try Self.expectValues(reader, quantized)
            let scale = try #require(reader.checkpoint.tensor(named: Self.base + ".weight")?.scale)
            #expect(scale.codeCentre == (bits == 8 ? 128 : nil))
            #expect(scale.zeroPoints?.storage == [Zeros.none: nil, .packed: .rowWords, .bytes: .signedBytes][zeros] ?? nil, "\(zeros)")
            if zeros != .none {
                #expect(reader.checkpoint.tensor(named: Self.base + ".weight_zero_point")?.scaledWeight == Self.base + ".weight")
            }
        }
    }

    @Test("2-, 3-, 5-, 6- and 7-bit codes (AutoRound's W2A16, W3A16 …): ⌊32/bits⌋ per word, the top bits of each word unused, the row's last word part-filled; 7 bits told from 8 by config.json",
          arguments: [2, 3, 5, 6, 7])
    func otherWidths(bits: Int) throws {
        // 7 and 8 bits both pack four codes per word: the config's num_bits tells them apart.
        let config = #"{"quantization_config": {"quant_method": "compressed-tensors", "format": "pack-quantized", "config_groups": {"group_0": {"weights": {"num_bits": \#(bits), "type": "int"}}}}}"#
        for (zeros, group, activationOrder) in [(Zeros.none, 32, false), (.packed, 16, false), (.bytes, 64, false), (.packed, 16, true)] {
            let directory = try TemporaryDirectory()
            if bits == 7 { _ = try directory.write(config, to: "config.json") }
            let quantized = Quantized(bits: bits, group: group, zeros: zeros, activationOrder: activationOrder)
            let reader = try openSafetensors(quantized.tensors(), in: directory)
            try Self.expectValues(reader, quantized)
            let weight = try #require(reader.checkpoint.tensor(named: Self.base + ".weight"))
            #expect(weight.packing == CodePacking(order: try #require(.packQuantized(bits: bits)), bits: bits, columns: Self.columns))
            #expect(weight.scale?.codeCentre == 1 << (bits - 1))
            #expect(reader.checkpoint.tensor(named: Self.base + ".weight_packed")?.shape == nil)
        }
        if bits == 7 {
            // Without the config, four codes per word are read as 8-bit: every value off.
            let directory = try TemporaryDirectory()
            let quantized = Quantized(bits: 7, group: 32, zeros: .none)
            let reader = try openSafetensors(quantized.tensors(), in: directory)
            let weight = try #require(reader.checkpoint.tensor(named: Self.base + ".weight"))
            #expect(weight.packing == nil && weight.scale?.codeCentre == 128)
            #expect(firstBitDifference(try readAllFloats(reader, weight), quantized.values) != nil)
        }
    }

    @Test("activation-ordered groups (weight_g_idx, llm-compressor's GPTQ with actorder: group): each column scaled by its group's factor",
          arguments: [4, 8])
    func activationOrder(bits: Int) throws {
        for (zeros, group, indexType) in [(Zeros.none, 16, DType.i32), (.packed, 32, .i64), (.bytes, 16, .i32), (.none, 64, .i32)] {
            let directory = try TemporaryDirectory()
            var quantized = Quantized(bits: bits, group: group, zeros: zeros, activationOrder: true)
            quantized.columnGroupsDType = indexType
            // The groups really are out of order: neighbouring columns mostly in different groups.
            #expect(group == Self.columns || zip(quantized.columnGroups!, quantized.columnGroups!.dropFirst()).contains { $0 != $1 })
            let reader = try openSafetensors(quantized.tensors(), in: directory)
            try Self.expectValues(reader, quantized)
            let scale = try #require(reader.checkpoint.tensor(named: Self.base + ".weight")?.scale)
            #expect(scale.columnGroupIndex?.name == Self.base + ".weight_g_idx" && scale.groupIndex == nil)
            #expect(reader.checkpoint.tensor(named: Self.base + ".weight_g_idx")?.scaledWeight == Self.base + ".weight")
            // Rounding energy counts each element's own factor: Σ factor² / 12.
            let weight = try #require(reader.checkpoint.tensor(named: Self.base + ".weight"))
            let factors = try #require(try reader.scaleFactors(of: weight))
            let expected = (0..<(Self.rows * Self.columns)).reduce(0.0) { total, index in
                let factor = Double(quantized.factors[(index / Self.columns) * quantized.groups + quantized.columnGroups![index % Self.columns]])
                return total + factor * factor
            } / 12
            let codes = [UInt8](repeating: 0, count: Self.rows * Self.columns * bits / 8)
            let energy = codes.withUnsafeBytes { factors.roundingEnergy(ofCodes: $0, dtype: weight.dtype, firstElement: 0) }
            #expect(abs(energy - expected) <= 1e-12 * expected, "\(energy) against \(expected)")
        }
    }

    @Test("an I8 weight with an I8 zero point per scale factor (compressed-tensors' asymmetric int-quantized)")
    func int8WithZeroPoint() throws {
        let directory = try TemporaryDirectory()
        let codes = (0..<(4 * 16)).map { ($0 * 37) % 256 - 128 }, factors: [Float] = [0.5, 0.0078125, 3, 0.01171875], zeros = [-3, 0, 17, -128]
        let reader = try openSafetensors([
            .init(name: "w.weight", dtype: .i8, shape: [4, 16], bytes: codes.map { UInt8(bitPattern: Int8($0)) }),
            .init(name: "w.weight_scale", shape: [4, 1], values: factors, as: .bf16),
            .init(name: "w.weight_zero_point", dtype: .i8, shape: [4, 1], bytes: zeros.map { UInt8(bitPattern: Int8($0)) }),
        ], in: directory)
        let weight = try #require(reader.checkpoint.tensor(named: "w.weight"))
        let expected = codes.indices.map { Float(codes[$0] - zeros[$0 / 16]) * factors[$0 / 16] }
        #expect(firstBitDifference(try readAllFloats(reader, weight, chunkBytes: 5), expected) == nil)
    }

    @Test("an I8 weight (int-quantized) with activation-ordered groups and zero points: read with them, never as contiguous groups")
    func int8ActivationOrder() throws {
        let directory = try TemporaryDirectory()
        let codes = (0..<(4 * 16)).map { ($0 * 37) % 256 - 128 }, factors: [Float] = [0.5, 0.0078125, 3, 0.01171875, 2, 0.25, 0.125, 1]
        let zeros = [-3, 0, 17, -128, 5, 9, -1, 2], groups = (0..<16).map { ($0 * 3) % 16 / 8 }
        let reader = try openSafetensors([
            .init(name: "w.weight", dtype: .i8, shape: [4, 16], bytes: codes.map { UInt8(bitPattern: Int8($0)) }),
            .init(name: "w.weight_scale", shape: [4, 2], values: factors, as: .bf16),
            .init(name: "w.weight_zero_point", dtype: .i8, shape: [4, 2], bytes: zeros.map { UInt8(bitPattern: Int8($0)) }),
            .init(name: "w.weight_g_idx", dtype: .i64, shape: [16], bytes: groups.flatMap { withUnsafeBytes(of: Int64($0).littleEndian, Array.init) }),
        ], in: directory)
        let weight = try #require(reader.checkpoint.tensor(named: "w.weight"))
        #expect(weight.scale?.columnGroupIndex?.name == "w.weight_g_idx" && reader.checkpoint.tensor(named: "w.weight_g_idx")?.scaledWeight == "w.weight")
        let expected = codes.indices.map { index in
            let factor = (index / 16) * 2 + groups[index % 16]
            return Float(codes[index] - zeros[factor]) * factors[factor]
        }
        #expect(firstBitDifference(try readAllFloats(reader, weight, chunkBytes: 5), expected) == nil)
        // Beside a per-tensor scale the groups mean nothing: an error, not a silent contiguous read.
        try expectOpeningFails([([
            .init(name: "w.weight", dtype: .i8, shape: [4, 16], bytes: codes.map { UInt8(bitPattern: Int8($0)) }),
            .init(name: "w.weight_scale", shape: [1], values: [0.5], as: .bf16),
            .init(name: "w.weight_g_idx", dtype: .i32, shape: [16], bytes: [UInt8](repeating: 0, count: 64)),
        ], "whose scale is per-tensor")], naming: ["w.weight", "w.weight_g_idx", "activation order"])
    }

    @Test("malformed companions are errors naming the packed weight, the companion and the rule")
    func malformed() throws {
        let quantized = Quantized(bits: 4, group: 32, zeros: .packed)
        func replacing(_ suffix: String, with tensor: SafetensorsWriter.Tensor?) -> [SafetensorsWriter.Tensor] {
            quantized.tensors().compactMap { $0.name == Self.base + suffix ? tensor : $0 } + (quantized.tensors().contains { $0.name == Self.base + suffix } || tensor == nil ? [] : [tensor!])
        }
        func shape(_ values: [Int64], dtype: DType = .i64) -> SafetensorsWriter.Tensor {
            .init(name: Self.base + ".weight_shape", dtype: dtype, shape: [values.count],
                  bytes: values.flatMap { value in dtype == .i64 ? withUnsafeBytes(of: value.littleEndian, Array.init) : withUnsafeBytes(of: Int32(value).littleEndian, Array.init) })
        }
        let cases: [([SafetensorsWriter.Tensor], String)] = [
            // 256 columns in 8 words per row: 32 codes per word.
            (replacing(".weight_shape", with: shape([Int64(Self.rows), 256])), "1-bit codes, which this tool does not read"),
            (replacing(".weight_shape", with: shape([Int64(Self.rows), 60])), "part-filled word"),
            (replacing(".weight_shape", with: shape([Int64(Self.rows) + 1, 64])), "does not have the 11 rows"),
            (replacing(".weight_shape", with: shape([Int64(Self.rows), -64])), "outside 0 ..< 2^31"),
            (replacing(".weight_shape", with: shape([Int64(Self.rows), 64, 1])), "not two I32 or I64 values"),
            (replacing(".weight_shape", with: shape([Int64(Self.rows), 4096])), "no code width from 1 to 8 bits"),
            (replacing(".weight_zero_point", with: .init(name: Self.base + ".weight_zero_point", dtype: .i32, shape: [Self.rows, 2],
                                                          bytes: [UInt8](repeating: 0, count: Self.rows * 8))), "not I32 [2, 2]"),
            (replacing(".weight_zero_point", with: .init(name: Self.base + ".weight_zero_point", dtype: .i8, shape: [Self.rows],
                                                          bytes: [UInt8](repeating: 0, count: Self.rows))), "not one zero per factor"),
        ]
        try expectOpeningFails(cases, naming: [Self.base + ".weight_packed", "pack-quantized"])
        try expectOpeningFails([
            (replacing(".weight_g_idx", with: .init(name: Self.base + ".weight_g_idx", dtype: .i32, shape: [Self.columns - 1],
                                                     bytes: [UInt8](repeating: 0, count: (Self.columns - 1) * 4))), "not I32 or I64 [64] (one group per column)"),
            (replacing(".weight_g_idx", with: .init(name: Self.base + ".weight_g_idx", dtype: .f32, shape: [Self.columns],
                                                     bytes: [UInt8](repeating: 0, count: Self.columns * 4))), "is F32 [64], not I32 or I64"),
        ], naming: [Self.base + ".weight_packed", Self.base + ".weight_g_idx", "activation order"])
        // A scale of no granularity, and a zero point beside a float weight.
        try expectOpeningFails([(Quantized(bits: 4, group: 32, zeros: .none).tensors().map {
            $0.name.hasSuffix("_scale") ? .init(name: $0.name, shape: [Self.rows, 3], values: [Float](repeating: 1, count: 3 * Self.rows), as: .bf16) : $0
        }, "fits no scaling")], naming: [Self.base + ".weight_packed"])
        try expectOpeningFails([([
            .init(name: "w.weight", dtype: .f8E4M3, shape: [2, 4], bytes: [UInt8](repeating: 0x38, count: 8)),
            .init(name: "w.weight_scale", shape: [2], values: [1, 1], as: .f32),
            .init(name: "w.weight_zero_point", dtype: .i8, shape: [2], bytes: [0, 0]),
        ], "zero-point tensor 'w.weight_zero_point' this tool does not read")], naming: ["w.weight"])
        // Column groups beside a per-tensor scale, and a group outside the scale grid (found when the weight is read).
        var perTensor = Quantized(bits: 4, group: 64, zeros: .none, activationOrder: true).tensors()
        perTensor = perTensor.map { $0.name.hasSuffix("_scale") ? .init(name: $0.name, shape: [1], values: [0.5], as: .bf16) : $0 }
        try expectOpeningFails([(perTensor, "groups the columns of a weight whose scale is per-tensor")],
                               naming: [Self.base + ".weight_packed", Self.base + ".weight_g_idx"])
        var outside = Quantized(bits: 4, group: 32, zeros: .none, activationOrder: true)
        outside.columnGroups![5] = 2
        let directory = try TemporaryDirectory()
        let reader = try openSafetensors(outside.tensors(), in: directory)
        let weight = try #require(reader.checkpoint.tensor(named: Self.base + ".weight"))
        let error = try #require(throws: CheckpointError.self) { try readAllFloats(reader, weight, chunkBytes: 64) }
        #expect("\(error)".contains("'\(Self.base).weight_g_idx', which gives column 5 the group 2, outside the 2 groups of scales"), "\(error)")
        #expect("\(error)".contains(weight.name) && "\(error)".contains("activation order"), "\(error)")
        #expect(DType(safetensorsName: "I4") == nil)
        #expect(DType(safetensorsName: "F4") == .f4)
    }
}
