import Checkpoints
import SyntheticModels

/// Converts every floating-point tensor to another precision: values are rounded to the
/// target format (round to nearest even) and stored in it.
///
/// `fp8` is an FP8 round trip, the trace a model leaves after an FP8 release is upcast again:
/// each tensor is scaled by the power of two 2^k that brings its largest magnitude closest
/// to (not above) 448, rounded to F8_E4M3, scaled back, and stored as BF16 (which holds every
/// such value exactly). Integer buffers are untouched.
public struct DTypeConversion: Perturbation {
    public enum Target: String, Sendable, CaseIterable {
        case f32, f16, bf16, fp8

        /// The stored dtype.
        public var storageDType: DType {
            switch self {
            case .f32: .f32
            case .f16: .f16
            case .bf16, .fp8: .bf16
            }
        }
    }

    public var target: Target
    public var step: PerturbationStep { .convertDType }

    public init(target: Target) {
        self.target = target
    }

    /// `values` rounded as the conversion rounds them.
    public static func rounded(_ values: [Float], to target: Target) -> [Float] {
        switch target {
        case .f32:
            return values
        case .f16:
            return values.map { FloatBits.float16(FloatEncoding.float16Bits($0)) }
        case .bf16:
            return values.map { FloatBits.bfloat16(FloatEncoding.bfloat16Bits($0)) }
        case .fp8:
            let largest = values.reduce(Float(0)) { $1.isFinite ? max($0, abs($1)) : $0 }
            guard largest > 0 else { return values }
            // 2^k · largest ≤ 448 < 2^(k+1) · largest.
            let ratio = Float(448) / largest
            var exponent = ratio.isFinite ? min(Int(ratio.exponent), 127) : 127
            if largest * power2(exponent) > 448 { exponent -= 1 }
            let scale = power2(exponent), inverse = power2(-exponent)
            let table = EightBitTable.e4m3
            return values.map { FloatBits.float8E4M3(table.code(nearest: $0 * scale)) * inverse }
        }
    }

    private static func power2(_ exponent: Int) -> Float {
        Float(sign: .plus, exponent: exponent, significand: 1)
    }

    public func apply(to model: inout CheckpointModel) throws(PerturbationError) -> PerturbationRecord {
        var converted = 0
        for index in model.entries.indices where model.entries[index].isFloatingPoint {
            model.entries[index].tensor.values = Self.rounded(model.entries[index].tensor.values, to: target)
            model.entries[index].storageDType = target.storageDType
            converted += 1
        }
        let how = target == .fp8 ? "rounded through F8_E4M3 with a per-tensor power-of-two scale, stored as BF16" : "stored as \(target.storageDType.name)"
        return PerturbationRecord(
            attack: step.name, functionPreserving: false,
            summary: "converted \(converted) floating-point tensors: \(how)",
            parameters: ["target": .string(target.rawValue), "stored_dtype": .string(target.storageDType.name), "tensors": .integer(converted)])
    }
}
