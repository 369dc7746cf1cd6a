import Checkpoints
import Foundation

// MARK: - MLX's floating-point modes (mxfp4, nvfp4, mxfp8)

extension MLXTensors {
    /// MLX's floating-point quantization modes (`mx.quantize(w, mode=…)`).
    public enum FloatingPointMode: String, Sendable, CaseIterable {
        case mxfp4, nvfp4, mxfp8

        /// Values per scale.
        public var groupSize: Int { self == .nvfp4 ? 16 : 32 }
        /// Bits per code.
        public var bits: Int { self == .mxfp8 ? 8 : 4 }
        /// The largest code magnitude (E2M1's 6, E4M3's 448).
        var largest: Float { self == .mxfp8 ? 448 : 6 }
    }

    /// A weight quantized as MLX's `fp_quantize` does and stored as `mlx_lm` saves
    /// it: `P.weight` (U32 words: E2M1 codes eight per word, the first in the lowest nibble, or
    /// E4M3 codes four per word in byte order) and `P.scales` (U8, one per group of a row), no
    /// biases. Per group: scale = largest magnitude / 6 (448 for mxfp8), stored as an E8M0
    /// exponent + 127 (mxfp4, mxfp8) — ⌈log2 scale⌉ as MLX 0.32 rounds it (`roundExponentUp`),
    /// or log2 scale rounded to nearest as MLX 0.29–0.30's kernel did — or as the nearest F8_E4M3 (nvfp4); each
    /// code is the value / stored scale rounded to the nearest code (ties to the even code, the sign of a zero kept), saturating at the largest.
    /// `shape` is the weight's `[…, N, K]` (a stack of experts when rank 3). The dequantized
    /// values are computed here from the codes with this file's own decoders.
    public static func floatingPoint(
        name: String, values: [Float], shape: [Int], mode: FloatingPointMode, roundExponentUp: Bool = true
    ) -> (tensors: [TensorBytes], dequantized: [Float]) {
        let columns = shape.last!, group = mode.groupSize
        precondition(values.count == shape.reduce(1, *) && columns % group == 0 && name.hasSuffix("weight"))
        let prefix = String(name.dropLast("weight".count))
        var scaleCodes = [UInt8](repeating: 0, count: values.count / group)
        var codes = [UInt8](repeating: 0, count: values.count)
        var dequantized = [Float](repeating: 0, count: values.count)
        for block in scaleCodes.indices {
            let range = (block * group)..<((block + 1) * group)
            let scale = values[range].map(abs).max()! / mode.largest
            let stored: Float
            if mode == .nvfp4 {
                scaleCodes[block] = e4m3Code(scale)
                stored = e4m3Value(scaleCodes[block])
            } else {
                var exponent = scale > 0 ? min(max(Int(log2(scale).rounded()), -127), 127) : -127
                // The smallest power of two ≥ scale (none for a zero group).
                if roundExponentUp, scale > 0, exponent < 127, Float(sign: .plus, exponent: exponent, significand: 1) < scale { exponent += 1 }
                scaleCodes[block] = UInt8(exponent + 127)
                stored = Float(sign: .plus, exponent: exponent, significand: 1)
            }
            for index in range {
                let scaled = stored == 0 ? 0 : values[index] / stored
                codes[index] = mode == .mxfp8 ? e4m3Code(scaled) : e2m1Code(scaled)
                dequantized[index] = (mode == .mxfp8 ? e4m3Value(codes[index]) : e2m1Values[Int(codes[index])]) * stored
            }
        }
        let bytes = mode == .mxfp8 ? codes : stride(from: 0, to: codes.count, by: 2).map { codes[$0] | codes[$0 + 1] << 4 }
        let words = columns * mode.bits / 32, leading = Array(shape.dropLast())
        return ([
            TensorBytes(name: name, dtype: .u32, shape: leading + [words], bytes: bytes),
            TensorBytes(name: prefix + "scales", dtype: .u8, shape: leading + [columns / group], bytes: scaleCodes),
        ], dequantized)
    }

    /// E2M1 values by code (sign in bit 3).
    static let e2m1Values: [Float] = [0, 0.5, 1, 1.5, 2, 3, 4, 6, -0.0, -0.5, -1, -1.5, -2, -3, -4, -6]

    /// The nearest E2M1 code, saturating at ±6; ties to the even code; the sign kept, zero too (MLX's `fp4_e2m1`).
    static func e2m1Code(_ value: Float) -> UInt8 {
        var best = 0
        for code in 1..<8 {
            let distance = abs(e2m1Values[code] - abs(value)), bestDistance = abs(e2m1Values[best] - abs(value))
            if distance < bestDistance || (distance == bestDistance && code % 2 == 0) { best = code }
        }
        return UInt8(best) | (value.sign == .minus ? 0x08 : 0)
    }

    /// F8_E4M3 (FN) from its fields: 2^(e − 7) × (1 + m/8), subnormals 2^−6 × m/8.
    static func e4m3Value(_ code: UInt8) -> Float {
        let exponent = Int(code >> 3) & 0x0F, mantissa = Float(code & 0x07)
        let magnitude = exponent == 0 ? mantissa / 8 * 0x1p-6 : (1 + mantissa / 8) * Float(sign: .plus, exponent: exponent - 7, significand: 1)
        return code & 0x80 != 0 ? -magnitude : magnitude
    }

    /// The nearest F8_E4M3 code by search over the 127 non-negative finite codes (ties to the
    /// even code), saturating at ±448; the sign kept, zero too (MLX's `fp8_e4m3`, PyTorch's conversion).
    static func e4m3Code(_ value: Float) -> UInt8 {
        let magnitude = min(abs(value), 448)
        var best: UInt8 = 0
        for code in UInt8(1)...0x7E {
            let distance = abs(e4m3Value(code) - magnitude), bestDistance = abs(e4m3Value(best) - magnitude)
            if distance < bestDistance || (distance == bestDistance && code % 2 == 0) { best = code }
        }
        return best | (value.sign == .minus ? 0x80 : 0)
    }
}
