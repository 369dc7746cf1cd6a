import CheckpointFixtures
import Checkpoints
import Foundation
import Testing

/// bitsandbytes 4-bit (NF4) weights as transformers saves them, with and without double
/// quantization of the block factors.
@Suite("bitsandbytes NF4 weights are read as quant_map[code] × the factor of their block")
struct BitsAndBytesWeightTests {
    static let rows = 6, columns = 128
    static let name = "model.layers.0.mlp.up_proj.weight"

    static func values() -> [Float] { wavyValues(count: rows * columns) }

    @Test("NF4 with F32 factors and with double-quantized factors, bit for bit, through any chunk size and by random access",
          arguments: [nil, 4] as [Int?])
    func decoding(nested: Int?) throws {
        let directory = try TemporaryDirectory()
        let (tensors, expected) = BitsAndBytesTensors.nf4(name: Self.name, values: Self.values(), rows: Self.rows, columns: Self.columns, nestedBlockSize: nested)
        let reader = try openSafetensors(tensors + [.init(name: "model.norm.weight", shape: [4], values: [1, 2, 3, 4])], in: directory)
        let weight = try #require(reader.checkpoint.tensor(named: Self.name))
        #expect(weight.dtype == .i4 && weight.shape == [Self.rows, Self.columns] && weight.packing?.order == .bitsandbytesNF4)
        #expect(weight.scale?.blockColumns == 64 && (weight.scale?.nestedFactors != nil) == (nested != nil))
        for companion in tensors.map(\.name) where companion != Self.name {
            #expect(reader.checkpoint.tensor(named: companion)?.scaledWeight == Self.name, "\(companion)")
        }
        #expect(reader.checkpoint.parameterCount == Self.rows * Self.columns + 4)
        for chunk in [1, 3, 64, 1 << 20] {
            let difference = firstBitDifference(try readAllFloats(reader, weight, chunkBytes: chunk), expected)
            #expect(difference == nil, "chunk \(chunk): first difference at \(difference ?? "-")")
        }
        let range = (Self.columns + 6)..<(3 * Self.columns + 10)
        var part = [Float](repeating: .nan, count: range.count)
        try part.withUnsafeMutableBufferPointer { try reader.readElements(of: weight, range: range, into: $0) }
        #expect(firstBitDifference(part, Array(expected[range])) == nil)
    }

    @Test("the rounding energy uses each code's cell in the codebook: Σ (width × factor)² / 12 tracks the real round-trip error")
    func roundingEnergy() throws {
        let directory = try TemporaryDirectory()
        // Gaussian values (bitsandbytes' NF4 is built for them), by Box–Muller from fixed uniforms.
        let values = (0..<(64 * 256)).map { index -> Float in
            Float((-2 * log(fixedUniform(2 * index))).squareRoot() * cos(2 * .pi * fixedUniform(2 * index + 1)))
        }
        let (tensors, dequantized) = BitsAndBytesTensors.nf4(name: Self.name, values: values, rows: 64, columns: 256)
        let energy = try streamedRoundingEnergy(try openSafetensors(tensors, in: directory), weight: Self.name)
        let real = zip(values, dequantized).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
        print("bitsandbytes NF4 on Gaussian values: predicted rounding energy / real = \(energy / real)")
        #expect(abs(energy / real - 1) < 0.2, "predicted \(energy), real \(real)")
    }

    @Test("malformed quant states and companions are errors naming the weight, the companion and the rule")
    func malformed() throws {
        let (tensors, _) = BitsAndBytesTensors.nf4(name: Self.name, values: Self.values(), rows: Self.rows, columns: Self.columns)
        func replacing(_ suffix: String, with tensor: TensorBytes?) -> [TensorBytes] {
            tensors.compactMap { $0.name == Self.name + suffix ? tensor : $0 }
        }
        func state(_ text: String) -> TensorBytes {
            .init(name: Self.name + ".quant_state.bitsandbytes__nf4", dtype: .u8, shape: [text.utf8.count], bytes: Array(text.utf8))
        }
        let cases: [([TensorBytes], String)] = [
            (replacing(".quant_state.bitsandbytes__nf4", with: state("{\"blocksize\": 64")), "does not hold a JSON object"),
            (replacing(".quant_state.bitsandbytes__nf4", with: state("{\"blocksize\": 64, \"shape\": [6, 100]}")), "gives shape [6, 100]"),
            (replacing(".quant_state.bitsandbytes__nf4", with: state("{\"blocksize\": 96, \"shape\": [6, 128]}")), "straddle the rows of 128"),
            (replacing(".quant_state.bitsandbytes__nf4", with: state("{\"shape\": [6, 128]}")), "no positive 'blocksize'"),
            (replacing(".quant_map", with: nil), "'model.layers.0.mlp.up_proj.weight.quant_map' is missing"),
            (replacing(".absmax", with: .init(name: Self.name + ".absmax", shape: [5], values: [1, 1, 1, 1, 1])), "one value per block (12)"),
            (replacing(".absmax", with: .init(name: Self.name + ".absmax", dtype: .u8, shape: [12], bytes: [UInt8](repeating: 1, count: 12))),
             "no positive 'nested_blocksize'"),
        ]
        try expectOpeningFails(cases, naming: ["model.layers.0.mlp.up_proj.weight", "bitsandbytes"])
    }
}
