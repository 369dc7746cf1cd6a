import CheckpointFixtures
import Checkpoints
import Foundation
import Testing

/// GPTQ (AutoGPTQ's `QuantLinear`: `qweight` packed down the rows at 2, 3, 4 or 8 bits, `qzeros`
/// stored minus one, `g_idx`) and AWQ (AutoAWQ's GEMM layout: `qweight` packed along the row in the order
/// 0, 2, 4, 6, 1, 3, 5, 7) weights, packed here by the formats' own packing loops and compared
/// with (code − zero) × scale computed directly from the unpacked codes.
@Suite("GPTQ and AWQ weights are read as (code − zero) × scale of each row's group")
struct ZeroPointWeightTests {
    /// Input features K (the delivered rows) and output features N (the delivered columns).
    static let rows = 64, columns = 32
    static let prefix = "model.layers.0.mlp.down_proj."

    /// A quantized weight as the packers see it: codes `[K][N]`, zeros and scales `[G][N]`, the group of each row.
    struct Quantized {
        var bits: Int
        var codes: [[UInt32]]
        var zeros: [[UInt32]]
        var scales: [[Float]]
        var rowGroup: [Int]

        /// (code − zero) × scale, row-major `[K, N]`.
        var values: [Float] {
            codes.indices.flatMap { row in
                (0..<codes[row].count).map { column in
                    let group = rowGroup[row]
                    return Float(Int(codes[row][column]) - Int(zeros[group][column])) * scales[group][column]
                }
            }
        }

        init(bits: Int, groups: Int, actOrder: Bool) {
            self.bits = bits
            let maximum = UInt32(1 << bits)
            codes = (0..<ZeroPointWeightTests.rows).map { row in (0..<ZeroPointWeightTests.columns).map { UInt32((row * 7 + $0 * 3 + row / 5) % Int(maximum)) } }
            // Zeros from 1 (GPTQ stores zero − 1; AutoGPTQ's packing of a zero of 0 is its own bug) to the top code.
            zeros = (0..<groups).map { group in (0..<ZeroPointWeightTests.columns).map { UInt32(1 + (group * 5 + $0) % Int(maximum - 1)) } }
            // F16-exact scales of several magnitudes.
            scales = (0..<groups).map { group in (0..<ZeroPointWeightTests.columns).map { [0.0078125, 0.5, 0.01171875, 3, 0.000244140625][(group + $0) % 5] } }
            let size = ZeroPointWeightTests.rows / groups
            // Activation order: rows ranked by a fixed shuffle, groups taken along the ranking.
            rowGroup = (0..<ZeroPointWeightTests.rows).map { row in actOrder ? ((row * 37 + 11) % ZeroPointWeightTests.rows) / size : row / size }
        }
    }

    /// AutoGPTQ's `pack`: `qweight[row] |= intweight[j] << (bits · (j − i))` for the 32/bits rows
    /// of each packed row at 2, 4 and 8 bits; at 3 bits its own loop over 32 rows per three packed
    /// rows (below); `qzeros` packed the same way along the columns from zeros − 1 — or, for
    /// GPTQModel's `gptq_v2` (`zerosMinusOne` false), the zeros themselves.
    static func gptq(_ quantized: Quantized, withGroupIndex: Bool = true, zerosMinusOne: Bool = true) -> [SafetensorsWriter.Tensor] {
        let bits = quantized.bits
        let codes = (0..<columns).map { column in quantized.codes.map { $0[column] } }
        let qweight = Self.autoGPTQPack(codes, bits: bits)
        let groups = quantized.zeros.count
        let stored = quantized.zeros.map { row in row.map { ($0 &- (zerosMinusOne ? 1 : 0)) & UInt32((1 << bits) - 1) } }
        // qzeros packs each group's row along the columns: the same loop over the transpose.
        let qzeros = Self.autoGPTQPack(stored, bits: bits)
        let packedRows = rows * bits / 32, zeroWords = columns * bits / 32
        var tensors: [SafetensorsWriter.Tensor] = [
            .init(name: prefix + "qweight", dtype: .i32, shape: [packedRows, columns], bytes: littleEndianBytes(transposed(qweight, rows: columns, columns: packedRows))),
            .init(name: prefix + "qzeros", dtype: .i32, shape: [groups, zeroWords], bytes: littleEndianBytes(qzeros.flatMap { $0 })),
            .init(name: prefix + "scales", shape: [groups, columns], values: quantized.scales.flatMap { $0 }, as: .f16),
        ]
        if withGroupIndex {
            tensors.append(.init(name: prefix + "g_idx", dtype: .i32, shape: [rows], bytes: littleEndianBytes(quantized.rowGroup.map(Int32.init))))
        }
        return tensors + [.init(name: prefix + "bias", shape: [columns], values: [Float](repeating: 0.5, count: columns), as: .f16)]
    }

    /// AutoGPTQ's packing loop over one sequence of codes per line (`intweight`'s column for
    /// `qweight`, a group's row for `qzeros`): words of 32/bits codes, or at 3 bits ten codes, the
    /// low two bits of the eleventh (bits 30–31), its high bit in the next word's bit 0, and so on.
    static func autoGPTQPack(_ lines: [[UInt32]], bits: Int) -> [[UInt32]] {
        lines.map { line in
            var words = [UInt32](repeating: 0, count: line.count * bits / 32)
            var (i, word) = (0, 0)
            while word < words.count {
                if bits != 3 {
                    for j in i..<(i + 32 / bits) { words[word] |= line[j] << UInt32(bits * (j - i)) }
                    i += 32 / bits
                    word += 1
                } else {
                    for j in i..<(i + 10) { words[word] |= line[j] << UInt32(3 * (j - i)) }
                    i += 10
                    words[word] |= line[i] << 30
                    word += 1
                    words[word] |= (line[i] >> 2) & 1
                    i += 1
                    for j in i..<(i + 10) { words[word] |= line[j] << UInt32(3 * (j - i) + 1) }
                    i += 10
                    words[word] |= line[i] << 31
                    word += 1
                    words[word] |= (line[i] >> 1) & 0x3
                    i += 1
                    for j in i..<(i + 10) { words[word] |= line[j] << UInt32(3 * (j - i) + 2) }
                    i += 10
                    word += 1
                }
            }
            return words
        }
    }

    static func transposed(_ lines: [[UInt32]], rows: Int, columns: Int) -> [UInt32] {
        (0..<columns).flatMap { column in (0..<rows).map { lines[$0][column] } }
    }

    /// AutoAWQ's GEMM `pack`: `qweight[:, col] |= intweight[:, col·8 + order_map[i]] << (4 · i)`
    /// with order_map = [0, 2, 4, 6, 1, 3, 5, 7]; zeros packed the same way, not offset.
    static func awq(_ quantized: Quantized) -> [SafetensorsWriter.Tensor] {
        let orderMap = [0, 2, 4, 6, 1, 3, 5, 7]
        func pack(_ matrix: [[UInt32]]) -> [UInt32] {
            var words: [UInt32] = []
            for row in matrix {
                for column in 0..<(row.count / 8) {
                    var word: UInt32 = 0
                    for i in 0..<8 { word |= row[column * 8 + orderMap[i]] << UInt32(4 * i) }
                    words.append(word)
                }
            }
            return words
        }
        let groups = quantized.zeros.count
        return [
            .init(name: prefix + "qweight", dtype: .i32, shape: [rows, columns / 8], bytes: littleEndianBytes(pack(quantized.codes))),
            .init(name: prefix + "qzeros", dtype: .i32, shape: [groups, columns / 8], bytes: littleEndianBytes(pack(quantized.zeros))),
            .init(name: prefix + "scales", shape: [groups, columns], values: quantized.scales.flatMap { $0 }, as: .f16),
        ]
    }

    /// Reads the weight through chunks of several sizes and by random access, against `expected`.
    static func expectValues(_ reader: CheckpointReader, _ expected: [Float], dtype: DType, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let weight = try #require(reader.checkpoint.tensor(named: prefix + "weight"), sourceLocation: sourceLocation)
        #expect(weight.dtype == dtype && weight.shape == [rows, columns], "\(weight)", sourceLocation: sourceLocation)
        #expect(weight.storedName == prefix + "qweight", sourceLocation: sourceLocation)
        #expect(reader.checkpoint.parameterCount == rows * columns + (reader.checkpoint.tensor(named: prefix + "bias") == nil ? 0 : columns),
                sourceLocation: sourceLocation)
        for chunk in [1, 5, 64, 1 << 20] {
            let difference = firstBitDifference(try readAllFloats(reader, weight, chunkBytes: chunk), expected)
            #expect(difference == nil, "chunk \(chunk): first difference at \(difference ?? "-")", sourceLocation: sourceLocation)
        }
        // Rows 9 and 10 by random access (not on a packed-row boundary for GPTQ).
        var rowsNineAndTen = [Float](repeating: .nan, count: 2 * columns)
        try rowsNineAndTen.withUnsafeMutableBufferPointer { try reader.readElements(of: weight, range: (9 * columns)..<(11 * columns), into: $0) }
        #expect(firstBitDifference(rowsNineAndTen, Array(expected[(9 * columns)..<(11 * columns)])) == nil, sourceLocation: sourceLocation)
        // Columns 4 ..< 12 of row 9, and of rows 9 and 10 from column 6 to column 4 of row 10 (how a transposing reader asks).
        for range in [(9 * columns + 4)..<(9 * columns + 12), (9 * columns + 6)..<(10 * columns + 4)] {
            var part = [Float](repeating: .nan, count: range.count)
            try part.withUnsafeMutableBufferPointer { try reader.readElements(of: weight, range: range, into: $0) }
            #expect(firstBitDifference(part, Array(expected[range])) == nil, "\(range)", sourceLocation: sourceLocation)
        }
    }

    @Test("GPTQ 4-bit in activation order (g_idx a shuffle), in order, and without g_idx")
    func gptq4() throws {
        for (actOrder, groupIndex) in [(true, true), (false, true), (false, false)] {
            let directory = try TemporaryDirectory()
            let quantized = Quantized(bits: 4, groups: 4, actOrder: actOrder)
            let reader = try openSafetensors(Self.gptq(quantized, withGroupIndex: groupIndex), in: directory)
            try Self.expectValues(reader, quantized.values, dtype: .i4)
            let weight = try #require(reader.checkpoint.tensor(named: Self.prefix + "weight"))
            #expect(weight.packing == CodePacking(order: .gptq, bits: 4, columns: Self.columns))
            #expect(weight.scale?.zeroPoints?.storedMinusOne == true)
            #expect((weight.scale?.groupIndex != nil) == groupIndex)
            for companion in ["qzeros", "scales"] + (groupIndex ? ["g_idx"] : []) {
                #expect(reader.checkpoint.tensor(named: Self.prefix + companion)?.scaledWeight == weight.name, "\(companion)")
            }
            #expect(reader.checkpoint.tensor(named: Self.prefix + "bias")?.scaledWeight == nil)
        }
    }

    @Test("GPTQModel's gptq_v2 (zeros not offset) is read as such when quantize_config.json or config.json says so, and only then")
    func gptqVersion2() throws {
        let quantized = Quantized(bits: 4, groups: 4, actOrder: true)
        let stated: [(file: String, text: String?, source: String?)] = [
            ("quantize_config.json", #"{"bits": 4, "group_size": 16, "desc_act": true, "checkpoint_format": "gptq_v2"}"#,
             #"quantize_config.json checkpoint_format "gptq_v2""#),
            ("config.json", #"{"model_type": "llama", "quantization_config": {"quant_method": "gptq", "checkpoint_format": "gptq_v2"}}"#,
             #"config.json checkpoint_format "gptq_v2""#),
            // No statement, or one that cannot be read: AutoGPTQ's convention, so the v2 file reads one step off.
            ("config.json", nil, nil), ("config.json", #"{"quantization_config": {"checkpoint_format": "gptq_v2""#, nil),
        ]
        for (file, text, source) in stated {
            let directory = try TemporaryDirectory()
            if let text { _ = try directory.write(text, to: file) }
            let reader = try openSafetensors(Self.gptq(quantized, zerosMinusOne: false), in: directory)
            #expect(QuantizationSettings.read(fromDirectory: directory.path("")).source == source)
            let weight = try #require(reader.checkpoint.tensor(named: Self.prefix + "weight"))
            #expect(weight.scale?.zeroPoints?.storedMinusOne == (source == nil), "\(file): \(text ?? "absent")")
            if source != nil {
                try Self.expectValues(reader, quantized.values, dtype: .i4)
            } else {
                // One step off: each value moved by one scale of its group.
                let values = try readAllFloats(reader, weight)
                let scales = quantized.rowGroup.flatMap { group in quantized.scales[group] }
                #expect(zip(zip(values, quantized.values), scales).allSatisfy { abs($0.0 - $0.1 + $1) <= abs($1) * 1e-6 }, "\(file): \(text ?? "absent")")
            }
        }
        // A v1 file with a statement of "gptq" reads as v1.
        let directory = try TemporaryDirectory()
        _ = try directory.write(#"{"checkpoint_format": "gptq"}"#, to: "quantize_config.json")
        try Self.expectValues(try openSafetensors(Self.gptq(quantized), in: directory), quantized.values, dtype: .i4)
    }

    @Test("without a statement, symmetric zeros tell the convention: all stored 2^(bits−1) is gptq_v2, one less AutoGPTQ's (2, 3, 4 and 8 bits)", arguments: [2, 3, 4, 8])
    func gptqSymmetricConvention(bits: Int) throws {
        var quantized = Quantized(bits: bits, groups: 4, actOrder: true)
        quantized.zeros = quantized.zeros.map { $0.map { _ in UInt32(1 << (bits - 1)) } }
        for zerosMinusOne in [true, false] {
            let directory = try TemporaryDirectory()
            let reader = try openSafetensors(Self.gptq(quantized, zerosMinusOne: zerosMinusOne), in: directory)
            #expect(reader.checkpoint.tensor(named: Self.prefix + "weight")?.scale?.zeroPoints?.storedMinusOne == zerosMinusOne)
            try Self.expectValues(reader, quantized.values, dtype: bits == 4 ? .i4 : .u8)
        }
        // One zero off the symmetric value (column 10: at 3 bits the field straddling two words) makes it AutoGPTQ's.
        quantized.zeros[3][10] += 1
        let directory = try TemporaryDirectory()
        let reader = try openSafetensors(Self.gptq(quantized, zerosMinusOne: false), in: directory)
        #expect(reader.checkpoint.tensor(named: Self.prefix + "weight")?.scale?.zeroPoints?.storedMinusOne == true)
    }

    @Test("a GPTQ weight in a PyTorch archive (AutoGPTQ's older .bin releases) reads the same")
    func gptqInPyTorchArchive() throws {
        let directory = try TemporaryDirectory()
        let quantized = Quantized(bits: 4, groups: 4, actOrder: true)
        let path = directory.path("pytorch_model.bin")
        try PyTorchWriter.write(Self.gptq(quantized), to: path)
        try Self.expectValues(try CheckpointReader(path: path), quantized.values, dtype: .i4)
    }

    @Test("GPTQ 2-, 3- and 8-bit (16 rows per word, 32 rows per three words as a bit stream, 4 per word; the width told by qzeros), with and without g_idx",
          arguments: [2, 3, 8])
    func gptqWidths(bits: Int) throws {
        for (groups, actOrder, groupIndex) in [(2, true, true), (4, false, false)] {
            let directory = try TemporaryDirectory()
            let quantized = Quantized(bits: bits, groups: groups, actOrder: actOrder)
            let reader = try openSafetensors(Self.gptq(quantized, withGroupIndex: groupIndex), in: directory)
            try Self.expectValues(reader, quantized.values, dtype: .u8)
            let weight = try #require(reader.checkpoint.tensor(named: Self.prefix + "weight"))
            #expect(weight.packing == CodePacking(order: try #require(.gptq(bits: bits)), bits: bits, columns: Self.columns))
            #expect(weight.packing?.order.statedBits == (bits == 8 ? nil : bits))
        }
    }

    @Test("AWQ 4-bit (eight interleaved columns per word, zeros not offset)")
    func awq() throws {
        let directory = try TemporaryDirectory()
        let quantized = Quantized(bits: 4, groups: 2, actOrder: false)
        let reader = try openSafetensors(Self.awq(quantized), in: directory)
        try Self.expectValues(reader, quantized.values, dtype: .i4)
        #expect(reader.checkpoint.tensor(named: Self.prefix + "weight")?.scale?.zeroPoints?.storedMinusOne == false)
    }

    @Test("the rounding energy is Σ scale² / 12 over the elements, each row with its group's scales")
    func roundingEnergy() throws {
        let directory = try TemporaryDirectory()
        let quantized = Quantized(bits: 4, groups: 4, actOrder: true)
        let energy = try streamedRoundingEnergy(try openSafetensors(Self.gptq(quantized), in: directory), weight: Self.prefix + "weight", chunkBytes: 64)
        let expected = (0..<Self.rows).reduce(0.0) { sum, row in
            sum + quantized.scales[quantized.rowGroup[row]].reduce(0.0) { $0 + Double($1) * Double($1) }
        } / 12
        #expect(abs(energy / expected - 1) < 1e-12, "\(energy) vs \(expected)")
    }

    @Test("malformed companions are errors naming the weight, the companion and the rule")
    func malformed() throws {
        let quantized = Quantized(bits: 4, groups: 4, actOrder: true)
        func replacing(_ name: String, with tensor: SafetensorsWriter.Tensor?) -> [SafetensorsWriter.Tensor] {
            Self.gptq(quantized).compactMap { $0.name == Self.prefix + name ? tensor : $0 }
        }
        let cases: [([SafetensorsWriter.Tensor], String)] = [
            (replacing("qzeros", with: nil), "no zero points"),
            // One word per row of 32 columns: 1-bit zeros, a width GPTQ does not have.
            (replacing("qzeros", with: .init(name: Self.prefix + "qzeros", dtype: .i32, shape: [4, 1], bytes: [UInt8](repeating: 0, count: 16))),
             "'model.layers.0.mlp.down_proj.qzeros' is I32 [4, 1], not I32 [4, 32·bits/32] for 2-, 3-, 4- or 8-bit GPTQ zero points"),
            // Three words: 3-bit zeros, but 8 packed rows do not hold whole 3-bit rows (three per 32).
            (replacing("qzeros", with: .init(name: Self.prefix + "qzeros", dtype: .i32, shape: [4, 3], bytes: [UInt8](repeating: 0, count: 48))),
             "has 8 packed rows, which do not hold whole rows of 3-bit codes"),
            (replacing("scales", with: .init(name: Self.prefix + "scales", shape: [4, 12], values: [Float](repeating: 1, count: 48), as: .f16)),
             "fits neither GPTQ"),
            (replacing("scales", with: .init(name: Self.prefix + "scales", dtype: .i32, shape: [4, 32], bytes: [UInt8](repeating: 0, count: 512))),
             "is not a float"),
            // 48 rows where 8 packed rows of 4-bit codes (the width qzeros states) hold 64.
            (replacing("g_idx", with: .init(name: Self.prefix + "g_idx", dtype: .i32, shape: [48], bytes: [UInt8](repeating: 0, count: 192))),
             "'model.layers.0.mlp.down_proj.g_idx' gives 48 rows, but the 8 packed rows hold 64 rows of 4-bit codes"),
        ]
        try expectOpeningFails(cases, naming: ["model.layers.0.mlp.down_proj.qweight"])
        // A group index outside the scales is found when the weight is read, and named.
        let directory = try TemporaryDirectory()
        var outside = quantized
        outside.rowGroup[17] = 4
        let reader = try openSafetensors(Self.gptq(outside), in: directory)
        let weight = try #require(reader.checkpoint.tensor(named: Self.prefix + "weight"))
        #expect {
            _ = try readAllFloats(reader, weight)
        } throws: { error in
            "\(error)".contains("'model.layers.0.mlp.down_proj.g_idx' gives row 17 the group 4, outside the 4 groups")
        }
    }
}
