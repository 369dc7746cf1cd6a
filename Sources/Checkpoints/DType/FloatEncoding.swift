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

    /// Whether all eight lanes are exact binary16 values or NaN: `isExactFloat16` of each lane,
    /// eight at a time. When every lane is ±0 or an exact normal half (a quantized weight's values
    /// are) the answer comes from integer arithmetic alone; otherwise lane by lane.
    @inlinable @inline(__always)
    public static func areExactFloat16(_ values: SIMD8<Float>) -> Bool {
        if exactNormalOrZeroHalves(unsafeBitCast(values, to: SIMD8<UInt32>.self)).all { return true }
        for lane in 0..<8 where !isExactFloat16(values[lane]) { return false }
        return true
    }

    /// The binary16 bits of eight values that are all ±0 or exact normal halves (`float16Bits`
    /// without rounding), else `nil`: the canonical F16 encoding of a quantized weight, eight at a time.
    @inlinable @inline(__always)
    public static func exactNormalFloat16Bits(_ values: SIMD8<Float>) -> SIMD8<UInt16>? {
        let bits = unsafeBitCast(values, to: SIMD8<UInt32>.self)
        let lanes = exactNormalOrZeroHalves(bits)
        guard lanes.all else { return nil }
        // Rebias the exponent (127 → 15) and drop 13 mantissa bits; zeros stood in as 1.0 (0x3C00): cleared.
        let half = ((bits &>> 16) & 0x8000) | (((lanes.magnitude &- 0x3800_0000) &>> 13) & ~(lanes.zero & 0x3C00))
        return SIMD8<UInt16>(truncatingIfNeeded: half)
    }

    /// Which lanes hold ±0 or an exact normal half, by integer arithmetic only (Swift's SIMD
    /// comparisons build their masks lane by lane through memory, 6× slower than the scalar
    /// loop they replace): `zero` is all ones in zero lanes, `magnitude` the magnitude with
    /// zeros replaced by 1.0, and `all` whether every lane qualifies — a magnitude in
    /// [2^−14, 2^16) (biased exponent 113 … 142: (m − 0x3880_0000) >> 24 in 0 … 14, so one more
    /// has none of bits 4 … 8 set) whose 13 low bits are zero.
    @inlinable @inline(__always)
    static func exactNormalOrZeroHalves(_ bits: SIMD8<UInt32>) -> (all: Bool, zero: SIMD8<UInt32>, magnitude: SIMD8<UInt32>) {
        let magnitude = bits & 0x7FFF_FFFF
        // m − 1 has its top bit set only for m = 0 (magnitudes are below 2^31).
        let zero = SIMD8<UInt32>(repeating: 0) &- ((magnitude &- 1) &>> 31)
        let stand = magnitude | (zero & 0x3F80_0000)
        let outside = ((((stand &- 0x3880_0000) &>> 24) &+ 1) & 0x1F0) | (stand & 0x1FFF)
        let four = outside.lowHalf | outside.highHalf, two = four.lowHalf | four.highHalf
        return ((two[0] | two[1]) == 0, zero, stand)
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
