/// Dequantization of GGML block-quantized types to `Float`.
///
/// Bit-exact with ggml's reference `dequantize_row_*` and gguf-py's `gguf.quants`: the same
/// Float32 operations in the same order (scale × sub-scale first, then × quantized value,
/// then − minimum), so results can be compared bit for bit against those implementations.
/// Block layouts (little-endian, `d`/`dmin`/`m` are IEEE half floats):
/// - Q8_0 (32 values, 34 bytes): d, 32 × int8
/// - Q4_0 (32, 18): d, 16 bytes of nibbles (low nibbles are values 0–15, high nibbles 16–31), value − 8
/// - Q4_1 (32, 20): d, m, nibbles as Q4_0; d × q + m
/// - Q5_0 (32, 22): d, 32-bit fifth bits, nibbles; value − 16
/// - Q5_1 (32, 24): d, m, fifth bits, nibbles; d × q + m
/// - Q2_K (256, 84): 16 scale/min bytes, 64 bytes of 2-bit values, d, dmin
/// - Q3_K (256, 110): 32 bytes high-bit mask, 64 bytes of 2-bit values, 12 bytes of 6-bit scales, d
/// - Q4_K (256, 144): d, dmin, 12 bytes of 6-bit scales/mins, 128 bytes of nibbles
/// - Q5_K (256, 176): d, dmin, 12 bytes of scales/mins, 32 bytes of fifth bits, 128 bytes of nibbles
/// - Q6_K (256, 210): 128 bytes low nibbles, 64 bytes of 2-bit highs, 16 int8 scales, d
/// - IQ4_NL (32, 18): d, nibbles as Q4_0 indexing a fixed 16-value non-linear codebook; d × code
/// - IQ4_XS (256, 136): d, 16 bits of high scale bits, 4 bytes of low scale nibbles, 128 bytes of
///   nibbles; eight 32-value groups with 6-bit scales (minus 32), values from the IQ4_NL codebook
/// - MXFP4 (32, 17): an E8M0 exponent byte e, nibbles as Q4_0 holding E2M1 codes; the codes are
///   stored doubled as integers (0, 1, 2, 3, 4, 6, 8, 12 and negatives), scaled by 2^(e − 128)
/// - NVFP4 (64, 36): four unsigned E4M3 scales (one per 16 values, halved for the doubled
///   codes; 0x7F reads as 0), then 4 × 8 bytes of E2M1 nibbles (low nibbles first)
/// - TQ1_0 (256, 54): 48 + 4 bytes of base-3 packed ternary digits, d; d × (trit − 1)
/// - TQ2_0 (256, 66): 64 bytes of 2-bit values (four 32-value planes per 32 bytes), d; d × (q − 1)
/// - IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S (lattice codebooks) and Q1_0: see
///   `GGMLDequantizer+Lattice.swift`
enum GGMLDequantizer {
    /// Decodes `count` values (a whole number of blocks) stored at `source` into `target`.
    static func dequantize(_ dtype: DType, _ source: UnsafeRawPointer, _ target: UnsafeMutablePointer<Float>, count: Int) {
        let (perBlock, blockBytes) = dtype.block
        let blocks = count / perBlock
        precondition(blocks * perBlock == count, "dequantize: \(count) values are not whole \(dtype.name) blocks")
        let kernel: (UnsafeRawPointer, UnsafeMutablePointer<Float>) -> Void
        switch dtype {
        case .q8_0: kernel = q8_0
        case .q4_0: kernel = q4_0
        case .q4_1: kernel = q4_1
        case .q5_0: kernel = q5_0
        case .q5_1: kernel = q5_1
        case .q2K: kernel = q2K
        case .q3K: kernel = q3K
        case .q4K: kernel = q4K
        case .q5K: kernel = q5K
        case .q6K: kernel = q6K
        case .iq4NL: kernel = iq4NL
        case .iq4XS: kernel = iq4XS
        case .mxfp4: kernel = mxfp4
        case .nvfp4: kernel = nvfp4
        case .tq1_0: kernel = tq1_0
        case .tq2_0: kernel = tq2_0
        case .q2_0: kernel = q2_0
        case .iq2XXS: kernel = iq2XXS
        case .iq2XS: kernel = iq2XS
        case .iq2S: kernel = iq2S
        case .iq3XXS: kernel = iq3XXS
        case .iq3S: kernel = iq3S
        case .iq1S: kernel = iq1S
        case .iq1M: kernel = iq1M
        case .q1_0: kernel = q1_0
        default: preconditionFailure("dequantize: \(dtype.name) is not a GGML block-quantized type")
        }
        for block in 0..<blocks {
            kernel(source + block * blockBytes, target + block * perBlock)
        }
    }

    // MARK: - 32-value blocks

    private static func q8_0(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let values = (block + 2).assumingMemoryBound(to: Int8.self)
        for j in 0..<32 { out[j] = Float(values[j]) * d }
    }

    private static func q4_0(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let nibbles = bytes(block, 2)
        for j in 0..<16 {
            out[j] = d * Float(Int32(nibbles[j] & 0x0F) - 8)
            out[j + 16] = d * Float(Int32(nibbles[j] >> 4) - 8)
        }
    }

    private static func q4_1(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let m = half(block, 2)
        let nibbles = bytes(block, 4)
        for j in 0..<16 {
            out[j] = d * Float(nibbles[j] & 0x0F) + m
            out[j + 16] = d * Float(nibbles[j] >> 4) + m
        }
    }

    private static func q5_0(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let high = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
        let nibbles = bytes(block, 6)
        for j in 0..<16 {
            let low = UInt32(nibbles[j] & 0x0F) | ((high >> UInt32(j)) & 1) << 4
            let upper = UInt32(nibbles[j] >> 4) | ((high >> UInt32(j + 16)) & 1) << 4
            out[j] = d * Float(Int32(low) - 16)
            out[j + 16] = d * Float(Int32(upper) - 16)
        }
    }

    private static func q5_1(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let m = half(block, 2)
        let high = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        let nibbles = bytes(block, 8)
        for j in 0..<16 {
            let low = UInt32(nibbles[j] & 0x0F) | ((high >> UInt32(j)) & 1) << 4
            let upper = UInt32(nibbles[j] >> 4) | ((high >> UInt32(j + 16)) & 1) << 4
            out[j] = d * Float(low) + m
            out[j + 16] = d * Float(upper) + m
        }
    }

    // MARK: - 256-value super-blocks (K-quants)

    private static func q2K(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let scales = bytes(block, 0)
        let quants = bytes(block, 16)
        let d = half(block, 80)
        let dmin = half(block, 82)
        for half in 0..<2 {
            for shift in 0..<4 {
                // 32 values in two groups of 16, each with its own 4-bit scale and minimum.
                for group in 0..<2 {
                    let scale = scales[half * 8 + shift * 2 + group]
                    let dl = d * Float(scale & 0x0F)
                    let ml = dmin * Float(scale >> 4)
                    let base = half * 128 + shift * 32 + group * 16
                    for l in 0..<16 {
                        let q = (quants[half * 32 + group * 16 + l] >> UInt8(2 * shift)) & 3
                        out[base + l] = dl * Float(q) - ml
                    }
                }
            }
        }
    }

    private static func q3K(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let highMask = bytes(block, 0)
        let quants = bytes(block, 32)
        let packed = bytes(block, 96)
        let d = half(block, 108)
        for half in 0..<2 {
            for shift in 0..<4 {
                let bit = UInt8(half * 4 + shift)
                // Two groups of 16 values, each with a 6-bit signed scale.
                for group in 0..<2 {
                    let dl = d * Float(q3KScale(packed, half * 8 + shift * 2 + group))
                    let base = half * 128 + shift * 32 + group * 16
                    for l in group * 16..<group * 16 + 16 {
                        let value = Int32((quants[half * 32 + l] >> UInt8(2 * shift)) & 3)
                        let q = value - ((highMask[l] >> bit) & 1 == 0 ? 4 : 0)
                        out[base + l - group * 16] = dl * Float(q)
                    }
                }
            }
        }
    }

    /// Q3_K's sixteen 6-bit signed scales (minus 32), packed in 12 bytes: low nibbles, then high bit pairs.
    @inline(__always)
    static func q3KScale(_ packed: UnsafePointer<UInt8>, _ j: Int) -> Int32 {
        let low = j < 8 ? packed[j] & 0x0F : packed[j - 8] >> 4
        let high = (packed[8 + j % 4] >> UInt8(2 * (j / 4))) & 3
        return Int32(low | high << 4) - 32
    }

    /// The eight 6-bit scales and eight 6-bit minimums packed in 12 bytes (Q4_K, Q5_K).
    @inline(__always)
    static func scaleAndMin(_ packed: UnsafePointer<UInt8>, _ group: Int) -> (scale: UInt8, minimum: UInt8) {
        if group < 4 {
            return (packed[group] & 63, packed[group + 4] & 63)
        }
        let scale = (packed[group + 4] & 0x0F) | ((packed[group - 4] >> 6) << 4)
        let minimum = (packed[group + 4] >> 4) | ((packed[group] >> 6) << 4)
        return (scale, minimum)
    }

    private static func q4K(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let dmin = half(block, 2)
        let packed = bytes(block, 4)
        let quants = bytes(block, 16)
        for group in 0..<8 {
            let (scale, minimum) = scaleAndMin(packed, group)
            let dg = d * Float(scale)
            let mg = dmin * Float(minimum)
            let shift = UInt8(4 * (group % 2))
            let base = (group / 2) * 32
            for l in 0..<32 {
                let q = (quants[base + l] >> shift) & 0x0F
                out[group * 32 + l] = dg * Float(q) - mg
            }
        }
    }

    private static func q5K(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let dmin = half(block, 2)
        let packed = bytes(block, 4)
        let highBits = bytes(block, 16)
        let quants = bytes(block, 48)
        for group in 0..<8 {
            let (scale, minimum) = scaleAndMin(packed, group)
            let dg = d * Float(scale)
            let mg = dmin * Float(minimum)
            let shift = UInt8(4 * (group % 2))
            let base = (group / 2) * 32
            for l in 0..<32 {
                let q = ((quants[base + l] >> shift) & 0x0F) | ((highBits[l] >> UInt8(group)) & 1) << 4
                out[group * 32 + l] = dg * Float(q) - mg
            }
        }
    }

    private static func q6K(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 208)
        let allScales = (block + 192).assumingMemoryBound(to: Int8.self)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 16) { scaled in
            for group in 0..<16 { scaled[group] = d * Float(allScales[group]) }
            for half in 0..<2 {
                let low = bytes(block, half * 64)
                let high = bytes(block, 128 + half * 32)
                let dl = scaled.baseAddress! + half * 8
                let y = out + half * 128
                for l in 0..<32 {
                    let group = l / 16
                    let q1 = Int32((low[l] & 0x0F) | (high[l] & 3) << 4) - 32
                    let q2 = Int32((low[l + 32] & 0x0F) | ((high[l] >> 2) & 3) << 4) - 32
                    let q3 = Int32((low[l] >> 4) | ((high[l] >> 4) & 3) << 4) - 32
                    let q4 = Int32((low[l + 32] >> 4) | ((high[l] >> 6) & 3) << 4) - 32
                    y[l] = dl[group] * Float(q1)
                    y[l + 32] = dl[group + 2] * Float(q2)
                    y[l + 64] = dl[group + 4] * Float(q3)
                    y[l + 96] = dl[group + 6] * Float(q4)
                }
            }
        }
    }

    // MARK: - Codebook types

    /// The IQ4_NL/IQ4_XS codebook: 16 non-uniformly spaced int8 levels, denser near zero.
    static let nonLinearLevels: [Float] = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113]

    /// E2M1 values doubled, so they are integers: index bit 3 is the sign (MXFP4, NVFP4).
    static let e2m1Doubled: [Float] = [0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12]

    /// Low nibbles of 16 bytes are values 0–15, high nibbles 16–31, each `scale × level`.
    @inline(__always)
    private static func nibbleCodebook(_ nibbles: UnsafePointer<UInt8>, _ scale: Float, _ levels: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>) {
        for j in 0..<16 {
            out[j] = scale * levels[Int(nibbles[j] & 0x0F)]
            out[j + 16] = scale * levels[Int(nibbles[j] >> 4)]
        }
    }

    private static func iq4NL(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        nonLinearLevels.withUnsafeBufferPointer { nibbleCodebook(bytes(block, 2), half(block, 0), $0.baseAddress!, out) }
    }

    private static func iq4XS(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let highScales = UInt16(littleEndian: block.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        let lowScales = bytes(block, 4)
        nonLinearLevels.withUnsafeBufferPointer { levels in
            for group in 0..<8 {
                let scale = d * Float(iq4XSScale(highScales, lowScales, group))
                nibbleCodebook(bytes(block, 8 + group * 16), scale, levels.baseAddress!, out + group * 32)
            }
        }
    }

    /// IQ4_XS's 6-bit group scale (minus 32): a low nibble and two bits of `highScales`.
    @inline(__always)
    static func iq4XSScale(_ highScales: UInt16, _ lowScales: UnsafePointer<UInt8>, _ group: Int) -> Int32 {
        let low = (lowScales[group / 2] >> UInt8(4 * (group % 2))) & 0x0F
        let high = UInt8(truncatingIfNeeded: highScales >> UInt16(2 * group)) & 0x03
        return Int32(low | high << 4) - 32
    }

    private static func mxfp4(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let scale = e8m0HalfScale(block.load(as: UInt8.self))
        e2m1Doubled.withUnsafeBufferPointer { nibbleCodebook(bytes(block, 1), scale, $0.baseAddress!, out) }
    }

    /// 2^(e − 128): half the E8M0 scale `e`, because MXFP4 codes are stored doubled. Exponents
    /// 0 and 1 give subnormal scales; 255 is a finite 2^127 here, as in ggml (not NaN).
    static func e8m0HalfScale(_ e: UInt8) -> Float {
        let exponent = UInt32(e)
        return Float(bitPattern: exponent < 2 ? 0x0020_0000 << exponent : (exponent - 1) << 23)
    }

    private static func nvfp4(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        e2m1Doubled.withUnsafeBufferPointer { codes in
            for sub in 0..<4 {
                let scale = unsignedE4M3Halved(block.load(fromByteOffset: sub, as: UInt8.self))
                let nibbles = bytes(block, 4 + sub * 8)
                let y = out + sub * 16
                for j in 0..<8 {
                    y[j] = scale * codes[Int(nibbles[j] & 0x0F)]
                    y[j + 8] = scale * codes[Int(nibbles[j] >> 4)]
                }
            }
        }
    }

    /// An unsigned E4M3 scale (bias 7, bit 7 ignored) times ½; 0 and 0x7F (NaN) read as 0.
    @inline(__always)
    private static func unsignedE4M3Halved(_ x: UInt8) -> Float {
        if x == 0 || x == 0x7F { return 0 }
        let exponent = Int((x >> 3) & 0x0F)
        let mantissa = Float(x & 0x07)
        let value = exponent == 0 ? mantissa * 0x1p-9 : (1 + mantissa / 8) * Float(sign: .plus, exponent: exponent - 7, significand: 1)
        return value * 0.5
    }

    // MARK: - Ternary types

    /// TQ1_0 packs 5 trits per byte (4 in the last 4 bytes) as ⌈t × 256 / 243⌉: digit k of a
    /// byte is recovered as `((byte × 3^k mod 256) × 3) >> 8`.
    private static func tq1_0(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 52)
        let powers: [UInt8] = [1, 3, 9, 27, 81]
        func trit(_ byte: UInt8, _ power: UInt8) -> Float {
            Float(Int32((UInt16(byte &* power) * 3) >> 8) - 1)
        }
        let packed = bytes(block, 0)
        var index = 0
        for (start, width, digits) in [(0, 32, 5), (32, 16, 5), (48, 4, 4)] {
            for k in 0..<digits {
                for m in 0..<width {
                    out[index] = d * trit(packed[start + m], powers[k])
                    index += 1
                }
            }
        }
    }

    private static func tq2_0(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 64)
        let packed = bytes(block, 0)
        for chunk in 0..<2 {
            for plane in 0..<4 {
                for m in 0..<32 {
                    let q = (packed[chunk * 32 + m] >> UInt8(2 * plane)) & 0x03
                    out[chunk * 128 + plane * 32 + m] = d * Float(Int32(q) - 1)
                }
            }
        }
    }

    // MARK: - 64-value blocks

    /// ggml's `dequantize_row_q2_0`: four codes per byte, low bits first, value (code − 1) × d.
    private static func q2_0(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let packed = bytes(block, 2)
        for j in 0..<64 {
            let q = (packed[j / 4] >> UInt8(2 * (j % 4))) & 0x03
            out[j] = Float(Int32(q) - 1) * d
        }
    }

    // MARK: - Helpers

    @inline(__always)
    static func half(_ block: UnsafeRawPointer, _ offset: Int) -> Float {
        FloatBits.float16(UInt16(littleEndian: block.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }

    @inline(__always)
    static func bytes(_ block: UnsafeRawPointer, _ offset: Int) -> UnsafePointer<UInt8> {
        (block + offset).assumingMemoryBound(to: UInt8.self)
    }
}
