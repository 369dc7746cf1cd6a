/// Dequantization of the lattice types (IQ1, IQ2, IQ3) and the 1-bit Q1_0.
///
/// An index selects a whole row of a `LatticeCodebook` (8 or 4 magnitudes); signs come from
/// separate bits, and a 4-bit (IQ2, IQ3) or 3-bit (IQ1) sub-scale multiplies the block's `d`.
/// The Float32 operations follow gguf-py's `dequantize_blocks` (and ggml's C) in order:
/// sub-scale first, then × codebook value, then × sign (or `(value + delta)` for IQ1), so
/// results are bit-exact. Block layouts (256 values; `d` is an IEEE half float):
/// - IQ2_XXS (66 bytes): d, then per 32 values two uint32s: four 8-bit row indices; four 7-bit
///   sign codes (bits 0–27) and the sub-scale (bits 28–31); `d × (½ + s) / 4`
/// - IQ2_XS (74): d, 32 uint16s (9-bit row index, 7-bit sign code), 16 sub-scale nibbles
/// - IQ2_S (82): d, 32 low index bytes, 32 sign bytes, 8 bytes of 2-bit index highs, 16 nibbles
/// - IQ3_XXS (98): d, 64 row indices, then per 32 values a uint32 of sign codes and sub-scale;
///   `d × (½ + s) / 2`
/// - IQ3_S (110): d, 64 low index bytes, 8 bytes of ninth index bits, 32 sign bytes, 8 nibbles;
///   `d × (1 + 2s)`
/// - IQ1_S (50): d, 32 low index bytes, per 32 values a uint16: three high index bits per row,
///   3-bit sub-scale (bits 12–14), delta sign (bit 15); `d × (2s + 1) × (value ± ⅛)`
/// - IQ1_M (56): 32 low index bytes, 16 bytes of nibbles (three high index bits and a delta
///   sign per row), four uint16s of twelve 3-bit sub-scales whose top nibbles form d
/// - Q1_0 (128 values, 18 bytes): d, 128 bits (lowest first); bit 1 → +d, bit 0 → −d
///
/// A 7-bit sign code stands for 8 signs with an even count of minus signs: bit 7 is the
/// parity of bits 0–6 (ggml's `ksigns_iq2xs`).
extension GGMLDequantizer {
    // MARK: - IQ2

    static func iq2XXS(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        LatticeCodebook.iq2XXS.values.withUnsafeBufferPointer { grid in
            for sub in 0..<8 {
                let indices = word32(block, 2 + sub * 8)
                let packed = word32(block, 6 + sub * 8)
                let db = d * (0.5 + Float(packed >> 28)) * 0.25
                for l in 0..<4 {
                    let row = Int((indices >> UInt32(8 * l)) & 0xFF)
                    let signs = parityCompletedSigns(UInt8((packed >> UInt32(7 * l)) & 0x7F))
                    signedRow(grid, row: row, width: 8, scale: db, signs: signs, out + sub * 32 + l * 8)
                }
            }
        }
    }

    static func iq2XS(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let scales = bytes(block, 66)
        LatticeCodebook.iq2XS.values.withUnsafeBufferPointer { grid in
            for i in 0..<32 {
                let code = UInt16(littleEndian: block.loadUnaligned(fromByteOffset: 2 + 2 * i, as: UInt16.self))
                let db = d * (0.5 + Float(nibble(scales, i / 2))) * 0.25
                signedRow(grid, row: Int(code & 511), width: 8, scale: db, signs: parityCompletedSigns(UInt8(code >> 9)), out + i * 8)
            }
        }
    }

    static func iq2S(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let low = bytes(block, 2)
        let signs = bytes(block, 34)
        let high = bytes(block, 66)
        let scales = bytes(block, 74)
        LatticeCodebook.iq2S.values.withUnsafeBufferPointer { grid in
            for i in 0..<32 {
                let row = Int(low[i]) | Int((high[i / 4] >> UInt8(2 * (i % 4))) & 3) << 8
                let db = d * (0.5 + Float(nibble(scales, i / 2))) * 0.25
                signedRow(grid, row: row, width: 8, scale: db, signs: signs[i], out + i * 8)
            }
        }
    }

    // MARK: - IQ3

    static func iq3XXS(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let indices = bytes(block, 2)
        LatticeCodebook.iq3XXS.values.withUnsafeBufferPointer { grid in
            for sub in 0..<8 {
                let packed = word32(block, 66 + sub * 4)
                let db = d * (0.5 + Float(packed >> 28)) * 0.5
                for l in 0..<4 {
                    let signs = parityCompletedSigns(UInt8((packed >> UInt32(7 * l)) & 0x7F))
                    let y = out + sub * 32 + l * 8
                    signedRow(grid, row: Int(indices[sub * 8 + l * 2]), width: 4, scale: db, signs: signs, y)
                    signedRow(grid, row: Int(indices[sub * 8 + l * 2 + 1]), width: 4, scale: db, signs: signs >> 4, y + 4)
                }
            }
        }
    }

    static func iq3S(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let low = bytes(block, 2)
        let ninth = bytes(block, 66)
        let signs = bytes(block, 74)
        let scales = bytes(block, 106)
        LatticeCodebook.iq3S.values.withUnsafeBufferPointer { grid in
            for i in 0..<64 {
                let row = Int(low[i]) | Int((ninth[i / 8] >> UInt8(i % 8)) & 1) << 8
                let db = d * Float(1 + 2 * Int32(nibble(scales, i / 8)))
                signedRow(grid, row: row, width: 4, scale: db, signs: signs[i / 2] >> UInt8(4 * (i % 2)), out + i * 4)
            }
        }
    }

    // MARK: - IQ1 and Q1_0

    /// The offset IQ1 rows add to every value, negated by the row's delta-sign bit.
    private static let iq1Delta: Float = 0.125

    static func iq1S(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let low = bytes(block, 2)
        LatticeCodebook.iq1S.values.withUnsafeBufferPointer { grid in
            for sub in 0..<8 {
                let packed = UInt16(littleEndian: block.loadUnaligned(fromByteOffset: 34 + 2 * sub, as: UInt16.self))
                let dl = d * Float(2 * ((packed >> 12) & 7) + 1)
                let delta = packed & 0x8000 == 0 ? iq1Delta : -iq1Delta
                for l in 0..<4 {
                    let row = Int(low[sub * 4 + l]) | Int((packed >> UInt16(3 * l)) & 7) << 8
                    offsetRow(grid, row: row, scale: dl, delta: delta, out + sub * 32 + l * 8)
                }
            }
        }
    }

    static func iq1M(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let low = bytes(block, 0)
        let high = bytes(block, 32)
        func word(_ k: Int) -> UInt16 { UInt16(littleEndian: block.loadUnaligned(fromByteOffset: 48 + 2 * k, as: UInt16.self)) }
        let dBits = (word(0) & 0xF000) >> 12 | (word(1) & 0xF000) >> 8 | (word(2) & 0xF000) >> 4 | (word(3) & 0xF000)
        let d = FloatBits.float16(dBits)
        LatticeCodebook.iq1S.values.withUnsafeBufferPointer { grid in
            for i in 0..<32 {
                let scaleIndex = i / 2
                let s = (word(scaleIndex / 4) >> UInt16(3 * (scaleIndex % 4))) & 7
                let dl = d * Float(2 * s + 1)
                let bits = (high[i / 2] >> UInt8(4 * (i % 2))) & 0x0F
                let delta = bits & 0x08 == 0 ? iq1Delta : -iq1Delta
                offsetRow(grid, row: Int(low[i]) | Int(bits & 7) << 8, scale: dl, delta: delta, out + i * 8)
            }
        }
    }

    static func q1_0(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let bits = bytes(block, 2)
        // (2 × bit − 1) × d, as a sign flip of d where the bit is clear.
        for j in 0..<128 {
            let negative = UInt32(~(bits[j / 8] >> UInt8(j % 8)) & 1) << 31
            out[j] = Float(bitPattern: d.bitPattern ^ negative)
        }
    }

    // MARK: - Helpers

    /// The 8 signs a 7-bit code stands for: bit 7 makes the count of minus signs even.
    @inline(__always)
    private static func parityCompletedSigns(_ code: UInt8) -> UInt8 {
        code | UInt8(code.nonzeroBitCount & 1) << 7
    }

    /// `scale × row value`, negated where the sign bit (lowest bit first) is set. Negation
    /// flips the sign bit, which is exactly ggml's `× −1` and avoids a branch on random signs.
    @inline(__always)
    private static func signedRow(_ grid: UnsafeBufferPointer<Float>, row: Int, width: Int, scale: Float, signs: UInt8,
                                  _ out: UnsafeMutablePointer<Float>) {
        let values = grid.baseAddress! + row * width
        for j in 0..<width {
            let negative = UInt32((signs >> UInt8(j)) & 1) << 31
            out[j] = Float(bitPattern: (scale * values[j]).bitPattern ^ negative)
        }
    }

    /// `scale × (row value + delta)` for the 8 values of an IQ1 row.
    @inline(__always)
    private static func offsetRow(_ grid: UnsafeBufferPointer<Float>, row: Int, scale: Float, delta: Float,
                                  _ out: UnsafeMutablePointer<Float>) {
        let values = grid.baseAddress! + row * 8
        for j in 0..<8 { out[j] = scale * (values[j] + delta) }
    }

    @inline(__always)
    private static func word32(_ block: UnsafeRawPointer, _ offset: Int) -> UInt32 {
        UInt32(littleEndian: block.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// Nibble `index` of packed 4-bit values, low nibble of each byte first.
    @inline(__always)
    private static func nibble(_ packed: UnsafePointer<UInt8>, _ index: Int) -> UInt8 {
        (packed[index / 2] >> UInt8(4 * (index % 2))) & 0x0F
    }
}
