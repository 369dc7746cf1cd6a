/// Encoding of `Float` values into stored dtypes, rounding to nearest, ties to even.
public enum FloatEncoding {
    /// Float → bfloat16 bits (round to nearest even; NaN stays a quiet NaN).
    @inline(__always)
    public static func bfloat16Bits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: (bits >> 16) | 0x0040) }
        let rounding = UInt32(0x7FFF) + ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ rounding) >> 16)
    }

    /// Whether a non-NaN `value` is exactly an IEEE binary16 value (±0, ±∞, normals and
    /// subnormals): the answer of `FloatBits.float16(float16Bits(value)) == value`, from the bits
    /// alone (the fingerprint asks it of every value of a tensor whose canonical dtype may be F16).
    @inlinable @inline(__always)
    public static func isExactFloat16(_ value: Float) -> Bool {
        let magnitude = value.bitPattern & 0x7FFF_FFFF
        let exponent = magnitude >> 23  // biased by 127
        if exponent == 0xFF || magnitude == 0 { return true }
        // Normal halves: 2^−14 … 65504, ten mantissa bits (biased exponents 113 … 142).
        if exponent >= 113 { return exponent <= 142 && magnitude & 0x1FFF == 0 }
        // Subnormal halves: multiples of 2^−24 below 2^−14 (biased exponents 103 … 112); the
        // significand keeps 10 − (112 − exponent) bits, so the lowest 13 + 113 − exponent are zero.
        if exponent < 103 { return false }
        return magnitude & ((1 << (126 - exponent)) - 1) == 0
    }

    /// Float → IEEE binary16 bits (round to nearest even, overflow to ±∞, subnormals kept).
    /// (Inlinable: the canonical F16 encoding and the exactness check call it once per value.)
    @inlinable
    public static func float16Bits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        // Fast path, no rounding: a normal half exactly (biased exponent 113 … 142, 13 low bits zero),
        // as every value of a tensor whose canonical encoding is F16 is.
        let magnitude = bits & 0x7FFF_FFFF
        if magnitude >= 0x3880_0000 && magnitude < 0x4780_0000 && magnitude & 0x1FFF == 0 {
            return UInt16(truncatingIfNeeded: (bits >> 16) & 0x8000) | UInt16(truncatingIfNeeded: (magnitude - 0x3800_0000) >> 13)
        }
        let sign = UInt16((bits >> 16) & 0x8000)
        let exponent = Int((bits >> 23) & 0xFF)
        let mantissa = bits & 0x7F_FFFF
        if exponent == 0xFF {
            return sign | 0x7C00 | (mantissa != 0 ? 0x0200 | UInt16(mantissa >> 13) : 0)
        }
        let unbiased = exponent - 127
        if unbiased > 15 { return sign | 0x7C00 }
        if unbiased >= -14 {
            // Normal half: keep 10 mantissa bits, round the 13 dropped bits.
            var half = UInt32((unbiased + 15) << 10) | (mantissa >> 13)
            let dropped = mantissa & 0x1FFF
            if dropped > 0x1000 || (dropped == 0x1000 && half & 1 == 1) { half += 1 }
            return sign | UInt16(half)  // a carry into the exponent is the correct rounding (may give ∞)
        }
        if unbiased < -25 { return sign }
        // Subnormal half: value = m × 2^-24 with m < 1024.
        let full = mantissa | 0x80_0000  // 24-bit significand of a normal float
        let shift = UInt32(-unbiased - 14 + 13)  // bits to drop
        var half = full >> shift
        let dropped = full & ((1 << shift) - 1)
        let halfway = UInt32(1) << (shift - 1)
        if dropped > halfway || (dropped == halfway && half & 1 == 1) { half += 1 }
        return sign | UInt16(half)
    }

    /// Encodes values as F32, F64, F16 or BF16 little-endian bytes.
    public static func encode(_ values: [Float], as dtype: DType) -> [UInt8] {
        var bytes: [UInt8] = []
        switch dtype {
        case .f32:
            bytes.reserveCapacity(values.count * 4)
            for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        case .f64:
            bytes.reserveCapacity(values.count * 8)
            for value in values { withUnsafeBytes(of: Double(value).bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        case .bf16:
            bytes.reserveCapacity(values.count * 2)
            for value in values { withUnsafeBytes(of: bfloat16Bits(value).littleEndian) { bytes.append(contentsOf: $0) } }
        case .f16:
            bytes.reserveCapacity(values.count * 2)
            for value in values { withUnsafeBytes(of: float16Bits(value).littleEndian) { bytes.append(contentsOf: $0) } }
        default:
            preconditionFailure("FloatEncoding.encode: \(dtype.name) is not a supported target")
        }
        return bytes
    }
}
