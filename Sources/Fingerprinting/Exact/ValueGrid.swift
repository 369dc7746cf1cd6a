import Checkpoints

/// The narrowest floating-point precision that holds every value of a tensor, by significand
/// width regardless of exponent (so per-tensor power-of-two scales do not hide it): `F8_E5M2`
/// (≤ 2 fraction bits), `F8_E4M3` (≤ 3), `BF16` (≤ 7), `F16` (≤ 10), else `F32`. A tensor stored
/// as BF16 whose values all carry FP8 precision went through FP8 at some point — which tells a
/// lossy FP8 round trip from added noise of the same size.
struct ValueGrid {
    private(set) var fractionBits = -1
    /// The widest the stored dtype allows (7 for BF16, 10 for F16, 23 for F32): once reached,
    /// there is nothing left to learn and observing stops.
    private let limit: Int

    init(stored: DType) {
        switch stored {
        case .bf16: limit = 7
        case .f16: limit = 10
        case .f8E5M2, .f8E5M2FNUZ: limit = 2
        case .f8E4M3, .f8E4M3FNUZ: limit = 3
        case .f4: limit = 1
        case .f8E8M0: limit = 0
        default: limit = 23
        }
    }

    mutating func observe(_ values: UnsafeBufferPointer<Float>) {
        guard fractionBits < limit else { return }
        var widest = fractionBits
        for value in values where value.isFinite {
            widest = max(widest, value.significandWidth)
            if widest >= limit { break }
        }
        fractionBits = widest
    }

    /// The fraction bits the values need, when fewer than F32's 23: the grid they were rounded
    /// to (`nil` for F32 precision, or when no finite value was seen).
    var roundedFractionBits: Int? {
        fractionBits >= 0 && fractionBits <= 10 ? fractionBits : nil
    }

    /// The smallest normal exponent of a stored float type: below it, its spacing stops
    /// shrinking (subnormals).
    static func minimumNormalExponent(_ stored: DType) -> Int {
        switch stored {
        case .f16: -14
        case .f8E4M3: -6
        case .f8E5M2: -14
        case .f8E4M3FNUZ: -7
        case .f8E5M2FNUZ: -15
        case .f4: 0
        default: -126
        }
    }

    /// The precision's dtype name.
    var name: String {
        switch fractionBits {
        case ...2: "F8_E5M2"
        case 3: "F8_E4M3"
        case 4...7: "BF16"
        case 8...10: "F16"
        default: "F32"
        }
    }
}
