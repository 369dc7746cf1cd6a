/// SplitMix64: a tiny, fast, fully specified 64-bit generator.
///
/// Used (instead of the system generator) so that generated models are the same
/// bytes on every platform and Swift version.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A standard-normal-like value: the Irwin–Hall sum of 12 uniforms minus 6.
    ///
    /// Built from integer arithmetic only (no libm), so it is bit-identical everywhere.
    /// Mean 0, variance 1, excess kurtosis −0.1, support ±6.
    public mutating func nextGaussian() -> Float {
        var sum: UInt64 = 0
        for _ in 0..<4 {
            let bits = next()
            sum += (bits & 0x1F_FFFF) + ((bits >> 21) & 0x1F_FFFF) + ((bits >> 42) & 0x1F_FFFF)
        }
        return Float(Int64(sum) - 6 * (1 << 21)) * 0x1p-21
    }

    /// Uniform in [0, 1).
    public mutating func nextUnit() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// A generator for an independent stream derived from this seed and a label.
    public static func derived(seed: UInt64, label: String) -> SplitMix64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a over the label, mixed with the seed
        for byte in label.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3
        }
        var mixer = SplitMix64(seed: seed ^ hash)
        return SplitMix64(seed: mixer.next())
    }
}
