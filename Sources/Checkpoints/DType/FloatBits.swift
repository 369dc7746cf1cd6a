/// Exact bit-level conversions of narrow floating-point formats to `Float`.
///
/// Every value of every narrow format is exactly representable as a `Float`,
/// so these conversions lose nothing (NaN payloads aside, which become the
/// quiet NaN with the same sign).
public enum FloatBits {
    /// bfloat16 → Float: the upper half of a Float32.
    @inline(__always)
    public static func bfloat16(_ bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// IEEE 754 binary16 → Float, including subnormals, infinities and NaN payloads.
    /// (Inlinable: the fingerprint's exactness check calls it once per value.)
    @inlinable
    public static func float16(_ bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits) & 0x3FF
        switch exponent {
        case 0:
            // Zero or subnormal: mantissa × 2^-24, exact in Float.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 0x1F:
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        default:
            return Float(bitPattern: sign | ((exponent + 127 - 15) << 23) | (mantissa << 13))
        }
    }

    /// A generic small float with `exponentBits`/`mantissaBits`, bias `bias`.
    ///
    /// - `infinity`: whether the all-ones exponent with zero mantissa is ±∞ (IEEE style).
    /// - `nanPatterns`: the bit patterns (without sign unless `signedNaN` is false) that are NaN.
    static func smallFloat(
        _ bits: UInt32, exponentBits: Int, mantissaBits: Int, bias: Int,
        isNaN: (UInt32) -> Bool, isInfinity: (UInt32) -> Bool
    ) -> Float {
        if isNaN(bits) { return .nan }
        let signBit = (bits >> UInt32(exponentBits + mantissaBits)) & 1
        let exponent = Int((bits >> UInt32(mantissaBits)) & ((1 << UInt32(exponentBits)) - 1))
        let mantissa = Int(bits & ((1 << UInt32(mantissaBits)) - 1))
        let magnitude: Float
        if isInfinity(bits) {
            magnitude = .infinity
        } else if exponent == 0 {
            // Subnormal: mantissa × 2^(1 - bias - mantissaBits).
            magnitude = Float(mantissa) * power2(1 - bias - mantissaBits)
        } else {
            magnitude = Float(mantissa + (1 << mantissaBits)) * power2(exponent - bias - mantissaBits)
        }
        return signBit == 1 ? -magnitude : magnitude
    }

    /// 2^n for n in Float's range, built from bits (exact, no libm).
    static func power2(_ n: Int) -> Float {
        if n >= -126 { return Float(bitPattern: UInt32(n + 127) << 23) }
        return Float(bitPattern: UInt32(1) << UInt32(n + 149))  // subnormal powers down to 2^-149
    }

    /// F8_E4M3 (OCP "E4M3FN"): bias 7, no infinities, NaN = S.1111.111.
    public static func float8E4M3(_ bits: UInt8) -> Float { e4m3Table[Int(bits)] }
    /// F8_E5M2: bias 15, IEEE-style infinities and NaNs.
    public static func float8E5M2(_ bits: UInt8) -> Float { e5m2Table[Int(bits)] }
    /// F8_E4M3FNUZ: bias 8, no infinities, no negative zero; 0x80 is NaN.
    public static func float8E4M3FNUZ(_ bits: UInt8) -> Float { e4m3fnuzTable[Int(bits)] }
    /// F8_E5M2FNUZ: bias 16, no infinities, no negative zero; 0x80 is NaN.
    public static func float8E5M2FNUZ(_ bits: UInt8) -> Float { e5m2fnuzTable[Int(bits)] }
    /// F8_E8M0: an unsigned power of two, 2^(e-127); 0xFF is NaN.
    public static func float8E8M0(_ bits: UInt8) -> Float { e8m0Table[Int(bits)] }
    /// F4 (E2M1): bias 1, no infinities or NaN. `bits` holds one nibble.
    public static func float4E2M1(_ bits: UInt8) -> Float { e2m1Table[Int(bits & 0x0F)] }

    static let e4m3Table: [Float] = (0..<256).map {
        smallFloat(UInt32($0), exponentBits: 4, mantissaBits: 3, bias: 7,
                   isNaN: { $0 & 0x7F == 0x7F }, isInfinity: { _ in false })
    }
    static let e5m2Table: [Float] = (0..<256).map {
        smallFloat(UInt32($0), exponentBits: 5, mantissaBits: 2, bias: 15,
                   isNaN: { $0 & 0x7C == 0x7C && $0 & 0x03 != 0 }, isInfinity: { $0 & 0x7F == 0x7C })
    }
    static let e4m3fnuzTable: [Float] = (0..<256).map {
        smallFloat(UInt32($0), exponentBits: 4, mantissaBits: 3, bias: 8,
                   isNaN: { $0 == 0x80 }, isInfinity: { _ in false })
    }
    static let e5m2fnuzTable: [Float] = (0..<256).map {
        smallFloat(UInt32($0), exponentBits: 5, mantissaBits: 2, bias: 16,
                   isNaN: { $0 == 0x80 }, isInfinity: { _ in false })
    }
    static let e8m0Table: [Float] = (0..<256).map { $0 == 255 ? .nan : power2($0 - 127) }
    static let e2m1Table: [Float] = (0..<16).map {
        smallFloat(UInt32($0), exponentBits: 2, mantissaBits: 1, bias: 1,
                   isNaN: { _ in false }, isInfinity: { _ in false })
    }
    static let float16Table: [Float] = (0..<65536).map { float16(UInt16($0)) }
}
