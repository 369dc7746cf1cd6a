/// Quantization to the K-quants (Q2_K … Q6_K), 256-value super-blocks.
///
/// Not llama.cpp's quantizers, which search each group's scale and minimum iteratively (and
/// weight errors by an importance matrix): each group takes the scale that spans its values
/// (from its minimum, or 0, to its maximum for the types with minimums; its largest magnitude
/// onto the most negative code for the symmetric Q3_K and Q6_K), the super-block scales cover
/// the largest group scale, and every value rounds to the nearest code. The blocks are valid and
/// decode as `GGMLDequantizer` (and ggml) decode them; the error is somewhat above llama.cpp's.
extension GGMLQuantizer {
    /// A group's affine code: value ≈ `scale × q − offset`.
    private struct GroupRange {
        var scale: Float
        var offset: Float
    }

    /// Per-group ranges of `x` split into groups of `size`, for codes 0 … `levels`.
    private static func groupRanges(_ x: UnsafeBufferPointer<Float>, size: Int, levels: Int) -> [GroupRange] {
        stride(from: 0, to: x.count, by: size).map { start in
            var low: Float = 0, high: Float = 0
            for value in x[start..<start + size] { low = min(low, value); high = max(high, value) }
            return GroupRange(scale: (high - low) / Float(levels), offset: -low)
        }
    }

    /// A super-block scale that puts `largest` on code `maximumCode`, as the half float stored.
    private static func superScale(_ largest: Float, _ maximumCode: Int) -> (bits: UInt16, value: Float) {
        let bits = FloatEncoding.float16Bits(largest / Float(maximumCode))
        let value = FloatBits.float16(bits)
        return value.isFinite ? (bits, value) : (0, 0)
    }

    /// `round(value / step)` clamped to `range` (0 for a zero step).
    @inline(__always)
    private static func code(_ value: Float, _ step: Float, _ range: ClosedRange<Int>) -> Int {
        guard step != 0, (value / step).isFinite else { return max(range.lowerBound, min(range.upperBound, 0)) }
        return max(range.lowerBound, min(range.upperBound, Int((value / step).rounded())))
    }

    /// Sub-scale and sub-minimum codes (0 … `maximumCode`) of affine groups under super-scales
    /// d and dmin, and each value's code (0 … `levels`).
    private static func affineCodes(_ x: UnsafeBufferPointer<Float>, groupSize: Int, levels: Int, maximumCode: Int)
        -> (d: UInt16, dmin: UInt16, scales: [Int], minimums: [Int], q: [Int]) {
        let ranges = groupRanges(x, size: groupSize, levels: levels)
        let d = superScale(ranges.map(\.scale).max() ?? 0, maximumCode)
        let dmin = superScale(ranges.map(\.offset).max() ?? 0, maximumCode)
        let scales = ranges.map { code($0.scale, d.value, 0...maximumCode) }
        let minimums = ranges.map { code($0.offset, dmin.value, 0...maximumCode) }
        var q = [Int](repeating: 0, count: x.count)
        for group in ranges.indices {
            let step = d.value * Float(scales[group])
            let offset = dmin.value * Float(minimums[group])
            for index in group * groupSize..<(group + 1) * groupSize { q[index] = code(x[index] + offset, step, 0...levels) }
        }
        return (d.bits, dmin.bits, scales, minimums, q)
    }

    /// Signed sub-scale codes and value codes of symmetric groups: each group's largest magnitude
    /// maps to `codes.lowerBound` (the most negative code, as ggml's symmetric types do).
    private static func symmetricCodes(_ x: UnsafeBufferPointer<Float>, groupSize: Int, codes: ClosedRange<Int>, scaleCodes: ClosedRange<Int>)
        -> (d: UInt16, scales: [Int], q: [Int]) {
        let groupScales = stride(from: 0, to: x.count, by: groupSize).map { start -> Float in
            var signedMaximum: Float = 0
            for value in x[start..<start + groupSize] where abs(value) > abs(signedMaximum) { signedMaximum = value }
            return signedMaximum / Float(codes.lowerBound)
        }
        let d = superScale(groupScales.map(abs).max() ?? 0, -scaleCodes.lowerBound)
        let scales = groupScales.map { code($0, d.value, scaleCodes) }
        var q = [Int](repeating: 0, count: x.count)
        for group in scales.indices {
            let step = d.value * Float(scales[group])
            for index in group * groupSize..<(group + 1) * groupSize { q[index] = code(x[index], step, codes) }
        }
        return (d.bits, scales, q)
    }

    /// The eight 6-bit scales and minimums of Q4_K and Q5_K in their 12-byte packing.
    private static func packedScalesAndMinimums(_ scales: [Int], _ minimums: [Int]) -> [UInt8] {
        var packed = [UInt8](repeating: 0, count: 12)
        for group in 0..<8 {
            let scale = UInt8(scales[group]), minimum = UInt8(minimums[group])
            if group < 4 {
                packed[group] |= scale & 63
                packed[group + 4] |= minimum & 63
            } else {
                packed[group + 4] = (scale & 0x0F) | (minimum & 0x0F) << 4
                packed[group - 4] |= (scale >> 4) << 6
                packed[group] |= (minimum >> 4) << 6
            }
        }
        return packed
    }

    /// The low 4 bits of the codes of eight 32-value groups: groups 2k and 2k + 1 share 32
    /// bytes, as low and high nibbles (Q4_K, Q5_K).
    private static func appendGroupNibbles(_ q: [Int], to output: inout [UInt8]) {
        for pair in 0..<4 {
            for l in 0..<32 { output.append(UInt8(q[pair * 64 + l] & 0x0F) | UInt8(q[pair * 64 + 32 + l] & 0x0F) << 4) }
        }
    }

    // MARK: - Packing

    static func q2K(_ x: UnsafeBufferPointer<Float>, _ output: inout [UInt8]) {
        let (d, dmin, scales, minimums, q) = affineCodes(x, groupSize: 16, levels: 3, maximumCode: 15)
        // Group j = half × 8 + shift × 2 + group covers values half × 128 + shift × 32 + group × 16 …
        for j in 0..<16 { output.append(UInt8(scales[j]) | UInt8(minimums[j]) << 4) }
        for half in 0..<2 {
            for l in 0..<32 {
                var byte: UInt8 = 0
                for shift in 0..<4 { byte |= UInt8(q[half * 128 + shift * 32 + l]) << UInt8(2 * shift) }
                output.append(byte)
            }
        }
        appendUInt16(d, to: &output)
        appendUInt16(dmin, to: &output)
    }

    static func q3K(_ x: UnsafeBufferPointer<Float>, _ output: inout [UInt8]) {
        let (d, scales, q) = symmetricCodes(x, groupSize: 16, codes: -4...3, scaleCodes: -32...31)
        // Codes −4 … 3 are stored as 0 … 7: two low bits, and a high bit in the mask.
        let unsigned = q.map { UInt8($0 + 4) }
        var highMask = [UInt8](repeating: 0, count: 32)
        var low = [UInt8](repeating: 0, count: 64)
        for half in 0..<2 {
            for shift in 0..<4 {
                for l in 0..<32 {
                    let value = unsigned[half * 128 + shift * 32 + l]
                    low[half * 32 + l] |= (value & 3) << UInt8(2 * shift)
                    highMask[l] |= (value >> 2) << UInt8(half * 4 + shift)
                }
            }
        }
        var packed = [UInt8](repeating: 0, count: 12)
        for j in 0..<16 {
            let scale = UInt8(scales[j] + 32)
            if j < 8 { packed[j] |= scale & 0x0F } else { packed[j - 8] |= (scale & 0x0F) << 4 }
            packed[8 + j % 4] |= (scale >> 4) << UInt8(2 * (j / 4))
        }
        output += highMask + low + packed
        appendUInt16(d, to: &output)
    }

    static func q4K(_ x: UnsafeBufferPointer<Float>, _ output: inout [UInt8]) {
        let (d, dmin, scales, minimums, q) = affineCodes(x, groupSize: 32, levels: 15, maximumCode: 63)
        appendUInt16(d, to: &output)
        appendUInt16(dmin, to: &output)
        output += packedScalesAndMinimums(scales, minimums)
        appendGroupNibbles(q, to: &output)
    }

    static func q5K(_ x: UnsafeBufferPointer<Float>, _ output: inout [UInt8]) {
        let (d, dmin, scales, minimums, q) = affineCodes(x, groupSize: 32, levels: 31, maximumCode: 63)
        appendUInt16(d, to: &output)
        appendUInt16(dmin, to: &output)
        output += packedScalesAndMinimums(scales, minimums)
        // Bit 4 of value l of group g is bit g of byte l.
        for l in 0..<32 {
            var fifth: UInt8 = 0
            for group in 0..<8 { fifth |= UInt8(q[group * 32 + l] >> 4) << UInt8(group) }
            output.append(fifth)
        }
        appendGroupNibbles(q, to: &output)
    }

    static func q6K(_ x: UnsafeBufferPointer<Float>, _ output: inout [UInt8]) {
        let (d, scales, q) = symmetricCodes(x, groupSize: 16, codes: -32...31, scaleCodes: -128...127)
        let unsigned = q.map { UInt8($0 + 32) }
        var low = [UInt8](repeating: 0, count: 128)
        var high = [UInt8](repeating: 0, count: 64)
        for half in 0..<2 {
            let y = half * 128
            for l in 0..<32 {
                let (q1, q2, q3, q4) = (unsigned[y + l], unsigned[y + l + 32], unsigned[y + l + 64], unsigned[y + l + 96])
                low[half * 64 + l] = (q1 & 0x0F) | (q3 & 0x0F) << 4
                low[half * 64 + l + 32] = (q2 & 0x0F) | (q4 & 0x0F) << 4
                high[half * 32 + l] = (q1 >> 4) | (q2 >> 4) << 2 | (q3 >> 4) << 4 | (q4 >> 4) << 6
            }
        }
        output += low + high
        for scale in scales { output.append(UInt8(bitPattern: Int8(scale))) }
        appendUInt16(d, to: &output)
    }
}
