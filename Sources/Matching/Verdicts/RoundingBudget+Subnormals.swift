import Checkpoints
import Fingerprinting

// MARK: - Values kept on their grid in a container with a narrower exponent range

extension RoundingBudget {
    /// The rounding of values that stay on the reference's grid but move to a container with
    /// fewer exponent bits: BF16 values written as F16 (llama.cpp's `--outtype f16` of a BF16
    /// release). Every BF16 value from 2^-17 to 65504 is an F16 value, so only the smallest
    /// round, to F16's subnormal step 2^-24 — at most half a step each. Bounded here as if every
    /// value rounded by a uniform error over that step (n · step² / 12; the fingerprint does not
    /// count the small values), which is still ~10^-12 of a typical matrix's energy: any change to
    /// the weights shows above it. `Rounding.none` when the container did not narrow; `nil` when
    /// a statistic is missing.
    static func subnormalRounding(of stored: [TensorFingerprint], grid reference: [TensorFingerprint]) -> Rounding? {
        let narrowed = stored.contains { $0.dtype == DType.f16.name } && !reference.contains { $0.dtype == DType.f16.name }
            && stored.allSatisfy { VerdictRules.effectiveType($0) == DType.bf16.name }
        guard narrowed else { return Rounding.none }
        var energy = 0.0, sumSquares = 0.0
        for tensor in stored {
            guard let statistics = tensor.statistics else { return nil }
            if tensor.dtype == DType.f16.name { energy += Double(statistics.count) * float16SubnormalStep * float16SubnormalStep / 12 }
            sumSquares += statistics.sumSquares
        }
        guard sumSquares > 0 else { return nil }
        return Rounding(q: energy / sumSquares, margin: 1, fromBlockScales: false, subnormalsOnly: true)
    }

    /// F16's subnormal step (and smallest positive value), 2^-24.
    static let float16SubnormalStep = 0x1p-24
}
