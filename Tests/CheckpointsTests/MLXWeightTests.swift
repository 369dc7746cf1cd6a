import CheckpointFixtures
import Checkpoints
import Foundation
import Testing

/// MLX affine-quantized weights as `mlx_lm` saves them (mlx-community's `…-4bit`/`…-8bit`).
@Suite("MLX affine weights are read as code × scale + bias of each group")
struct MLXWeightTests {
    static let rows = 6, columns = 256
    static let name = "model.layers.0.mlp.up_proj.weight"

    /// Whether every value is within a few roundings of MLX's own code × scale + bias: a 4-bit
    /// code is read as (code − 8) × scale + (bias + 8 × scale).
    static func close(_ values: [Float], _ expected: [Float], scale: Float) -> Bool {
        values.count == expected.count && zip(values, expected).allSatisfy { abs($0 - $1) <= (abs($1) + 16 * scale) * 0x1p-21 }
    }

    @Test("4-bit groups of 64 (and of 32 stated in config.json), 8-bit, and the bit streams of 2, 3, 5 and 6 bits, through any chunk size and by random access",
          arguments: [(4, 64, false), (4, 32, true), (8, 64, false), (8, 64, true), (2, 64, false), (3, 64, false), (5, 32, true), (6, 64, false)])
    func decoding(bits: Int, groupSize: Int, stated: Bool) throws {
        let directory = try TemporaryDirectory()
        let values = wavyValues(count: Self.rows * Self.columns).map { $0 * 0.05 }
        let (tensors, expected) = MLXTensors.affine(name: Self.name, values: values, rows: Self.rows, columns: Self.columns, bits: bits, groupSize: groupSize)
        if stated { _ = try directory.write(#"{"model_type": "llama", "quantization": {"group_size": \#(groupSize), "bits": \#(bits)}}"#, to: "config.json") }
        let reader = try openSafetensors(tensors + [.init(name: "model.norm.weight", shape: [4], values: [1, 2, 3, 4])], in: directory)
        let weight = try #require(reader.checkpoint.tensor(named: Self.name))
        #expect(weight.dtype == (bits == 4 ? .i4 : .u8) && weight.shape == [Self.rows, Self.columns])
        #expect(weight.packing == CodePacking.Order.mlx(bits: bits).map { CodePacking(order: $0, bits: bits, columns: Self.columns) })
        #expect(weight.deliveredByteCount == UInt64(Self.rows * Self.columns * (bits == 4 ? 1 : 2) / 2))
        #expect(weight.scale?.blockColumns == groupSize && weight.scale?.biases?.name == "model.layers.0.mlp.up_proj.biases")
        for companion in ["scales", "biases"] {
            #expect(reader.checkpoint.tensor(named: "model.layers.0.mlp.up_proj." + companion)?.scaledWeight == Self.name)
        }
        #expect(reader.checkpoint.parameterCount == Self.rows * Self.columns + 4)
        let step = values.map(abs).max()! * 2 / Float((1 << bits) - 1)
        for chunk in [1, 3, 64, 1 << 20] {
            #expect(Self.close(try readAllFloats(reader, weight, chunkBytes: chunk), expected, scale: step), "chunk \(chunk)")
        }
        for range in [(Self.columns + 6)..<(3 * Self.columns + 10), (2 * Self.columns + 70)..<(2 * Self.columns + 72)] {
            var part = [Float](repeating: .nan, count: range.count)
            try part.withUnsafeMutableBufferPointer { try reader.readElements(of: weight, range: range, into: $0) }
            #expect(Self.close(part, Array(expected[range]), scale: step), "\(range)")
        }
        // The values are near the originals (not codes): within a step of each group (at 8 bits the
        // BF16 rounding of scale and bias dominates, a 64th of the largest magnitude).
        let near = max(step, values.map(abs).max()! / 64)
        #expect(zip(expected, values).allSatisfy { abs($0 - $1) <= near })
    }

    @Test("MLX's mxfp4 mode (no biases, U8 E8M0 exponents per 32) reads as MXFP4: e2m1(code) × 2^(s − 127)")
    func mxfp4() throws {
        let directory = try TemporaryDirectory()
        let rows = 4, columns = 64
        let e2m1: [Float] = [0, 0.5, 1, 1.5, 2, 3, 4, 6, -0.0, -0.5, -1, -1.5, -2, -3, -4, -6]
        let codes: [UInt8] = (0..<(rows * columns)).map { (index: Int) -> UInt8 in UInt8((index * 7 + index / 5) % 16) }
        let exponents: [UInt8] = (0..<(rows * columns / 32)).map { (index: Int) -> UInt8 in UInt8(120 + index % 9) }
        let bytes = stride(from: 0, to: codes.count, by: 2).map { codes[$0] | codes[$0 + 1] << 4 }
        let reader = try openSafetensors([
            .init(name: Self.name, dtype: .u32, shape: [rows, columns / 8], bytes: bytes),
            .init(name: "model.layers.0.mlp.up_proj.scales", dtype: .u8, shape: [rows, columns / 32], bytes: exponents),
        ], in: directory)
        let weight = try #require(reader.checkpoint.tensor(named: Self.name))
        #expect(weight.dtype == .f4 && weight.shape == [rows, columns] && weight.scale?.blockColumns == 32 && weight.scale?.dtype == .f8E8M0)
        let expected = codes.indices.map { e2m1[Int(codes[$0])] * Float(sign: .plus, exponent: Int(exponents[$0 / 32]) - 127, significand: 1) }
        let difference = firstBitDifference(try readAllFloats(reader, weight, chunkBytes: 3), expected)
        #expect(difference == nil, "first difference at \(difference ?? "-")")
    }

    @Test("MLX's floating-point modes read as code × stored scale: mxfp4 and mxfp8 (E8M0 per 32), nvfp4 (F8_E4M3 per 16), as matrices and as stacks of experts",
          arguments: MLXTensors.FloatingPointMode.allCases, [false, true])
    func floatingPointModes(mode: MLXTensors.FloatingPointMode, stacked: Bool) throws {
        let directory = try TemporaryDirectory()
        let name = stacked ? "model.layers.0.mlp.switch_mlp.up_proj.weight" : Self.name
        let shape = stacked ? [3, 4, 128] : [6, 128]
        let values = QuantizerRoundTripTests.gaussian(shape.reduce(1, *), seed: 3, scale: 0.03)
        let (tensors, expected) = MLXTensors.floatingPoint(name: name, values: values, shape: shape, mode: mode)
        let reader = try openSafetensors(tensors + [.init(name: "model.norm.weight", shape: [4], values: [1, 2, 3, 4])], in: directory)
        let weight = try #require(reader.checkpoint.tensor(named: name))
        #expect(weight.dtype == (mode == .mxfp8 ? .f8E4M3 : .f4) && weight.shape == shape)
        #expect(weight.scale?.blockColumns == mode.groupSize && weight.scale?.dtype == (mode == .nvfp4 ? .f8E4M3 : .f8E8M0))
        #expect(reader.checkpoint.tensor(named: String(name.dropLast("weight".count)) + "scales")?.scaledWeight == name)
        #expect(reader.checkpoint.parameterCount == values.count + 4)
        #expect(ExpertLayout.stackedExpertCount(of: weight) == (stacked ? 3 : nil))
        for chunk in [3, 1 << 20] {
            let difference = firstBitDifference(try readAllFloats(reader, weight, chunkBytes: chunk), expected)
            #expect(difference == nil, "chunk \(chunk): first difference at \(difference ?? "-")")
        }
        let range = 130..<300
        var part = [Float](repeating: .nan, count: range.count)
        try part.withUnsafeMutableBufferPointer { try reader.readElements(of: weight, range: range, into: $0) }
        #expect(firstBitDifference(part, Array(expected[range])) == nil)
        // The values are the originals (not codes): within 0.3 of each group's largest magnitude,
        // the most a largest value saturating from √2 × the largest code loses.
        #expect(values.indices.allSatisfy { index in
            let group = (index / mode.groupSize * mode.groupSize)..<((index / mode.groupSize + 1) * mode.groupSize)
            return abs(expected[index] - values[index]) <= 0.3 * values[group].map(abs).max()!
        })
    }

    @Test("affine weights stacked as experts (switch_mlp) read as matrices of the stack, at 4 and 3 bits", arguments: [4, 3])
    func stackedAffine(bits: Int) throws {
        let directory = try TemporaryDirectory()
        let name = "model.layers.1.mlp.switch_mlp.down_proj.weight", experts = 2, rows = 5, columns = 128
        let values = wavyValues(count: experts * rows * columns).map { $0 * 0.05 }
        let (flat, expected) = MLXTensors.affine(name: name, values: values, rows: experts * rows, columns: columns, bits: bits)
        // The same bytes with the expert dimension in front, as mlx_lm saves a SwitchGLU's projections.
        let tensors = flat.map { TensorBytes(name: $0.name, dtype: $0.dtype, shape: [experts, rows, $0.shape[1]], bytes: $0.bytes) }
        let reader = try openSafetensors(tensors, in: directory)
        let weight = try #require(reader.checkpoint.tensor(named: name))
        #expect(weight.shape == [experts, rows, columns] && ExpertLayout.stackedExpertCount(of: weight) == experts)
        let step = values.map(abs).max()! * 2 / Float((1 << bits) - 1)
        #expect(Self.close(try readAllFloats(reader, weight, chunkBytes: 5), expected, scale: step))
    }

    @Test("a layer's own group size in config.json's quantization (mixed-precision conversions) decides its groups")
    func layerGroupSize() throws {
        let values = wavyValues(count: Self.rows * Self.columns).map { $0 * 0.05 }
        let (tensors, expected) = MLXTensors.affine(name: Self.name, values: values, rows: Self.rows, columns: Self.columns, bits: 4, groupSize: 32)
        let step = values.map(abs).max()! * 2 / 15
        let stated = try TemporaryDirectory()
        _ = try stated.write(#"{"quantization": {"group_size": 64, "bits": 4, "model.layers.0.mlp.up_proj": {"group_size": 32, "bits": 4}, "lm_head": false}}"#,
                             to: "config.json")
        let reader = try openSafetensors(tensors, in: stated)
        let weight = try #require(reader.checkpoint.tensor(named: Self.name))
        #expect(weight.dtype == .i4 && weight.scale?.blockColumns == 32)
        #expect(Self.close(try readAllFloats(reader, weight, chunkBytes: 7), expected, scale: step))
        // Without the layer's entry the default 64 makes the same words 2-bit codes: wrong values.
        let unstated = try TemporaryDirectory()
        _ = try unstated.write(#"{"quantization": {"group_size": 64, "bits": 4}}"#, to: "config.json")
        let misread = try openSafetensors(tensors, in: unstated)
        #expect(try #require(misread.checkpoint.tensor(named: Self.name)).dtype == .u8)
    }

    @Test("MXFP8's rounding energy counts the saturation MLX's exponent rounding causes: it covers the real error without loosening it more than 3×")
    func microscaledSaturation() throws {
        let directory = try TemporaryDirectory()
        let rows = 64, columns = 256
        let values = QuantizerRoundTripTests.gaussian(rows * columns, seed: 11, scale: 0.02)
        // MLX 0.29–0.30's exponents, rounded to nearest: half the blocks saturate their largest value.
        let (tensors, dequantized) = MLXTensors.floatingPoint(name: Self.name, values: values, shape: [rows, columns], mode: .mxfp8, roundExponentUp: false)
        let reader = try openSafetensors(tensors, in: directory)
        let energy = try streamedRoundingEnergy(reader, weight: Self.name)
        let real = zip(values, dequantized).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
        // Half a step alone (E4M3's spacing at each code, times the block's factor) is far below the real error.
        let halfStep = dequantized.indices.reduce(0.0) { total, index in
            let factor = Double(sign: .plus, exponent: Int(tensors[1].bytes[index / 32]) - 127, significand: 1)
            let code = abs(Double(dequantized[index])) / factor
            let step = Double(sign: .plus, exponent: max(code > 0 ? Int(log2(code).rounded(.down)) : -6, -6) - 3, significand: 1) * factor
            return total + step * step / 12
        }
        print("MLX mxfp8 on Gaussian values: predicted / real = \(energy / real), half a step alone / real = \(halfStep / real)")
        #expect(halfStep < real / 2)
        #expect(energy * 1.35 >= real && energy < 3 * real, "predicted \(energy), real \(real)")
    }

    @Test("a file MLX 0.32.4 wrote (mx.quantize, mx.save_safetensors) reads as mx.dequantize computes it: floating-point modes bit for bit, affine to float rounding")
    func writtenByMLX() throws {
        // Fixtures/make_mlx_fixtures.py; config.json states 8-bit groups of 32 for v_proj alone.
        let reader = try CheckpointReader(path: FormatFixtures.path("MLX/model"))
        let cases: [(name: String, dtype: DType, shape: [Int], group: Int)] = [
            ("model.layers.0.self_attn.q_proj.weight", .i4, [8, 128], 64),
            ("model.layers.0.self_attn.k_proj.weight", .u8, [8, 128], 64),
            ("model.layers.0.self_attn.v_proj.weight", .u8, [8, 128], 32),
            ("model.layers.1.self_attn.q_proj.weight", .f4, [8, 128], 32),
            ("model.layers.1.self_attn.k_proj.weight", .f4, [8, 128], 16),
            ("model.layers.1.self_attn.v_proj.weight", .f8E4M3, [8, 128], 32),
            ("model.layers.2.mlp.switch_mlp.up_proj.weight", .i4, [3, 4, 128], 64),
            ("model.layers.2.mlp.switch_mlp.down_proj.weight", .f4, [3, 4, 128], 32),
        ]
        for (name, dtype, shape, group) in cases {
            let tensor = try #require(reader.checkpoint.tensor(named: name), "\(name)")
            #expect(tensor.dtype == dtype && tensor.shape == shape && tensor.scale?.blockColumns == group, "\(name): \(tensor.dtype) \(tensor.shape)")
            let expected = try FormatFixtures.floats("MLX/\(name).expected.f32")
            if tensor.scale?.biases == nil {
                let difference = firstBitDifference(try readAllFloats(reader, tensor, chunkBytes: 100), expected)
                #expect(difference == nil, "\(name): first difference at \(difference ?? "-")")
            } else {
                // MLX computes code × scale + bias; the reader (code − 8) × scale + (bias + 8 × scale) for I4 codes.
                try expectReads(reader, tensor, as: expected, within: 0x1p-20, chunkSizes: [100])
            }
        }
        #expect(ExpertLayout.stackedExpertCount(of: try #require(reader.checkpoint.tensor(named: "model.layers.2.mlp.switch_mlp.down_proj.weight"))) == 3)
    }

    @Test("the rounding energy is Σ scale² / 12 over the elements and tracks the real round-trip error")
    func roundingEnergy() throws {
        let directory = try TemporaryDirectory()
        let rows = 64, columns = 256
        let values = fixedUniformValues(count: rows * columns)
        let (tensors, dequantized) = MLXTensors.affine(name: Self.name, values: values, rows: rows, columns: columns, storage: .f32)
        let energy = try streamedRoundingEnergy(try openSafetensors(tensors, in: directory), weight: Self.name)
        let real = zip(values, dequantized).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
        print("MLX 4-bit affine on uniform values: predicted rounding energy / real = \(energy / real)")
        // MLX makes the larger-magnitude edge exact, which stretches or clips the other end:
        // the real error is somewhat above Σ scale² / 12, well inside the re-encoding allowance (1.35×).
        #expect(energy / real > 0.75 && energy / real < 1.05, "predicted \(energy), real \(real)")
    }

    @Test("malformed companions and unread bit widths are errors naming the weight, the companion and the rule")
    func malformed() throws {
        let (tensors, _) = MLXTensors.affine(name: Self.name, values: wavyValues(count: Self.rows * Self.columns), rows: Self.rows, columns: Self.columns)
        let prefix = "model.layers.0.mlp.up_proj."
        func replacing(_ suffix: String, with tensor: TensorBytes) -> [TensorBytes] {
            tensors.map { $0.name == prefix + suffix ? tensor : $0 }
        }
        let words = tensors[0].bytes
        try expectOpeningFails([
            (replacing("biases", with: .init(name: prefix + "biases", shape: [Self.rows, 3], values: [Float](repeating: 0, count: 18))),
             "not floats of the scales' shape [6, 4]"),
            (replacing("scales", with: .init(name: prefix + "scales", dtype: .u8, shape: [Self.rows, 4], bytes: [UInt8](repeating: 1, count: 24))),
             "is U8 [6, 4], not floats"),
            // 3 groups of 64 over 32 words per row: 5.33 bits per code.
            (replacing("scales", with: .init(name: prefix + "scales", shape: [Self.rows, 3], values: [Float](repeating: 1, count: 18)))
                .map { $0.name == prefix + "biases" ? .init(name: prefix + "biases", shape: [Self.rows, 3], values: [Float](repeating: 0, count: 18)) : $0 },
             "not a width MLX writes (2 to 8)"),
            (replacing("weight", with: .init(name: Self.name, dtype: .u32, shape: [Self.rows * 32], bytes: words)), "not a matrix (or stack of matrices) of packed words"),
            // 4 groups of 64 over 56 words: 7 bits per code.
            (replacing("weight", with: .init(name: Self.name, dtype: .u32, shape: [Self.rows, 56], bytes: [UInt8](repeating: 1, count: Self.rows * 56 * 4))),
             "gives 7 bits per code"),
            // No biases and float scales: neither the affine nor a floating-point layout.
            (tensors.filter { !$0.name.hasSuffix("biases") }, "'model.layers.0.mlp.up_proj.biases' is missing"),
            // U8 scales, but 3 per row of 32 words: none of mxfp4 (8), nvfp4 (16) or mxfp8 (4).
            ([tensors[0], .init(name: prefix + "scales", dtype: .u8, shape: [Self.rows, 3], bytes: [UInt8](repeating: 127, count: Self.rows * 3))],
             "not the U8 scales of an MLX floating-point mode (mxfp4 [6, 8], nvfp4 [6, 16], mxfp8 [6, 4])"),
            // A stack whose scales do not share its expert dimension.
            ([.init(name: Self.name, dtype: .u32, shape: [2, 3, 32], bytes: words), tensors[1], tensors[2]], "not floats [2, 3, -1]"),
        ], naming: [Self.name, "MLX"])
    }
}
