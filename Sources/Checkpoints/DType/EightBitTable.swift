/// Round-to-nearest encoding for an 8-bit float format, built from its exact decode table.
public struct EightBitTable: Sendable {
    /// Non-negative finite values in increasing order, with their codes.
    private let magnitudes: [Float]
    private let codes: [UInt8]
    /// The bit that carries the sign.
    private let signBit: UInt8
    /// Whether the format has a negative zero (FNUZ formats do not: 0x80 is NaN).
    private let hasNegativeZero: Bool
    private let nanCode: UInt8

    init(decode: (UInt8) -> Float, hasNegativeZero: Bool, nanCode: UInt8) {
        var pairs: [(Float, UInt8)] = []
        for code in 0..<128 {
            let value = decode(UInt8(code))
            if value.isFinite, value >= 0 { pairs.append((value, UInt8(code))) }
        }
        pairs.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
        // One code per value: keep the first (lowest) code for repeated values.
        var magnitudes: [Float] = [], codes: [UInt8] = []
        for (value, code) in pairs where magnitudes.last != value {
            magnitudes.append(value)
            codes.append(code)
        }
        self.magnitudes = magnitudes
        self.codes = codes
        signBit = 0x80
        self.hasNegativeZero = hasNegativeZero
        self.nanCode = nanCode
    }

    /// The code of the representable value nearest to `value` (ties to the even code;
    /// magnitudes beyond the largest finite value saturate; NaN stays NaN).
    public func code(nearest value: Float) -> UInt8 {
        if value.isNaN { return nanCode }
        let magnitude = abs(value)
        var low = 0, high = magnitudes.count - 1
        if magnitude >= magnitudes[high] {
            low = high
        } else {
            // Largest index with magnitudes[index] <= magnitude.
            while low < high {
                let middle = (low + high + 1) / 2
                if magnitudes[middle] <= magnitude { low = middle } else { high = middle - 1 }
            }
        }
        var chosen = low
        if low + 1 < magnitudes.count {
            let below = magnitude - magnitudes[low], above = magnitudes[low + 1] - magnitude
            if above < below || (above == below && codes[low] & 1 == 1) { chosen = low + 1 }
        }
        let code = codes[chosen]
        if value.sign == .minus, code != 0 || hasNegativeZero { return code | signBit }
        return code
    }

    /// The tables of the 8-bit float dtypes.
    public static let e4m3 = EightBitTable(decode: FloatBits.float8E4M3, hasNegativeZero: true, nanCode: 0x7F)
    public static let e5m2 = EightBitTable(decode: FloatBits.float8E5M2, hasNegativeZero: true, nanCode: 0x7E)
    public static let e4m3fnuz = EightBitTable(decode: FloatBits.float8E4M3FNUZ, hasNegativeZero: false, nanCode: 0x80)
    public static let e5m2fnuz = EightBitTable(decode: FloatBits.float8E5M2FNUZ, hasNegativeZero: false, nanCode: 0x80)

    /// The table of an 8-bit float dtype (E4M3 for any other dtype).
    public static func table(for dtype: DType) -> EightBitTable {
        switch dtype {
        case .f8E5M2: e5m2
        case .f8E4M3FNUZ: e4m3fnuz
        case .f8E5M2FNUZ: e5m2fnuz
        default: e4m3
        }
    }
}
