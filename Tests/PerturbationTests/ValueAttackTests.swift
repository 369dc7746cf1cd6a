import Checkpoints
import Perturbation
import SyntheticModels
import Testing

/// Attacks that change values: each is checked for its exact effect.
@Suite("Noise, dtype, merge")
struct ValueAttackTests {
    @Test("noise has σ = r × each tensor's std, zero mean, and is deterministic", arguments: [Float(0.001), 0.01, 0.2])
    func noise(relative: Float) throws {
        let original = Models.checkpoint(.tinyLlama)
        var model = original
        let record = try GaussianNoise(relativeStandardDeviation: relative, seed: 4).apply(to: &model)
        #expect(!record.functionPreserving)
        #expect(record.parameters["tensors"] == .integer(original.entries.count))
        for (before, after) in zip(original.entries, model.entries) where before.tensor.values.count >= 4096 {
            let difference = zip(after.tensor.values, before.tensor.values).map { $0 - $1 }
            let measured = Models.standardDeviation(difference) / Models.standardDeviation(before.tensor.values)
            #expect(abs(measured / Double(relative) - 1) < 0.05, "\(before.name): measured \(measured)")
            let mean = difference.reduce(0.0) { $0 + Double($1) } / Double(difference.count)
            #expect(abs(mean) < 5 * Double(relative) * Models.standardDeviation(before.tensor.values) / Double(difference.count).squareRoot())
        }
        var again = original
        _ = try GaussianNoise(relativeStandardDeviation: relative, seed: 4).apply(to: &again)
        #expect(zip(again.entries, model.entries).allSatisfy { $0.tensor.values == $1.tensor.values })
        var other = original
        _ = try GaussianNoise(relativeStandardDeviation: relative, seed: 5).apply(to: &other)
        #expect(zip(other.entries, model.entries).allSatisfy { $0.tensor.values != $1.tensor.values })
    }

    @Test("constant tensors get σ = r × RMS; zero tensors and integer buffers stay unchanged")
    func noiseOnConstants() throws {
        var weights = ModelGenerator.generate(.tinyBERT, seed: 2)  // norm weights 1, biases 0
        weights.tensors.append(.init(name: "embeddings.position_ids", shape: [1, 64], values: (0..<64).map(Float.init)))
        var model = CheckpointModel(weights)
        model.entries[model.entries.count - 1].storageDType = .i64
        model.entries[model.entries.count - 1].isFloatingPoint = false
        _ = try GaussianNoise(relativeStandardDeviation: 0.1, seed: 1).apply(to: &model)
        let norm = try Models.tensor(model, "encoder.layer.0.output.LayerNorm.weight").values
        #expect(abs(Models.standardDeviation(norm) / 0.1 - 1) < 0.3)
        #expect(try Models.tensor(model, "encoder.layer.0.output.LayerNorm.bias").values.allSatisfy { $0 == 0 })
        #expect(try Models.tensor(model, "embeddings.position_ids").values == (0..<64).map(Float.init))
    }

    @Test("dtype conversion rounds values to the target and sets the stored dtype", arguments: [DTypeConversion.Target.bf16, .f16, .f32])
    func dtype(target: DTypeConversion.Target) throws {
        let original = Models.checkpoint(.tinyBERT)
        var model = original
        _ = try DTypeConversion(target: target).apply(to: &model)
        for (before, after) in zip(original.entries, model.entries) {
            #expect(after.storageDType == target.storageDType)
            for (x, y) in zip(before.tensor.values, after.tensor.values) {
                switch target {
                case .bf16: #expect(y == FloatBits.bfloat16(FloatEncoding.bfloat16Bits(x)))
                case .f16: #expect(y == FloatBits.float16(FloatEncoding.float16Bits(x)))
                default: #expect(y == x)
                }
            }
        }
        if target != .f32 {
            #expect(zip(original.entries, model.entries).contains { $0.tensor.values != $1.tensor.values })
        }
    }

    @Test("fp8 round trip: values on the scaled E4M3 grid, largest magnitude near 448, stored exactly as BF16")
    func fp8() throws {
        let original = Models.checkpoint(.tinyLlama)
        var model = original
        _ = try DTypeConversion(target: .fp8).apply(to: &model)
        let grid = Set((0..<256).map { FloatBits.float8E4M3(UInt8($0)) }.filter(\.isFinite))
        for (before, after) in zip(original.entries, model.entries) {
            #expect(after.storageDType == .bf16)
            let largest = before.tensor.values.map(abs).max()!
            let scaledLargest = 448 / largest
            let exponent = Int(scaledLargest.exponent) - (largest * Float(sign: .plus, exponent: Int(scaledLargest.exponent), significand: 1) > 448 ? 1 : 0)
            let scale = Float(sign: .plus, exponent: exponent, significand: 1)
            #expect(largest * scale <= 448 && largest * scale * 2 > 448)
            for (x, y) in zip(before.tensor.values, after.tensor.values) {
                #expect(grid.contains(y * scale), "\(after.name): \(y) is not on the grid")
                #expect(FloatBits.bfloat16(FloatEncoding.bfloat16Bits(y)) == y)
                if abs(x * scale) >= 0x1p-6 { #expect(abs(y - x) <= abs(x) * 0x1p-4 * 1.0001) }  // half an ulp of 3 mantissa bits
            }
        }
    }

    @Test("8-bit encoding: every code round-trips, midpoints round to even, out of range saturates")
    func eightBitEncoding() throws {
        let directory = Models.temporaryDirectory()
        var values: [Float] = []
        for code in 0..<256 where FloatBits.float8E4M3(UInt8(code)).isFinite { values.append(FloatBits.float8E4M3(UInt8(code))) }
        // 1.0 (0x38) and 1.125 (0x39): the midpoint 1.0625 goes to the even code 0x38; 1.1875 to 0x3A (1.25).
        values += [1.0625, 1.1875, 1000, -1000]
        let tensor = ModelWeights.Tensor(name: "x", shape: [values.count], values: values)
        var model = CheckpointModel(ModelWeights(spec: .tinyLlama, tensors: [tensor]), dtype: .f8E4M3)
        model.spec = nil
        try model.write(to: directory + "/out")
        let reread = try CheckpointModel.read(from: directory + "/out")
        let decoded = reread.entries[0].tensor.values
        let codes = values.count - 4
        for index in 0..<codes { #expect(decoded[index] == values[index] || (decoded[index] == 0 && values[index] == 0)) }
        #expect(decoded[codes] == 1.0)
        #expect(decoded[codes + 1] == 1.25)
        #expect(decoded[codes + 2] == 448)
        #expect(decoded[codes + 3] == -448)
    }

    @Test("merge gives a·A + (1−a)·B for every tensor")
    func merge() throws {
        let a = Models.checkpoint(.tinyLlama, seed: 1), b = Models.checkpoint(.tinyLlama, seed: 2)
        var model = a
        let record = try LinearMerge(other: b, weight: 0.4, otherLabel: "B").apply(to: &model)
        #expect(record.parameters["input_weight"] == .number(0.4))
        #expect(record.parameters["other_weight"] == .number(0.6))
        #expect(record.summary.contains("0.4 × input + 0.6 × B"))
        for index in model.entries.indices {
            let x = a.entries[index].tensor.values, y = b.entries[index].tensor.values
            #expect(model.entries[index].tensor.values == zip(x, y).map { 0.4 * $0 + (1 - Float(0.4)) * $1 })
        }
        var weightOne = a
        _ = try LinearMerge(other: b, weight: 1, otherLabel: "B").apply(to: &weightOne)
        #expect(zip(weightOne.entries, a.entries).allSatisfy { $0.tensor.values == $1.tensor.values })
    }

    @Test("merge refuses mismatched checkpoints and bad weights")
    func mergeErrors() throws {
        var model = Models.checkpoint(.tinyLlama)
        let other = Models.checkpoint(.smallLlamaGQA)
        #expect(throws: PerturbationError(attack: "merge", file: "other", tensor: "model.embed_tokens.weight",
                                          rule: .shapeMismatch(expected: [512, 64], actual: [1024, 128]))) {
            try LinearMerge(other: other, weight: 0.5, otherLabel: "other").apply(to: &model)
        }
        var fewer = Models.checkpoint(.tinyLlama)
        fewer.entries.removeLast()
        #expect(throws: PerturbationError(attack: "merge", file: "other", tensor: "lm_head.weight", rule: .missingTensor)) {
            try LinearMerge(other: fewer, weight: 0.5, otherLabel: "other").apply(to: &model)
        }
        #expect(throws: PerturbationError.self) { try LinearMerge(other: model, weight: 1.5, otherLabel: "x").apply(to: &model) }
    }
}
