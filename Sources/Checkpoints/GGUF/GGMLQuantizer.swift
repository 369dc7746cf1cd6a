import Foundation

/// Quantization of `Float` values to GGML block types.
///
/// The simple 32-value types and MXFP4 are bit-exact with gguf-py's `gguf.quants` (Q8_0 is
/// also bit-exact with ggml's reference `quantize_row_q8_0`), so test fixtures and demo
/// copies made here match what the reference tools produce. The K-quants take one range per
/// group (`GGMLQuantizer+KQuants.swift`) and the lattice types (IQ1–IQ3) and Q1_0 a
/// nearest-point search (`GGMLQuantizer+Lattice.swift`): valid blocks, with somewhat more error
/// than llama.cpp's searched (and importance-weighted) choices. The ternary TQ2_0 and the
/// 2-bit Q2_0 are bit-exact with ggml's reference quantizers, which llama.cpp uses for them
/// with or without an importance matrix.
public enum GGMLQuantizer {
    /// The types `quantize` supports.
    public static let supportedTypes: [DType] = referenceTypes + ternaryTypes + kQuantTypes + latticeTypes

    /// The types quantized bit-exactly as gguf-py does.
    public static let referenceTypes: [DType] = [.q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .mxfp4]

    /// The types whose values are −d, 0 or +d with d the block's largest magnitude, quantized
    /// bit-exactly as ggml's `quantize_row_tq2_0_ref` and `quantize_row_q2_0_ref` do (Q2_0's
    /// fourth code, +2d, is never chosen there).
    public static let ternaryTypes: [DType] = [.tq2_0, .q2_0]

    /// The codebook types quantized by a plain nearest-point search (`GGMLQuantizer+Lattice.swift`):
    /// valid blocks, not the bytes llama.cpp's importance-weighted search would choose.
    public static let latticeTypes: [DType] = [.iq2XXS, .iq2XS, .iq2S, .iq3XXS, .iq3S, .iq1S, .iq1M, .q1_0, .iq4NL]

    /// The K-quants, quantized with one range per group (`GGMLQuantizer+KQuants.swift`): valid
    /// blocks, not llama.cpp's iteratively searched scales.
    public static let kQuantTypes: [DType] = [.q2K, .q3K, .q4K, .q5K, .q6K]

    /// Quantizes `values` (whole blocks of `dtype.block.elements`, row-major) into blocks of
    /// `dtype`. Precondition: `dtype` is in `supportedTypes`.
    public static func quantize(_ values: [Float], as dtype: DType) -> [UInt8] {
        precondition(supportedTypes.contains(dtype), "GGMLQuantizer: \(dtype.name) is not supported")
        let perBlock = dtype.block.elements
        precondition(values.count % perBlock == 0, "GGMLQuantizer: \(values.count) values are not whole blocks of \(perBlock)")
        let outputBytes = values.count / perBlock * dtype.block.bytes
        var output: [UInt8] = []
        output.reserveCapacity(outputBytes)
        values.withUnsafeBufferPointer { all in
            for start in stride(from: 0, to: all.count, by: perBlock) {
                let block = UnsafeBufferPointer(rebasing: all[start..<start + perBlock])
                switch dtype {
                case .q8_0: q8_0(block, &output)
                case .q4_0: q4_0(block, &output)
                case .q4_1: q4_1(block, &output)
                case .q5_0: q5_0(block, &output)
                case .q5_1: q5_1(block, &output)
                case .mxfp4: mxfp4(block, &output)
                case .q2K: q2K(block, &output)
                case .q3K: q3K(block, &output)
                case .q4K: q4K(block, &output)
                case .q5K: q5K(block, &output)
                case .q6K: q6K(block, &output)
                case .iq2XXS: iq2XXS(block, &output)
                case .iq2XS: iq2XS(block, &output)
                case .iq2S: iq2S(block, &output)
                case .iq3XXS: iq3XXS(block, &output)
                case .iq3S: iq3S(block, &output)
                case .iq1S: iq1S(block, &output)
                case .iq1M: iq1M(block, &output)
                case .q1_0: q1_0(block, &output)
                case .iq4NL: iq4NL(block, &output)
                case .tq2_0: tq2_0(block, &output)
                case .q2_0: q2_0(block, &output)
                default: break
                }
            }
        }
        assert(output.count == outputBytes)
        return output
    }

    // MARK: - Block quantizers (gguf-py `quantize_blocks`)

    private static func q8_0(_ x: UnsafeBufferPointer<Float>, _ output: inout [UInt8]) {
        var amax: Float = 0
        for value in x { amax = max(amax, abs(value)) }
        let d = amax / 127
        let inverse: Float = d == 0 ? 0 : 1 / d
        appendHalf(d, to: &output)
        for value in x {
            // gguf-py's np_roundf: round half away from zero.
            let q = (value * inverse).rounded(.toNearestOrAwayFromZero)
            output.append(UInt8(bitPattern: q.isFinite ? Int8(max(-128, min(127, q))) : 0))
        }
    }

    /// The element with the largest magnitude, first one on ties (numpy `argmax`).
    private static func signedMaximum(_ x: UnsafeBufferPointer<Float>) -> Float {
        var best = x[0]
        for value in x.dropFirst() where abs(value) > abs(best) { best = value }
        return best
    }

    private static func q4_0(_ x: UnsafeBufferPointer<Float>, _ output: inout [UInt8]) {
        let d = signedMaximum(x) / -8
        let inverse: Float = d == 0 ? 0 : 1 / d
        let q = x.map { min(15, truncatedByte(($0 * inverse) + 8.5)) }
        appendHalf(d, to: &output)
        for j in 0..<16 { output.append(q[j] | (q[j + 16] << 4)) }
    }

    private static func q4_1(_ x: UnsafeBufferPointer<Float>, _ output: inout [UInt8]) {
        let maximum = x.max() ?? 0
        let minimum = x.min() ?? 0
        let d = (maximum - minimum) / 15
        let inverse: Float = d == 0 ? 0 : 1 / d
        let q = x.map { min(15, truncatedByte(($0 - minimum) * inverse + 0.5)) }
        appendHalf(d, to: &output)
        appendHalf(minimum, to: &output)
        for j in 0..<16 { output.append(q[j] | (q[j + 16] << 4)) }
    }

    private static func q5_0(_ x: UnsafeBufferPointer<Float>, _ output: inout [UInt8]) {
        let d = signedMaximum(x) / -16
        let inverse: Float = d == 0 ? 0 : 1 / d
        let q = x.map { min(31, truncatedByte(($0 * inverse) + 16.5)) }
        appendHalf(d, to: &output)
        appendFifthBits(q, to: &output)
        for j in 0..<16 { output.append((q[j] & 0x0F) | (q[j + 16] << 4)) }
    }

    private static func q5_1(_ x: UnsafeBufferPointer<Float>, _ output: inout [UInt8]) {
        let maximum = x.max() ?? 0
        let minimum = x.min() ?? 0
        let d = (maximum - minimum) / 31
        let inverse: Float = d == 0 ? 0 : 1 / d
        let q = x.map { min(31, truncatedByte(($0 - minimum) * inverse + 0.5)) }
        appendHalf(d, to: &output)
        appendHalf(minimum, to: &output)
        appendFifthBits(q, to: &output)
        for j in 0..<16 { output.append((q[j] & 0x0F) | (q[j + 16] << 4)) }
    }

    /// MXFP4: the shared exponent puts the largest magnitude in [4, 8) × 2^(e − 128) — the
    /// top of the doubled E2M1 range is 12 — then each value takes the nearest code (first
    /// one on ties, numpy `argmin`, so zero is +0).
    private static func mxfp4(_ x: UnsafeBufferPointer<Float>, _ output: inout [UInt8]) {
        var amax: Float = 0
        for value in x { amax = max(amax, abs(value)) }
        // gguf-py: floor(log2(amax)) − 2 + 127 cast to uint8 (0 for an all-zero block).
        let exponent = amax > 0 ? Int(Foundation.log2(amax).rounded(.down)) - 2 + 127 : 0
        let e = UInt8(truncatingIfNeeded: exponent)
        let scale = GGMLDequantizer.e8m0HalfScale(e)
        func nearest(_ value: Float) -> UInt8 {
            var best = 0
            var bestError = Float.infinity
            for (index, code) in GGMLDequantizer.e2m1Doubled.enumerated() {
                let error = abs(scale * code - value)
                if error < bestError { best = index; bestError = error }
            }
            return UInt8(best)
        }
        output.append(e)
        for j in 0..<16 { output.append(nearest(x[j]) | nearest(x[j + 16]) << 4) }
    }

    // MARK: - Helpers

    /// `np.trunc(v).astype(np.uint8)` for the non-negative values the quantizers produce.
    @inline(__always)
    private static func truncatedByte(_ value: Float) -> UInt8 {
        guard value.isFinite, value > 0 else { return 0 }
        return UInt8(min(value.rounded(.towardZero), 255))
    }

    // MARK: - Ternary blocks (ggml's reference quantizers)

    /// Codes round(x / amax) + 1 (half away from zero, as C's `roundf`/`lroundf`), from the
    /// unrounded F32 scale; the block stores the scale as F16.
    private static func ternaryCodes(_ x: UnsafeBufferPointer<Float>) -> (scale: Float, codes: [UInt8]) {
        var amax: Float = 0
        for value in x { amax = max(amax, abs(value)) }
        let inverse: Float = amax == 0 ? 0 : 1 / amax
        let codes = x.map { value -> UInt8 in
            let q = (value * inverse).rounded(.toNearestOrAwayFromZero)
            return UInt8(max(0, min(3, Int(q.isFinite ? q : 0) + 1)))
        }
        return (amax, codes)
    }

    /// TQ2_0: 256 values, 64 code bytes (32 bytes per 128 values, byte m holding values m,
    /// m + 32, m + 64, m + 96 from its low bits up), then the F16 scale.
    private static func tq2_0(_ x: UnsafeBufferPointer<Float>, _ output: inout [UInt8]) {
        let (scale, codes) = ternaryCodes(x)
        for chunk in 0..<2 {
            for m in 0..<32 {
                var byte: UInt8 = 0
                for n in 0..<4 { byte |= (codes[chunk * 128 + n * 32 + m] & 3) << UInt8(2 * n) }
                output.append(byte)
            }
        }
        appendHalf(scale, to: &output)
    }

    /// Q2_0: the F16 scale, then 64 codes four to a byte, lowest bits first.
    private static func q2_0(_ x: UnsafeBufferPointer<Float>, _ output: inout [UInt8]) {
        let (scale, codes) = ternaryCodes(x)
        appendHalf(scale, to: &output)
        for byte in 0..<16 {
            output.append(codes[4 * byte] | codes[4 * byte + 1] << 2 | codes[4 * byte + 2] << 4 | codes[4 * byte + 3] << 6)
        }
    }

    private static func appendHalf(_ value: Float, to output: inout [UInt8]) {
        appendUInt16(FloatEncoding.float16Bits(value), to: &output)
    }

    static func appendUInt16(_ value: UInt16, to output: inout [UInt8]) {
        output.append(UInt8(truncatingIfNeeded: value))
        output.append(UInt8(truncatingIfNeeded: value >> 8))
    }

    static func appendUInt32(_ value: UInt32, to output: inout [UInt8]) {
        for byte in 0..<4 { output.append(UInt8(truncatingIfNeeded: value >> UInt32(8 * byte))) }
    }

    /// Bit 4 of each of the 32 values, as a little-endian 32-bit mask.
    private static func appendFifthBits(_ q: [UInt8], to output: inout [UInt8]) {
        var mask: UInt32 = 0
        for (j, value) in q.enumerated() where value & 0x10 != 0 { mask |= 1 << UInt32(j) }
        for byte in 0..<4 { output.append(UInt8(truncatingIfNeeded: mask >> UInt32(8 * byte))) }
    }
}
