/// The element type of a stored tensor.
///
/// Covers every dtype of the safetensors specification (0.8). Sub-byte types
/// are packed: `F4` stores two elements per byte, low nibble first.
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

    /// The name used in safetensors headers.
    public var name: String { rawValue }

    /// Bits per element.
    public var bitWidth: Int {
        switch self {
        case .f4: 4
        case .f6E2M3, .f6E3M2: 6
        case .bool, .u8, .i8, .f8E4M3, .f8E5M2, .f8E4M3FNUZ, .f8E5M2FNUZ, .f8E8M0: 8
        case .u16, .i16, .f16, .bf16: 16
        case .u32, .i32, .f32: 32
        case .u64, .i64, .f64, .c64: 64
        }
    }

    /// Elements per indivisible storage block, and that block's size in bytes.
    ///
    /// Chunks handed to consumers always hold whole blocks.
    public var block: (elements: Int, bytes: Int) {
        switch self {
        case .f4: (2, 1)
        case .f6E2M3, .f6E3M2: (4, 3)
        default: (1, bitWidth / 8)
        }
    }

    /// Whether values are real floating-point numbers.
    public var isFloatingPoint: Bool {
        switch self {
        case .f16, .bf16, .f32, .f64, .f8E4M3, .f8E5M2, .f8E4M3FNUZ, .f8E5M2FNUZ, .f8E8M0, .f6E2M3, .f6E3M2, .f4:
            true
        case .bool, .u8, .i8, .u16, .i16, .u32, .i32, .u64, .i64, .c64:
            false
        }
    }

    /// Whether elements are stored block-quantized (scale + packed codes), as in GGUF.
    public var isQuantized: Bool { false }

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
