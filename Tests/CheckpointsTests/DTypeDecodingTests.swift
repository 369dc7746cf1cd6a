import Checkpoints
import CheckpointFixtures
import Foundation
import Testing

/// One dtype, stored bytes, and the values they must decode to, worked out by hand.
struct DecodeCase: Sendable, CustomTestStringConvertible {
    var dtype: DType
    var bytes: [UInt8]
    var floats: [Float]
    /// Expected Doubles when they differ from `floats` widened (F64 and wide integers).
    var doubles: [Double]?

    var testDescription: String { dtype.name }

    static func bits8(_ dtype: DType, _ pairs: KeyValuePairs<UInt8, Float>) -> DecodeCase {
        DecodeCase(dtype: dtype, bytes: pairs.map(\.key), floats: pairs.map(\.value))
    }

    static func bits16(_ dtype: DType, _ pairs: KeyValuePairs<UInt16, Float>) -> DecodeCase {
        DecodeCase(dtype: dtype, bytes: littleEndianBytes(pairs.map(\.key)), floats: pairs.map(\.value))
    }

    /// Hand-computed values for every dtype that can be decoded.
    static let all: [DecodeCase] = [
        // IEEE binary16: bias 15, 10 mantissa bits; subnormals are m × 2^-24.
        bits16(.f16, [
            0x0000: 0, 0x8000: -0.0,
            0x0001: 0x1p-24, 0x8001: -0x1p-24, 0x0002: 0x1p-23,
            0x03FF: 0x1.FF8p-15,  // largest subnormal, 1023 × 2^-24
            0x0400: 0x1p-14,  // smallest normal
            0x3C00: 1, 0x3C01: 0x1.004p0, 0xC000: -2, 0x3555: 0x1.554p-2,
            0x7BFF: 65504, 0xFBFF: -65504,
            0x7C00: .infinity, 0xFC00: -.infinity,
            0x7E00: .nan, 0x7C01: .nan, 0xFFFF: .nan,
        ]),
        // bfloat16: the upper half of a binary32.
        bits16(.bf16, [
            0x0000: 0, 0x8000: -0.0, 0x3F80: 1, 0xBF80: -1, 0x3E80: 0.25,
            0x4049: 3.140625, 0xC049: -3.140625,
            0x0001: 0x1p-133,  // smallest subnormal
            0x0080: 0x1p-126,  // smallest normal
            0x7F7F: 0x1.FEp127,  // largest finite
            0x7F80: .infinity, 0xFF80: -.infinity, 0x7FC0: .nan, 0x7F81: .nan,
        ]),
        // F8_E4M3 (E4M3FN): bias 7, no infinities, only S.1111.111 is NaN.
        bits8(.f8E4M3, [
            0x00: 0, 0x80: -0.0,
            0x01: 0x1p-9, 0x07: 0x1.Cp-7,  // subnormals m × 2^-9
            0x08: 0x1p-6, 0x38: 1, 0x3F: 1.875, 0x40: 2,
            0x77: 240, 0x78: 256,  // exponent 15 holds normal numbers
            0x7E: 448, 0xFE: -448,  // largest finite
            0x7F: .nan, 0xFF: .nan,
        ]),
        // F8_E5M2: bias 15, IEEE-style infinities and NaNs.
        bits8(.f8E5M2, [
            0x00: 0, 0x80: -0.0,
            0x01: 0x1p-16, 0x03: 0x1.8p-15,  // subnormals m × 2^-16
            0x04: 0x1p-14, 0x3C: 1, 0x3D: 1.25,
            0x7B: 57344, 0xFB: -57344,
            0x7C: .infinity, 0xFC: -.infinity,
            0x7D: .nan, 0x7E: .nan, 0x7F: .nan, 0xFF: .nan,
        ]),
        // F8_E4M3FNUZ: bias 8, no infinities, no negative zero: 0x80 is the only NaN.
        bits8(.f8E4M3FNUZ, [
            0x00: 0, 0x01: 0x1p-10, 0x81: -0x1p-10, 0x08: 0x1p-7, 0x40: 1,
            0x78: 128, 0x7F: 240, 0xFF: -240,
            0x80: .nan,
        ]),
        // F8_E5M2FNUZ: bias 16, no infinities, no negative zero: 0x80 is the only NaN.
        bits8(.f8E5M2FNUZ, [
            0x00: 0, 0x01: 0x1p-17, 0x04: 0x1p-15, 0x84: -0x1p-15, 0x40: 1,
            0x7C: 32768,  // not infinity
            0x7F: 57344, 0xFF: -57344,
            0x80: .nan,
        ]),
        // F8_E8M0: unsigned powers of two 2^(e−127); 0xFF is NaN.
        bits8(.f8E8M0, [
            0x00: 0x1p-127, 0x01: 0x1p-126, 0x7E: 0.5, 0x7F: 1, 0x80: 2, 0xFE: 0x1p127,
            0xFF: .nan,
        ]),
        // F4 (E2M1): two per byte, low nibble first; all 16 nibbles 0…F in order.
        DecodeCase(dtype: .f4, bytes: [0x10, 0x32, 0x54, 0x76, 0x98, 0xBA, 0xDC, 0xFE],
                   floats: [0, 0.5, 1, 1.5, 2, 3, 4, 6, -0.0, -0.5, -1, -1.5, -2, -3, -4, -6]),
        DecodeCase(dtype: .f32, bytes: littleEndianBytes([UInt32]([0x3F80_0000, 0x8000_0000, 0x0000_0001, 0x7F7F_FFFF, 0x7F80_0000, 0x7FC0_0000])),
                   floats: [1, -0.0, 0x1p-149, 0x1.FFFFFEp127, .infinity, .nan]),
        DecodeCase(dtype: .f64,
                   bytes: littleEndianBytes([UInt64]([0x3FF0_0000_0000_0000, 0x3FB9_9999_9999_999A, 0x0000_0000_0000_0001,
                                                      0x7FEF_FFFF_FFFF_FFFF, 0xFFF0_0000_0000_0000, 0x36A0_0000_0000_0000])),
                   floats: [1, 0x1.99999Ap-4, 0, .infinity, -.infinity, 0x1p-149],  // 0.1 rounds; 2^-1074 underflows; max overflows
                   doubles: [1, 0.1, 0x0.0000000000001p-1022, .greatestFiniteMagnitude, -.infinity, 0x1p-149]),
        DecodeCase(dtype: .bool, bytes: [0, 1], floats: [0, 1]),
        DecodeCase(dtype: .u8, bytes: [0, 1, 255], floats: [0, 1, 255]),
        DecodeCase(dtype: .i8, bytes: [0x7F, 0x80, 0xFF, 0x00], floats: [127, -128, -1, 0]),
        DecodeCase(dtype: .u16, bytes: littleEndianBytes([UInt16]([0, 65535, 0x1234])), floats: [0, 65535, 4660]),
        DecodeCase(dtype: .i16, bytes: littleEndianBytes([UInt16]([0x7FFF, 0x8000, 0xFFFF])), floats: [32767, -32768, -1]),
        DecodeCase(dtype: .u32, bytes: littleEndianBytes([UInt32]([4_294_967_295, 16_777_217])),
                   floats: [0x1p32, 16_777_216], doubles: [4_294_967_295, 16_777_217]),
        DecodeCase(dtype: .i32, bytes: littleEndianBytes([Int32]([.min, -1, 16_777_217])),
                   floats: [-0x1p31, -1, 16_777_216], doubles: [-2_147_483_648, -1, 16_777_217]),
        DecodeCase(dtype: .u64, bytes: littleEndianBytes([UInt64]([.max, 1 << 40])),
                   floats: [0x1p64, 0x1p40], doubles: [0x1p64, 0x1p40]),
        DecodeCase(dtype: .i64, bytes: littleEndianBytes([Int64]([.min, -5, 9_007_199_254_740_993])),
                   floats: [-0x1p63, -5, 0x1p53], doubles: [-0x1p63, -5, 9_007_199_254_740_992]),  // 2^53+1 ties to even
    ]
}

@Suite("Decoding every dtype to Float and Double")
struct DTypeDecodingTests {
    @Test("hand-computed bit patterns decode exactly", arguments: DecodeCase.all)
    func handComputed(_ example: DecodeCase) {
        let floats = decodeFloats(example.dtype, example.bytes)
        #expect(identical(floats, example.floats), "\(example.dtype.name): \(floats) ≠ \(example.floats)")
        let doubles = decodeDoubles(example.dtype, example.bytes)
        let expected = example.doubles ?? example.floats.map(Double.init)
        #expect(identical(doubles, expected), "\(example.dtype.name): \(doubles) ≠ \(expected)")
    }

    @Test("the same values come back when the bytes are read from a file in chunks", arguments: DecodeCase.all)
    func throughTheReader(_ example: DecodeCase) throws {
        let directory = try TemporaryDirectory()
        let elements = example.bytes.count / example.dtype.block.bytes * example.dtype.block.elements
        let tensor = SafetensorsWriter.Tensor(name: "t", dtype: example.dtype, shape: [elements], bytes: example.bytes)
        let padding = SafetensorsWriter.Tensor(name: "before", dtype: .u8, shape: [3], bytes: [9, 9, 9])  // misaligns the data
        let path = try directory.write(SafetensorsBytes.file([padding, tensor]), to: "m.safetensors")
        let reader = try CheckpointReader(path: path)
        let info = try #require(reader.checkpoint.tensor(named: "t"))
        var floats: [Float] = []
        try reader.readChunks(of: info, chunkBytes: example.dtype.block.bytes) { chunk in
            var out = [Float](repeating: 0, count: chunk.elementCount)
            out.withUnsafeMutableBufferPointer { chunk.decode(into: $0) }
            floats += out
        }
        #expect(identical(floats, example.floats))
    }

    @Test("F16 NaN payloads and signs are kept")
    func float16NaNPayload() {
        let floats = decodeFloats(.f16, littleEndianBytes([UInt16]([0x7C01, 0xFE00, 0x7DFF])))
        #expect(floats.map(\.bitPattern) == [0x7F80_2000, 0xFFC0_0000, 0x7FBF_E000])
    }

    @Test("F4 stores the first element in the low nibble")
    func float4NibbleOrder() {
        #expect(decodeFloats(.f4, [0x21]) == [0.5, 1])  // low nibble 1 = 0.5, high nibble 2 = 1.0
        #expect(decodeFloats(.f4, [0x7F]) == [-6, 6])
        #expect(decodeFloats(.f4, [0x21, 0x43]) == [0.5, 1, 1.5, 2])
    }

    // MARK: - Every bit pattern against independent references

    #if !(os(macOS) && arch(x86_64))
    @Test("F16: all 65,536 patterns agree with Swift's Float16")
    func float16Exhaustive() {
        let patterns = (0...UInt16.max).map { $0 }
        let floats = decodeFloats(.f16, littleEndianBytes(patterns))
        let mismatches = patterns.indices.filter { !identical(floats[$0], Float(Float16(bitPattern: patterns[$0]))) }
        #expect(mismatches.isEmpty, "first mismatch at 0x\(String(patterns[mismatches.first ?? 0], radix: 16))")
        let doubles = decodeDoubles(.f16, littleEndianBytes(patterns))
        #expect(patterns.indices.allSatisfy { identical(doubles[$0], Double(Float16(bitPattern: patterns[$0]))) })
    }
    #endif

    @Test("BF16: all 65,536 patterns are the upper half of a Float")
    func bfloat16Exhaustive() {
        let patterns = (0...UInt16.max).map { $0 }
        let floats = decodeFloats(.bf16, littleEndianBytes(patterns))
        #expect(patterns.indices.allSatisfy { floats[$0].bitPattern == UInt32(patterns[$0]) << 16 })
    }

    /// A small-float reference written from the format definitions, in Double arithmetic.
    static func reference(_ bits: Int, exponentBits: Int, mantissaBits: Int, bias: Int, nan: (Int) -> Bool, infinity: (Int) -> Bool) -> Double {
        if nan(bits) { return .nan }
        let negative = bits >> (exponentBits + mantissaBits) & 1 == 1
        let exponent = bits >> mantissaBits & (1 << exponentBits - 1)
        let fraction = Double(bits & (1 << mantissaBits - 1)) / Double(1 << mantissaBits)
        let magnitude = infinity(bits) ? .infinity
            : exponent == 0 ? fraction * pow(2, Double(1 - bias)) : (1 + fraction) * pow(2, Double(exponent - bias))
        return negative ? -magnitude : magnitude
    }

    @Test("8-bit floats: all 256 patterns agree with a reference built from the format definitions",
          arguments: [DType.f8E4M3, .f8E5M2, .f8E4M3FNUZ, .f8E5M2FNUZ, .f8E8M0])
    func float8Exhaustive(_ dtype: DType) {
        let expected: [Double] = (0..<256).map { bits in
            switch dtype {
            case .f8E4M3: Self.reference(bits, exponentBits: 4, mantissaBits: 3, bias: 7, nan: { $0 & 0x7F == 0x7F }, infinity: { _ in false })
            case .f8E5M2: Self.reference(bits, exponentBits: 5, mantissaBits: 2, bias: 15,
                                         nan: { $0 & 0x7F > 0x7C }, infinity: { $0 & 0x7F == 0x7C })
            case .f8E4M3FNUZ: Self.reference(bits, exponentBits: 4, mantissaBits: 3, bias: 8, nan: { $0 == 0x80 }, infinity: { _ in false })
            case .f8E5M2FNUZ: Self.reference(bits, exponentBits: 5, mantissaBits: 2, bias: 16, nan: { $0 == 0x80 }, infinity: { _ in false })
            default: bits == 0xFF ? .nan : pow(2, Double(bits - 127))
            }
        }
        let bytes = (0..<256).map { UInt8($0) }
        let floats = decodeFloats(dtype, bytes)
        let doubles = decodeDoubles(dtype, bytes)
        for bits in 0..<256 {
            #expect(identical(Double(floats[bits]), expected[bits]), "\(dtype.name) 0x\(String(bits, radix: 16)): \(floats[bits]) ≠ \(expected[bits])")
            #expect(identical(doubles[bits], expected[bits]))
        }
        // The per-value API agrees with bulk decoding.
        let single: (UInt8) -> Float = switch dtype {
        case .f8E4M3: FloatBits.float8E4M3
        case .f8E5M2: FloatBits.float8E5M2
        case .f8E4M3FNUZ: FloatBits.float8E4M3FNUZ
        case .f8E5M2FNUZ: FloatBits.float8E5M2FNUZ
        default: FloatBits.float8E8M0
        }
        #expect(bytes.allSatisfy { identical(single($0), floats[Int($0)]) })
    }

    @Test("F4: all 256 bytes decode to their two nibbles, low first")
    func float4Exhaustive() {
        let bytes = (0..<256).map { UInt8($0) }
        let floats = decodeFloats(.f4, bytes)
        for byte in 0..<256 {
            let low = Self.reference(byte & 0xF, exponentBits: 2, mantissaBits: 1, bias: 1, nan: { _ in false }, infinity: { _ in false })
            let high = Self.reference(byte >> 4, exponentBits: 2, mantissaBits: 1, bias: 1, nan: { _ in false }, infinity: { _ in false })
            #expect(identical(floats[2 * byte], Float(low)) && identical(floats[2 * byte + 1], Float(high)), "byte 0x\(String(byte, radix: 16))")
        }
    }

    // MARK: - Dtypes that cannot be decoded

    @Test("F6 and C64 are rejected with .unsupportedDType, naming file and tensor", arguments: [DType.f6E2M3, .f6E3M2, .c64])
    func unsupported(_ dtype: DType) throws {
        let reason = try #require(dtype.unsupportedReason)
        let info = TensorInfo(name: "w", dtype: dtype, shape: [4], fileIndex: 0, offset: 8, byteCount: UInt64(dtype.byteCount(forElements: 4)!))
        #expect(throws: CheckpointError(file: "m.safetensors", tensor: "w", rule: .unsupportedDType(dtype, reason: reason))) {
            try info.requireDecodable(file: "m.safetensors")
        }
    }

    @Test("decodable dtypes pass requireDecodable",
          arguments: [DType.bool, .u8, .i8, .u16, .i16, .u32, .i32, .u64, .i64, .f16, .bf16, .f32, .f64,
                      .f8E4M3, .f8E5M2, .f8E4M3FNUZ, .f8E5M2FNUZ, .f8E8M0, .f4])
    func decodable(_ dtype: DType) throws {
        #expect(dtype.unsupportedReason == nil)
        let info = TensorInfo(name: "w", dtype: dtype, shape: [2], fileIndex: 0, offset: 8, byteCount: UInt64(dtype.byteCount(forElements: 2)!))
        try info.requireDecodable(file: "m.safetensors")
    }

    @Test("a file with F6 and C64 tensors opens and streams raw bytes, but decoding them throws")
    func unsupportedInAFile() throws {
        let directory = try TemporaryDirectory()
        let tensors: [SafetensorsWriter.Tensor] = [
            .patterned("six", dtype: .f6E2M3, shape: [2, 4]),  // 8 elements = 6 bytes
            .patterned("complex", dtype: .c64, shape: [3]),
            .init(name: "fine", shape: [2], values: [1, 2]),
        ]
        let path = try directory.write(SafetensorsBytes.file(tensors), to: "m.safetensors")
        let reader = try CheckpointReader(path: path)
        #expect(reader.checkpoint.tensors.map(\.byteCount) == [6, 24, 8])
        let raw = try readAllTensorBytes(reader, chunkBytes: 3)
        #expect(raw["six"] == tensors[0].bytes && raw["complex"] == tensors[1].bytes)
        for name in ["six", "complex"] {
            let info = try #require(reader.checkpoint.tensor(named: name))
            var output = [Float](repeating: 0, count: 4)
            let error = #expect(throws: CheckpointError.self) {
                try output.withUnsafeMutableBufferPointer { try reader.readElements(of: info, range: 0..<4, into: $0) }
            }
            guard case .unsupportedDType(let dtype, _) = error?.rule else {
                Issue.record("expected .unsupportedDType, got \(String(describing: error))")
                continue
            }
            #expect(dtype == info.dtype && error?.tensor == name && error?.file == path)
        }
        var values = [Float](repeating: 0, count: 2)
        try values.withUnsafeMutableBufferPointer { try reader.readElements(of: reader.checkpoint.tensors[2], range: 0..<2, into: $0) }
        #expect(values == [1, 2])
    }
}
