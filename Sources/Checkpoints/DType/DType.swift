/// The element type of a stored tensor.
///
/// Covers every dtype of the safetensors specification (0.8) and the block-quantized
/// GGML types read from GGUF files. Sub-byte types are packed: `F4` stores two
/// elements per byte, low nibble first. GGML types store blocks of `block.elements`
/// values in `block.bytes` bytes (quantized values plus per-block scales); see
/// `GGMLDequantizer` for their layouts.
public enum DType: String, CaseIterable, Sendable, Codable, Hashable {
    case bool = "BOOL"
    case u8 = "U8", i8 = "I8"
    case u16 = "U16", i16 = "I16"
    case u32 = "U32", i32 = "I32"
    case u64 = "U64", i64 = "I64"
    case f16 = "F16", bf16 = "BF16", f32 = "F32", f64 = "F64"
    case f8E4M3 = "F8_E4M3", f8E5M2 = "F8_E5M2"
    case f8E4M3FNUZ = "F8_E4M3FNUZ", f8E5M2FNUZ = "F8_E5M2FNUZ"
    case f8E8M0 = "F8_E8M0"
    case f6E2M3 = "F6_E2M3", f6E3M2 = "F6_E3M2"
    case f4 = "F4"
    case c64 = "C64"
    /// 4-bit integers −8…7 stored offset by 8 (codes 0…15), two per byte, low nibble first: the
    /// codes of compressed-tensors' `pack-quantized` INT4 weights (`…weight_packed`, I32 words
    /// holding 8 codes each, little-endian). Never valid in a safetensors header; the reader
    /// gives this dtype to a paired `weight_packed` tensor (`ScalePairing`).
    case i4 = "I4"
    // GGML block-quantized types (GGUF only; never valid in a safetensors header).
    case q8_0 = "Q8_0"
    case q4_0 = "Q4_0", q4_1 = "Q4_1"
    case q5_0 = "Q5_0", q5_1 = "Q5_1"
    case q2K = "Q2_K", q3K = "Q3_K", q4K = "Q4_K", q5K = "Q5_K", q6K = "Q6_K"
    case iq4NL = "IQ4_NL", iq4XS = "IQ4_XS"
    case mxfp4 = "MXFP4", nvfp4 = "NVFP4"
    case tq1_0 = "TQ1_0", tq2_0 = "TQ2_0"
    /// llama.cpp's Q2_0 (2026): blocks of 64 two-bit codes with one F16 scale, values (code − 1) × d.
    case q2_0 = "Q2_0"
    // Lattice-codebook types (a quantized index selects a row of 4 or 8 values) and 1-bit Q1_0.
    case iq1S = "IQ1_S", iq1M = "IQ1_M"
    case iq2XXS = "IQ2_XXS", iq2XS = "IQ2_XS", iq2S = "IQ2_S"
    case iq3XXS = "IQ3_XXS", iq3S = "IQ3_S"
    case q1_0 = "Q1_0"

    /// The dtype's name: the safetensors header name, or the GGML type name for quantized types.
    public var name: String { rawValue }

    /// The dtype a safetensors header names `name`, or `nil` if `name` is not a safetensors
    /// dtype (GGML-only names such as `Q8_0` included).
    public init?(safetensorsName name: String) {
        guard let dtype = DType(rawValue: name), !dtype.isBlockQuantized, dtype != .i4 else { return nil }
        self = dtype
    }

    /// Whether this is a GGML block-quantized type (values stored as small integers with
    /// per-block scales, decoded by dequantization).
    public var isBlockQuantized: Bool {
        switch self {
        case .q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q2K, .q3K, .q4K, .q5K, .q6K, .iq4NL, .iq4XS, .mxfp4, .nvfp4,
             .tq1_0, .tq2_0, .iq1S, .iq1M, .iq2XXS, .iq2XS, .iq2S, .iq3XXS, .iq3S, .q1_0, .q2_0: true
        default: false
        }
    }

    /// Bits per element. For block-quantized types this is the width of the quantized
    /// values alone; per-block scales and minimums come on top (see `bitsPerElement`).
    public var bitWidth: Int {
        switch self {
        case .iq1S, .iq1M, .q1_0: 1
        case .q2K, .tq1_0, .tq2_0, .q2_0, .iq2XXS, .iq2XS, .iq2S: 2
        case .q3K, .iq3XXS, .iq3S: 3
        case .q4_0, .q4_1, .q4K, .iq4NL, .iq4XS, .mxfp4, .nvfp4: 4
        case .q5_0, .q5_1, .q5K: 5
        case .q6K: 6
        case .q8_0: 8
        case .f4, .i4: 4
        case .f6E2M3, .f6E3M2: 6
        case .bool, .u8, .i8, .f8E4M3, .f8E5M2, .f8E4M3FNUZ, .f8E5M2FNUZ, .f8E8M0: 8
        case .u16, .i16, .f16, .bf16: 16
        case .u32, .i32, .f32: 32
        case .u64, .i64, .f64, .c64: 64
        }
    }

    /// What decoding subtracts from a stored integer code: 8 for I4 (offset-8 nibbles), else 0.
    /// Quantized weights whose codes are unsigned add it back through their offsets.
    public var codeOffset: Int { self == .i4 ? 8 : 0 }

    /// Elements per indivisible storage block, and that block's size in bytes.
    ///
    /// Chunks handed to consumers always hold whole blocks.
    public var block: (elements: Int, bytes: Int) {
        switch self {
        case .f4, .i4: (2, 1)
        case .f6E2M3, .f6E3M2: (4, 3)
        case .q8_0: (32, 34)
        case .q4_0: (32, 18)
        case .q4_1: (32, 20)
        case .q5_0: (32, 22)
        case .q5_1: (32, 24)
        case .q2K: (256, 84)
        case .q3K: (256, 110)
        case .q4K: (256, 144)
        case .q5K: (256, 176)
        case .q6K: (256, 210)
        case .iq4NL: (32, 18)
        case .iq4XS: (256, 136)
        case .mxfp4: (32, 17)
        case .nvfp4: (64, 36)
        case .tq1_0: (256, 54)
        case .tq2_0: (256, 66)
        case .iq1S: (256, 50)
        case .iq1M: (256, 56)
        case .iq2XXS: (256, 66)
        case .iq2XS: (256, 74)
        case .iq2S: (256, 82)
        case .iq3XXS: (256, 98)
        case .iq3S: (256, 110)
        case .q1_0: (128, 18)
        case .q2_0: (64, 18)
        default: (1, bitWidth / 8)
        }
    }

    /// Average storage bits per element, scales included (e.g. 4.5 for Q4_K, 8.5 for Q8_0).
    public var bitsPerElement: Double {
        let (elements, bytes) = block
        return Double(bytes * 8) / Double(elements)
    }

    /// Whether values are real floating-point numbers.
    public var isFloatingPoint: Bool {
        switch self {
        case .f16, .bf16, .f32, .f64, .f8E4M3, .f8E5M2, .f8E4M3FNUZ, .f8E5M2FNUZ, .f8E8M0, .f6E2M3, .f6E3M2, .f4:
            true
        case .bool, .u8, .i8, .u16, .i16, .u32, .i32, .u64, .i64, .c64, .i4:
            false
        default:
            isBlockQuantized  // GGML types quantize real weights
        }
    }

    /// Why values of this dtype cannot be decoded to real numbers, or `nil` if they can.
    public var unsupportedReason: String? {
        switch self {
        case .f6E2M3, .f6E3M2:
            "the safetensors specification does not define how 6-bit elements are packed into bytes"
        case .c64:
            "complex values have no single real value to fingerprint"
        default:
            nil
        }
    }

    /// Byte length of `elementCount` elements, or `nil` when it overflows or
    /// does not fill whole bytes (packed types).
    public func byteCount(forElements elementCount: Int) -> Int? {
        let (perBlock, blockBytes) = block
        guard elementCount % perBlock == 0 else { return nil }
        let (bytes, overflow) = (elementCount / perBlock).multipliedReportingOverflow(by: blockBytes)
        return overflow ? nil : bytes
    }
}
