import Checkpoints

/// The narrowest floating-point grid that holds every value of a tensor: `F8_E4M3`,
/// `F8_E5M2`, `BF16`, `F16`, else `F32`. A tensor stored as BF16 whose values all lie on the
/// FP8 grid was rounded to FP8 at some point — which tells a lossy FP8 round trip from
/// added noise of the same size.
struct ValueGrid {
    private(set) var e4m3 = true
    private(set) var e5m2 = true
    private(set) var bf16 = true
    private(set) var f16 = true

    mutating func observe(_ values: UnsafeBufferPointer<Float>) {
        if e4m3 { e4m3 = values.allSatisfy { Self.onGrid($0, mantissaBits: 3, minimumExponent: -6, maximum: 448) } }
        if e5m2 { e5m2 = values.allSatisfy { Self.onGrid($0, mantissaBits: 2, minimumExponent: -14, maximum: 57344) } }
        if bf16 { bf16 = values.allSatisfy { $0.isNaN || $0.bitPattern & 0xFFFF == 0 } }
        if f16 { f16 = values.allSatisfy { $0.isNaN || FloatBits.float16(FloatEncoding.float16Bits($0)) == $0 } }
    }

    /// The grid's dtype name.
    var name: String {
        if e4m3 { return "F8_E4M3" }
        if e5m2 { return "F8_E5M2" }
        if bf16 { return "BF16" }
        if f16 { return "F16" }
        return "F32"
    }

    /// Whether finite `value` is representable with `mantissaBits` stored mantissa bits, normal
    /// exponents down to `minimumExponent` (subnormals below), magnitude at most `maximum`.
    static func onGrid(_ value: Float, mantissaBits: Int, minimumExponent: Int, maximum: Float) -> Bool {
        guard value.isFinite else { return value.isNaN }
        let magnitude = abs(value)
        if magnitude == 0 { return true }
        guard magnitude <= maximum else { return false }
        let exponent = max(Int(magnitude.exponent), minimumExponent)
        // Multiples of the grid step at this exponent.
        let step = Float(sign: .plus, exponent: exponent - mantissaBits, significand: 1)
        let quotient = magnitude / step
        return quotient == quotient.rounded(.towardZero)
    }
}
