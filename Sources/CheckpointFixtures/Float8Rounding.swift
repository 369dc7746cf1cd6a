import Checkpoints

/// Rounds values to F8_E4M3 codes for test fixtures (block-scaled FP8 checkpoints), by binary
/// search over the format's decoded values, independent of the encoders under test.
public enum Float8Rounding {
    /// Non-negative finite E4M3 values in increasing order, with their codes.
    private static let magnitudes: [(value: Float, code: UInt8)] = (0..<0x7F).map { (FloatBits.float8E4M3(UInt8($0)), UInt8($0)) }

    /// The code of the E4M3 value nearest to `value` (ties to the even code; magnitudes beyond 448 saturate).
    public static func nearestE4M3(_ value: Float) -> UInt8 {
        let magnitude = abs(value)
        var low = 0, high = magnitudes.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if magnitudes[middle].value <= magnitude { low = middle } else { high = middle - 1 }
        }
        var chosen = low
        if low + 1 < magnitudes.count {
            let below = magnitude - magnitudes[low].value, above = magnitudes[low + 1].value - magnitude
            if above < below || (above == below && magnitudes[low].code & 1 == 1) { chosen = low + 1 }
        }
        let code = magnitudes[chosen].code
        return value.sign == .minus ? code | 0x80 : code
    }
}
