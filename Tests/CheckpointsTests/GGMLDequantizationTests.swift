import Checkpoints
import Foundation
import Testing

@Suite("GGML dequantization and quantization against gguf-py reference vectors")
struct GGMLDequantizationTests {
    /// The types gguf-py dequantizes (Q1_0 is not among them; `q1_0` tests it by hand).
    static let quantized: [DType] = [.q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q2K, .q3K, .q4K, .q5K, .q6K, .iq4NL, .iq4XS, .mxfp4, .nvfp4, .tq1_0, .tq2_0]
        + lattice
    /// The lattice-codebook types.
    static let lattice: [DType] = [.iq2XXS, .iq2XS, .iq2S, .iq3XXS, .iq3S, .iq1S, .iq1M]
    /// The quantized types in `GGUF/reference.gguf` (written by gguf-py's GGUFWriter).
    static let inReferenceFile: [DType] = [.q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q2K, .q3K, .q4K, .q5K, .q6K]

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

    @Test("quantized blocks equal gguf-py's byte for byte", arguments: GGMLQuantizer.referenceTypes)
    func quantizeMatchesReference(_ dtype: DType) throws {
        let input = try FormatFixtures.floats("GGML/\(dtype.name).input.f32")
        let expected = try FormatFixtures.bytes("GGML/\(dtype.name).blocks")
        let blocks = GGMLQuantizer.quantize(input, as: dtype)
        #expect(blocks == expected)
    }

    @Test("Q1_0: one sign bit per value, lowest bit first; bit 1 is +d, bit 0 is −d")
    func q1_0() {
        // d = −0.375 (0xB600); bits 0b1000_0101 in byte 0, 0xFF in byte 15, zero elsewhere.
        var block = [UInt8](repeating: 0, count: 18)
        block[0] = 0x00
        block[1] = 0xB6
        block[2] = 0b1000_0101
        block[17] = 0xFF
        let values = decode(block, as: .q1_0)
        #expect(values.count == 128)
        #expect(Array(values[0..<8]) == [-0.375, 0.375, -0.375, 0.375, 0.375, 0.375, 0.375, -0.375])
        #expect(values[8..<120].allSatisfy { $0 == 0.375 })
        #expect(values[120..<128].allSatisfy { $0 == -0.375 })
    }

    @Test("Q2_0: four 2-bit codes per byte, lowest bits first; code q is (q − 1) × d")
    func q2_0() {
        // d = 0.5 (0x3800); byte 0 = codes 3, 2, 1, 0 from its low bits up; byte 15 = code 3 four times.
        var block = [UInt8](repeating: 0x55, count: 18)  // 0x55: code 1 (zero) four times
        block[0] = 0x00
        block[1] = 0x38
        block[2] = 0b00_01_10_11
        block[17] = 0xFF
        let values = decode(block, as: .q2_0)
        #expect(values.count == 64)
        #expect(Array(values[0..<4]) == [1.0, 0.5, 0, -0.5])
        #expect(values[4..<60].allSatisfy { $0 == 0 })
        #expect(values[60..<64].allSatisfy { $0 == 1.0 })
        #expect(DType(ggmlTypeID: 42) == .q2_0)
    }

    @Test("a GGUF holding every lattice type and Q1_0 opens and streams their values")
    func latticeTypesInGGUF() throws {
        let directory = try FormatTestDirectory()
        let path = directory.path("lattice.gguf")
        let types = Self.lattice + [.q1_0]
        var tensors: [GGUFWriter.Tensor] = []
        var expected: [String: [Float]] = [:]
        for (index, dtype) in types.enumerated() {
            // Random block bytes with a d of 2^-10 wherever the layout puts d (IQ1_M: spread
            // over the top nibbles of its last four uint16s).
            var state = UInt64(index + 1) &* 0x9E37_79B9_7F4A_7C15
            var bytes = (0..<(2 * dtype.block.bytes)).map { _ -> UInt8 in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return UInt8(truncatingIfNeeded: state >> 56)
            }
            for block in 0..<2 {
                let base = block * dtype.block.bytes
                if dtype == .iq1M {
                    for (k, nibble) in [UInt8(0x0), 0x0, 0x4, 0x1].enumerated() {  // 0x1400 = 2^-10
                        bytes[base + 48 + 2 * k + 1] = bytes[base + 48 + 2 * k + 1] & 0x0F | nibble << 4
                    }
                } else {
                    bytes[base] = 0x00
                    bytes[base + 1] = 0x14
                }
            }
            let name = "t\(index).\(dtype.name)"
            tensors.append(GGUFWriter.Tensor(name: name, dtype: dtype, shape: [2, dtype.block.elements], bytes: bytes))
            expected[name] = decode(bytes, as: dtype)
        }
        try GGUFWriter.write(tensors, metadata: GGUFMetadata(), to: path)
        let reader = try CheckpointReader(path: path)
        #expect(Set(reader.checkpoint.quantizationTypes) == Set(types))
        for tensor in tensors {
            let info = try #require(reader.checkpoint.tensor(named: tensor.name))
            let values = try readAllFloats(reader, info)
            #expect(values == expected[tensor.name], "\(tensor.name)")
            #expect(values.allSatisfy(\.isFinite) && values.contains { $0 != 0 }, "\(tensor.name)")
            #expect(values.allSatisfy { abs($0) <= 0x1p-10 * 62 * 31 }, "\(tensor.name): values beyond d × largest scale × level")
        }
    }

    @Test("MXFP4 scales: exponents 0 and 1 give subnormal scales, 255 a finite 2^127 (ggml's E8M0 half)")
    func mxfp4Exponents() {
        // Codes: byte j holds element j (low nibble) and j + 16 (high nibble).
        // Element 0 takes code 7 (+12 doubled = 6.0 × 2), element 16 code 9 (−1 doubled).
        func decoded(exponent: UInt8) -> (Float, Float) {
            var block = [UInt8](repeating: 0, count: 17)
            block[0] = exponent
            block[1] = 0x97
            let values = decode(block, as: .mxfp4)
            return (values[0], values[16])
        }
        #expect(decoded(exponent: 0) == (12 * 0x1p-128, -0x1p-128))
        #expect(decoded(exponent: 1) == (12 * 0x1p-127, -0x1p-127))
        #expect(decoded(exponent: 128) == (12, -1))
        #expect(decoded(exponent: 130) == (48, -4))
        #expect(decoded(exponent: 255) == (Float.infinity, -0x1p127))  // 12 × 2^127 overflows, as in ggml
    }

    @Test("block sizes, widths and byte counts follow ggml's type traits")
    func blockTraits() {
        let traits: [DType: (elements: Int, bytes: Int, bits: Int)] = [
            .q8_0: (32, 34, 8), .q4_0: (32, 18, 4), .q4_1: (32, 20, 4), .q5_0: (32, 22, 5), .q5_1: (32, 24, 5),
            .q2K: (256, 84, 2), .q3K: (256, 110, 3), .q4K: (256, 144, 4), .q5K: (256, 176, 5), .q6K: (256, 210, 6),
            .iq4NL: (32, 18, 4), .iq4XS: (256, 136, 4), .mxfp4: (32, 17, 4), .nvfp4: (64, 36, 4),
            .tq1_0: (256, 54, 2), .tq2_0: (256, 66, 2),
            // gguf-py GGML_QUANT_SIZES for the lattice types and Q1_0.
            .iq1S: (256, 50, 1), .iq1M: (256, 56, 1), .iq2XXS: (256, 66, 2), .iq2XS: (256, 74, 2), .iq2S: (256, 82, 2),
            .iq3XXS: (256, 98, 3), .iq3S: (256, 110, 3), .q1_0: (128, 18, 1),
            // ggml-common.h block_q2_0 (2026).
            .q2_0: (64, 18, 2),
        ]
        for (dtype, trait) in traits {
            #expect(dtype.block.elements == trait.elements && dtype.block.bytes == trait.bytes, "\(dtype.name)")
            #expect(dtype.bitWidth == trait.bits, "\(dtype.name)")
            #expect(dtype.isBlockQuantized && dtype.isFloatingPoint, "\(dtype.name)")
            #expect(dtype.unsupportedReason == nil, "\(dtype.name)")
            #expect(dtype.byteCount(forElements: trait.elements * 3) == trait.bytes * 3)
            #expect(dtype.byteCount(forElements: trait.elements + 1) == nil)
        }
        #expect(DType.q4K.bitsPerElement == 4.5)
        #expect(DType.q8_0.bitsPerElement == 8.5)
        #expect(DType.q6K.bitsPerElement == 6.5625)
        #expect(DType.iq4XS.bitsPerElement == 4.25)
        #expect(DType.mxfp4.bitsPerElement == 4.25)
        #expect(Set(traits.keys) == Set(DType.allCases.filter(\.isBlockQuantized)))
    }

    @Test("GGML type ids map both ways; unsupported ids have names")
    func ggmlTypeIDs() {
        for dtype in DType.allCases {
            if let id = dtype.ggmlTypeID { #expect(DType(ggmlTypeID: id) == dtype) }
        }
        #expect(DType(ggmlTypeID: 12) == .q4K)
        #expect(DType(ggmlTypeID: 30) == .bf16)
        #expect(DType(ggmlTypeID: 16) == .iq2XXS && DType(ggmlTypeID: 41) == .q1_0)
        #expect(DType(ggmlTypeID: 15) == nil)
        #expect(DType.ggmlTypeName(forID: 15) == "Q8_K")
        #expect(DType.ggmlTypeName(forID: 16) == "IQ2_XXS")
        #expect(DType(ggmlTypeID: 20) == .iq4NL && DType(ggmlTypeID: 23) == .iq4XS && DType(ggmlTypeID: 39) == .mxfp4)
        #expect(DType.ggmlTypeName(forID: 23) == "IQ4_XS")
        #expect(DType.ggmlTypeName(forID: 21) == "IQ3_S")
        #expect(DType.ggmlTypeName(forID: 200) == nil)
    }

    @Test("safetensors names accept only safetensors dtypes")
    func safetensorsNames() {
        for dtype in DType.allCases {
            // GGML types and the reader's own I4 (packed INT4 codes) are not safetensors dtypes.
            #expect(DType(safetensorsName: dtype.name) == (dtype.isBlockQuantized || dtype == .i4 ? nil : dtype), "\(dtype.name)")
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
