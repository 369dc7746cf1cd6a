import Checkpoints
import Foundation
import Testing

@Suite("GGML dequantization and quantization against gguf-py reference vectors")
struct GGMLDequantizationTests {
    static let quantized: [DType] = [.q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q2K, .q3K, .q4K, .q5K, .q6K]

    @Test("dequantized values equal gguf-py's bit for bit", arguments: quantized + [.f16, .bf16])
    func dequantizeMatchesReference(_ dtype: DType) throws {
        let blocks = try FormatFixtures.bytes("GGML/\(dtype.name).blocks")
        let expected = try FormatFixtures.floats("GGML/\(dtype.name).expected.f32")
        #expect(blocks.count % dtype.block.bytes == 0)
        #expect(expected.count == blocks.count / dtype.block.bytes * dtype.block.elements)
        let decoded = decode(blocks, as: dtype)
        let mismatches = zip(decoded, expected).enumerated().filter { $0.element.0.bitPattern != $0.element.1.bitPattern }
        let firstMismatches = mismatches.prefix(3).map { "#\($0.offset): \($0.element.0) vs \($0.element.1)" }
        let mismatchCount = mismatches.count
        #expect(mismatchCount == 0, "\(dtype.name): first mismatches \(firstMismatches)")
        #expect(decoded.count == expected.count)
    }

    @Test("quantized blocks equal gguf-py's byte for byte", arguments: GGMLQuantizer.supportedTypes)
    func quantizeMatchesReference(_ dtype: DType) throws {
        let input = try FormatFixtures.floats("GGML/\(dtype.name).input.f32")
        let expected = try FormatFixtures.bytes("GGML/\(dtype.name).blocks")
        let blocks = GGMLQuantizer.quantize(input, as: dtype)
        #expect(blocks == expected)
    }

    @Test("block sizes, widths and byte counts follow ggml's type traits")
    func blockTraits() {
        let traits: [DType: (elements: Int, bytes: Int, bits: Int)] = [
            .q8_0: (32, 34, 8), .q4_0: (32, 18, 4), .q4_1: (32, 20, 4), .q5_0: (32, 22, 5), .q5_1: (32, 24, 5),
            .q2K: (256, 84, 2), .q3K: (256, 110, 3), .q4K: (256, 144, 4), .q5K: (256, 176, 5), .q6K: (256, 210, 6),
        ]
        for (dtype, trait) in traits {
            #expect(dtype.block.elements == trait.elements && dtype.block.bytes == trait.bytes, "\(dtype.name)")
            #expect(dtype.bitWidth == trait.bits, "\(dtype.name)")
            #expect(dtype.isBlockQuantized && dtype.isFloatingPoint && dtype.unsupportedReason == nil)
            #expect(dtype.byteCount(forElements: trait.elements * 3) == trait.bytes * 3)
            #expect(dtype.byteCount(forElements: trait.elements + 1) == nil)
        }
        #expect(DType.q4K.bitsPerElement == 4.5)
        #expect(DType.q8_0.bitsPerElement == 8.5)
        #expect(DType.q6K.bitsPerElement == 6.5625)
        #expect(Set(traits.keys) == Set(DType.allCases.filter(\.isBlockQuantized)))
    }

    @Test("GGML type ids map both ways; unsupported ids have names")
    func ggmlTypeIDs() {
        for dtype in DType.allCases {
            if let id = dtype.ggmlTypeID { #expect(DType(ggmlTypeID: id) == dtype) }
        }
        #expect(DType(ggmlTypeID: 12) == .q4K)
        #expect(DType(ggmlTypeID: 30) == .bf16)
        #expect(DType(ggmlTypeID: 16) == nil)
        #expect(DType.ggmlTypeName(forID: 16) == "IQ2_XXS")
        #expect(DType.ggmlTypeName(forID: 23) == "IQ4_XS")
        #expect(DType.ggmlTypeName(forID: 200) == nil)
    }

    @Test("safetensors names accept only safetensors dtypes")
    func safetensorsNames() {
        for dtype in DType.allCases {
            #expect(DType(safetensorsName: dtype.name) == (dtype.isBlockQuantized ? nil : dtype), "\(dtype.name)")
        }
    }

    @Test("a safetensors file declaring Q8_0 is rejected as an unknown dtype")
    func safetensorsRejectsGGMLTypes() throws {
        let directory = try FormatTestDirectory()
        let path = directory.path("q8.safetensors")
        try SafetensorsWriter.write([.init(name: "w", dtype: .q8_0, shape: [32], bytes: [UInt8](repeating: 0, count: 34))], to: path)
        let error = checkpointError { _ = try CheckpointReader(path: path) }
        #expect(error == CheckpointError(file: path, tensor: "w", rule: .unknownDType("Q8_0")))
    }

    @Test("streaming a quantized tensor in chunks smaller than a block yields whole blocks")
    func chunksHoldWholeBlocks() throws {
        let reader = try CheckpointReader(path: FormatFixtures.path("GGUF/reference.gguf"))
        let tensor = try #require(reader.checkpoint.tensor(named: "quant.Q6_K"))
        var chunkSizes: [Int] = []
        try reader.readChunks(of: tensor, chunkBytes: 7) { chunk in chunkSizes.append(chunk.bytes.count) }
        #expect(chunkSizes == [210, 210])
    }
}
