import CheckpointFixtures
import Checkpoints
import Foundation
import Testing

/// bitsandbytes 8-bit (LLM.int8) weights as transformers saves a `load_in_8bit` model.
@Suite("bitsandbytes LLM.int8 weights are read as code × SCB / 127, one factor per row")
struct LLMInt8WeightTests {
    static let rows = 6, columns = 40
    static let name = "model.layers.0.self_attn.q_proj.weight"

    static func values() -> [Float] { wavyValues(count: rows * columns) }

    /// Whether every value is within one rounding (2⁻²³ relative) of bitsandbytes' own: it
    /// multiplies code × SCB and then by 1/127, the reader code by the factor SCB × 1/127.
    static func withinOneRounding(_ values: [Float], _ expected: [Float]) -> Bool {
        values.count == expected.count && zip(values, expected).allSatisfy { abs($0 - $1) <= abs($1) * 0x1p-23 }
    }

    @Test("with and without weight_format (bitsandbytes before 0.41), through any chunk size and by random access",
          arguments: [true, false])
    func decoding(withFormat: Bool) throws {
        let directory = try TemporaryDirectory()
        var (tensors, expected) = BitsAndBytesTensors.llmInt8(name: Self.name, values: Self.values(), rows: Self.rows, columns: Self.columns)
        if !withFormat { tensors.removeAll { $0.name.hasSuffix("weight_format") } }
        let reader = try openSafetensors(tensors + [.init(name: "model.norm.weight", shape: [4], values: [1, 2, 3, 4])], in: directory)
        let weight = try #require(reader.checkpoint.tensor(named: Self.name))
        #expect(weight.dtype == .i8 && weight.shape == [Self.rows, Self.columns] && weight.packing == nil)
        #expect(weight.scale?.granularity == .row && weight.scale?.name == "model.layers.0.self_attn.q_proj.SCB" && weight.scale?.multiplier == Float(1) / 127)
        for companion in tensors.map(\.name) where companion != Self.name {
            #expect(reader.checkpoint.tensor(named: companion)?.scaledWeight == Self.name, "\(companion)")
        }
        #expect(reader.checkpoint.parameterCount == Self.rows * Self.columns + 4)
        for chunk in [1, 3, 64, 1 << 20] {
            #expect(Self.withinOneRounding(try readAllFloats(reader, weight, chunkBytes: chunk), expected), "chunk \(chunk)")
        }
        let range = (Self.columns + 6)..<(3 * Self.columns + 10)
        var part = [Float](repeating: .nan, count: range.count)
        try part.withUnsafeMutableBufferPointer { try reader.readElements(of: weight, range: range, into: $0) }
        #expect(Self.withinOneRounding(part, Array(expected[range])))
        // Not the codes themselves: the factor is applied (the largest code of a row is ±127).
        #expect(abs(part.map(abs).max()! - 127) > 1)
    }

    @Test("the rounding energy is Σ (SCB / 127)² / 12 over the elements and tracks the real round-trip error")
    func roundingEnergy() throws {
        let directory = try TemporaryDirectory()
        let rows = 64, columns = 256
        let values = fixedUniformValues(count: rows * columns)
        let (tensors, dequantized) = BitsAndBytesTensors.llmInt8(name: Self.name, values: values, rows: rows, columns: columns)
        let energy = try streamedRoundingEnergy(try openSafetensors(tensors, in: directory), weight: Self.name)
        let scb = try #require(tensors.first { $0.name.hasSuffix("SCB") }).bytes
        let expectedEnergy = stride(from: 0, to: scb.count, by: 4).reduce(0.0) { total, offset in
            let factor = Double(Float(bitPattern: UInt32(scb[offset]) | UInt32(scb[offset + 1]) << 8 | UInt32(scb[offset + 2]) << 16 | UInt32(scb[offset + 3]) << 24)) / 127
            return total + Double(columns) * factor * factor / 12
        }
        #expect(abs(energy / expectedEnergy - 1) < 1e-6, "energy \(energy), Σ (SCB/127)² / 12 = \(expectedEnergy)")
        let real = zip(values, dequantized).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
        print("bitsandbytes LLM.int8 on uniform values: predicted rounding energy / real = \(energy / real)")
        #expect(abs(energy / real - 1) < 0.1, "predicted \(energy), real \(real)")
    }

    @Test("a load_in_8bit save in a PyTorch archive (older transformers' pytorch_model.bin) reads the same")
    func inPyTorchArchive() throws {
        let directory = try TemporaryDirectory()
        let (tensors, expected) = BitsAndBytesTensors.llmInt8(name: Self.name, values: Self.values(), rows: Self.rows, columns: Self.columns)
        let path = directory.path("pytorch_model.bin")
        try PyTorchWriter.write(tensors, to: path)
        let reader = try CheckpointReader(path: path)
        let weight = try #require(reader.checkpoint.tensor(named: Self.name))
        #expect(weight.scale?.multiplier == Float(1) / 127)
        #expect(Self.withinOneRounding(try readAllFloats(reader, weight), expected))
    }

    @Test("malformed companions and GPU tile layouts are errors naming the weight, the companion and the rule")
    func malformed() throws {
        let (tensors, _) = BitsAndBytesTensors.llmInt8(name: Self.name, values: Self.values(), rows: Self.rows, columns: Self.columns)
        let prefix = "model.layers.0.self_attn.q_proj."
        func replacing(_ suffix: String, with tensor: TensorBytes?) -> [TensorBytes] {
            tensors.compactMap { $0.name == prefix + suffix ? tensor : $0 }
        }
        let codes = tensors[0].bytes
        let cases: [([TensorBytes], String)] = [
            (replacing("weight", with: nil), "has no weight '\(Self.name)' beside it"),
            (replacing("weight", with: .init(name: Self.name, dtype: .u8, shape: [Self.rows, Self.columns], bytes: codes)), "not a matrix of I8 codes"),
            (replacing("weight", with: .init(name: Self.name, dtype: .i8, shape: [Self.rows * Self.columns], bytes: codes)), "not a matrix of I8 codes"),
            (replacing("SCB", with: .init(name: prefix + "SCB", shape: [Self.rows + 1], values: [Float](repeating: 1, count: Self.rows + 1))),
             "not F32 [6] (one factor per row)"),
            (replacing("SCB", with: .init(name: prefix + "SCB", dtype: .i32, shape: [Self.rows], bytes: [UInt8](repeating: 1, count: 4 * Self.rows))),
             "is I32 [6]"),
            (replacing("weight_format", with: .init(name: prefix + "weight_format", dtype: .u8, shape: [], bytes: [2])),
             "weight format 2 ('col_turing', a GPU tile layout"),
            (replacing("weight_format", with: .init(name: prefix + "weight_format", dtype: .u8, shape: [], bytes: [9])), "weight format 9 (unknown)"),
            (replacing("weight_format", with: .init(name: prefix + "weight_format", dtype: .i64, shape: [], bytes: [UInt8](repeating: 0, count: 8))),
             "not one U8 value"),
        ]
        try expectOpeningFails(cases, naming: [Self.name, "LLM.int8"])
    }
}
