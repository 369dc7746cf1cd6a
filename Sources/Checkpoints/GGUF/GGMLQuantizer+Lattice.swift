/// Quantization to the lattice types (IQ1, IQ2, IQ3) and Q1_0.
///
/// Not llama.cpp's quantizers: those search sub-scales iteratively and weight errors by an
/// importance matrix. This is a plain nearest-point search — the block scale puts the largest
/// magnitude on the top level, each sub-scale is the closest one to what its group needs,
/// and each row of 4 or 8 values takes the codebook row nearest in squared error (minus
/// signs where the type stores them separately; where it keeps only 7 of 8 sign bits, the
/// smallest value of an odd-signed group gives up its sign). The bytes are valid blocks that
/// ggml decodes as `GGMLDequantizer` does; the error is somewhat larger than llama.cpp's.
/// Q1_0 stores `d` = the block's mean magnitude and each value's sign.
extension GGMLQuantizer {
    /// How a lattice type scales its codebook and stores signs.
    struct LatticeScheme {
        enum Signs {
            /// One stored bit per value.
            case free
            /// 7 bits per 8 values; the 8th makes the count of minus signs even.
            case parity
            /// Signs are in the codebook (IQ1: values −1, 0, 1), plus a ±⅛ offset per row.
            case inCodebook
        }

        let codebook: LatticeCodebook
        /// Values sharing one sub-scale.
        let groupSize: Int
        /// The multiple of `d` each sub-scale code stands for.
        let factors: [Float]
        let signs: Signs
        /// IQ1_M chooses the ±⅛ offset per row, IQ1_S per 32 values.
        let offsetPerRow: Bool
        /// The largest magnitude a codebook value reaches (with the IQ1 offset).
        let largestLevel: Float

        init(_ codebook: LatticeCodebook, groupSize: Int, factors: [Float], signs: Signs, offsetPerRow: Bool = false) {
            self.codebook = codebook
            self.groupSize = groupSize
            self.factors = factors
            self.signs = signs
            self.offsetPerRow = offsetPerRow
            let largest = codebook.values.map(abs).max() ?? 1
            self.largestLevel = signs == .inCodebook ? largest + 0.125 : largest
        }

        private static let quarterSteps = (0..<16).map { (0.5 + Float($0)) * 0.25 }
        static let iq2XXS = LatticeScheme(.iq2XXS, groupSize: 32, factors: quarterSteps, signs: .parity)
        static let iq2XS = LatticeScheme(.iq2XS, groupSize: 16, factors: quarterSteps, signs: .parity)
        static let iq2S = LatticeScheme(.iq2S, groupSize: 16, factors: quarterSteps, signs: .free)
        static let iq3XXS = LatticeScheme(.iq3XXS, groupSize: 32, factors: (0..<16).map { (0.5 + Float($0)) * 0.5 }, signs: .parity)
        static let iq3S = LatticeScheme(.iq3S, groupSize: 32, factors: (0..<16).map { Float(1 + 2 * $0) }, signs: .free)
        static let iq1S = LatticeScheme(.iq1S, groupSize: 32, factors: (0..<8).map { Float(2 * $0 + 1) }, signs: .inCodebook)
        static let iq1M = LatticeScheme(.iq1S, groupSize: 16, factors: (0..<8).map { Float(2 * $0 + 1) }, signs: .inCodebook, offsetPerRow: true)
    }

    /// The choices for one 256-value block, before packing.
    struct LatticeBlock {
        /// The block scale as IEEE half bits (0 for an all-zero block).
        var dBits: UInt16 = 0
        /// Sub-scale code per group.
        var subScales: [Int]
        /// Codebook row per 4 or 8 values.
        var rows: [Int]
        /// Sign bits, 8 values per byte, lowest bit first (set = negative).
        var signs: [UInt8] = [UInt8](repeating: 0, count: 32)
        /// IQ1: whether the row's offset is −⅛ (else +⅛).
        var negativeDeltas: [Bool]

        /// The 7-bit sign code of values `8k ..< 8k + 8` (their parity completes the 8th).
        func signCode(_ k: Int) -> UInt32 { UInt32(signs[k] & 0x7F) }

        /// IQ2_XXS and IQ3_XXS: the uint32 of 32 values `sub`: four 7-bit sign codes (bits 0–27)
        /// and the sub-scale (bits 28–31).
        func signsAndSubScale(_ sub: Int) -> UInt32 {
            var packed = UInt32(subScales[sub]) << 28
            for l in 0..<4 { packed |= signCode(sub * 4 + l) << UInt32(7 * l) }
            return packed
        }
    }

    /// Chooses d, sub-scales, rows and signs for 256 values.
    static func searchLattice(_ x: UnsafeBufferPointer<Float>, _ scheme: LatticeScheme) -> LatticeBlock {
        let width = scheme.codebook.width
        let groups = 256 / scheme.groupSize
        var block = LatticeBlock(subScales: [Int](repeating: 0, count: groups), rows: [Int](repeating: 0, count: 256 / width),
                                 negativeDeltas: [Bool](repeating: false, count: 256 / width))
        // Signs first: a parity type flips the smallest magnitude of an odd-signed 8.
        var signed = [Float](repeating: 1, count: 256)
        if scheme.signs != .inCodebook {
            for k in 0..<32 {
                var bits: UInt8 = 0
                for j in 0..<8 where x[8 * k + j] < 0 { bits |= 1 << UInt8(j) }
                if scheme.signs == .parity, bits.nonzeroBitCount % 2 == 1 {
                    let smallest = (0..<8).min { abs(x[8 * k + $0]) < abs(x[8 * k + $1]) }!
                    bits ^= 1 << UInt8(smallest)
                }
                block.signs[k] = bits
                for j in 0..<8 where bits & (1 << UInt8(j)) != 0 { signed[8 * k + j] = -1 }
            }
        }
        // The scale each group needs to put its largest magnitude on the top level.
        let needed = (0..<groups).map { group in
            (0..<scheme.groupSize).reduce(Float(0)) { max($0, abs(x[group * scheme.groupSize + $1])) } / scheme.largestLevel
        }
        let d = FloatBits.float16(FloatEncoding.float16Bits((needed.max() ?? 0) / scheme.factors.last!))
        guard d.isFinite, d > 0 else { return block }
        block.dBits = FloatEncoding.float16Bits(d)
        let offsets: [Float] = scheme.signs == .inCodebook ? [0.125, -0.125] : [0]
        let rowsPerGroup = scheme.groupSize / width
        var target = [Float](repeating: 0, count: width)
        for group in 0..<groups {
            let subScale = scheme.factors.indices.min { abs(d * scheme.factors[$0] - needed[group]) < abs(d * scheme.factors[$1] - needed[group]) }!
            block.subScales[group] = subScale
            let step = d * scheme.factors[subScale]
            // The nearest row for each offset choice (one choice unless IQ1).
            var choices = [[(row: Int, error: Float)]](repeating: [], count: rowsPerGroup)
            for r in 0..<rowsPerGroup {
                let start = group * scheme.groupSize + r * width
                for offset in offsets {
                    // Separately signed types aim at magnitudes (a sign-flipped value at −|x|).
                    for j in 0..<width { target[j] = x[start + j] * signed[start + j] / step - offset }
                    choices[r].append(nearestRow(scheme.codebook, target))
                }
            }
            let shared = offsets.indices.min { a, b in
                choices.reduce(0) { $0 + $1[a].error } < choices.reduce(0) { $0 + $1[b].error }
            }!
            for r in 0..<rowsPerGroup {
                let choice = scheme.offsetPerRow ? offsets.indices.min { choices[r][$0].error < choices[r][$1].error }! : shared
                block.rows[group * rowsPerGroup + r] = choices[r][choice].row
                block.negativeDeltas[group * rowsPerGroup + r] = choice == 1
            }
        }
        return block
    }

    /// The codebook row nearest to `target` in squared error, and that error.
    private static func nearestRow(_ codebook: LatticeCodebook, _ target: [Float]) -> (Int, Float) {
        let width = codebook.width
        return codebook.values.withUnsafeBufferPointer { values in
            var best = 0
            var bestError = Float.infinity
            for row in 0..<codebook.rows {
                var error: Float = 0
                for j in 0..<width {
                    let difference = values[row * width + j] - target[j]
                    error += difference * difference
                }
                if error < bestError { best = row; bestError = error }
            }
            return (best, bestError)
        }
    }

    // MARK: - Packing

    static func iq2XXS(_ x: UnsafeBufferPointer<Float>, _ output: inout [UInt8]) {
        let block = searchLattice(x, .iq2XXS)
        appendUInt16(block.dBits, to: &output)
        for sub in 0..<8 {
            for l in 0..<4 { output.append(UInt8(block.rows[sub * 4 + l])) }
            appendUInt32(block.signsAndSubScale(sub), to: &output)
        }
    }

    static func iq2XS(_ x: UnsafeBufferPointer<Float>, _ output: inout [UInt8]) {
        let block = searchLattice(x, .iq2XS)
        appendUInt16(block.dBits, to: &output)
        for i in 0..<32 { appendUInt16(UInt16(block.rows[i]) | UInt16(block.signCode(i)) << 9, to: &output) }
        appendNibbles(block.subScales, to: &output)
    }

    static func iq2S(_ x: UnsafeBufferPointer<Float>, _ output: inout [UInt8]) {
        let block = searchLattice(x, .iq2S)
        appendUInt16(block.dBits, to: &output)
        for i in 0..<32 { output.append(UInt8(truncatingIfNeeded: block.rows[i])) }
        output += block.signs
        appendHighIndexBits(block.rows, bits: 2, to: &output)
        appendNibbles(block.subScales, to: &output)
    }

    static func iq3XXS(_ x: UnsafeBufferPointer<Float>, _ output: inout [UInt8]) {
        let block = searchLattice(x, .iq3XXS)
        appendUInt16(block.dBits, to: &output)
        for row in block.rows { output.append(UInt8(row)) }
        for sub in 0..<8 { appendUInt32(block.signsAndSubScale(sub), to: &output) }
    }

    static func iq3S(_ x: UnsafeBufferPointer<Float>, _ output: inout [UInt8]) {
        let block = searchLattice(x, .iq3S)
        appendUInt16(block.dBits, to: &output)
        for row in block.rows { output.append(UInt8(truncatingIfNeeded: row)) }
        appendHighIndexBits(block.rows, bits: 1, to: &output)
        output += block.signs
        appendNibbles(block.subScales, to: &output)
    }

    static func iq1S(_ x: UnsafeBufferPointer<Float>, _ output: inout [UInt8]) {
        let block = searchLattice(x, .iq1S)
        appendUInt16(block.dBits, to: &output)
        for row in block.rows { output.append(UInt8(truncatingIfNeeded: row)) }
        for sub in 0..<8 {
            var packed = UInt16(block.subScales[sub]) << 12 | (block.negativeDeltas[sub * 4] ? 0x8000 : 0)
            for l in 0..<4 { packed |= UInt16(block.rows[sub * 4 + l] >> 8) << UInt16(3 * l) }
            appendUInt16(packed, to: &output)
        }
    }

    static func iq1M(_ x: UnsafeBufferPointer<Float>, _ output: inout [UInt8]) {
        let block = searchLattice(x, .iq1M)
        for row in block.rows { output.append(UInt8(truncatingIfNeeded: row)) }
        for k in 0..<16 {
            var byte: UInt8 = 0
            for m in 0..<2 {
                let row = k * 2 + m
                let nibble = UInt8(block.rows[row] >> 8) | (block.negativeDeltas[row] ? 0x08 : 0)
                byte |= nibble << UInt8(4 * m)
            }
            output.append(byte)
        }
        // Twelve 3-bit sub-scales per uint16; the top nibbles hold d, lowest nibble first.
        for word in 0..<4 {
            var packed = (block.dBits >> UInt16(4 * word) & 0x0F) << 12
            for m in 0..<4 { packed |= UInt16(block.subScales[word * 4 + m]) << UInt16(3 * m) }
            appendUInt16(packed, to: &output)
        }
    }

    /// IQ4_NL (32 values): the largest magnitude goes on the −127 level, each value takes the
    /// nearest of the 16 levels, then d is refitted by least squares to those levels.
    static func iq4NL(_ x: UnsafeBufferPointer<Float>, _ output: inout [UInt8]) {
        var signedMaximum: Float = 0
        for value in x where abs(value) > abs(signedMaximum) { signedMaximum = value }
        let levels = GGMLDequantizer.nonLinearLevels
        let step = signedMaximum / levels[0]
        let codes = x.map { value -> Int in
            guard step != 0, (value / step).isFinite else { return 8 }  // level 1, nearest to zero
            let target = value / step
            return levels.indices.min { abs(levels[$0] - target) < abs(levels[$1] - target) }!
        }
        var weighted: Float = 0, squares: Float = 0
        for (value, code) in zip(x, codes) { weighted += value * levels[code]; squares += levels[code] * levels[code] }
        let d = squares > 0 && (weighted / squares).isFinite ? weighted / squares : 0
        appendUInt16(FloatEncoding.float16Bits(d), to: &output)
        for j in 0..<16 { output.append(UInt8(codes[j]) | UInt8(codes[j + 16]) << 4) }
    }

    static func q1_0(_ x: UnsafeBufferPointer<Float>, _ output: inout [UInt8]) {
        let meanMagnitude = x.reduce(Float(0)) { $0 + abs($1) } / Float(x.count)
        appendUInt16(FloatEncoding.float16Bits(meanMagnitude), to: &output)
        for k in 0..<16 {
            var byte: UInt8 = 0
            for j in 0..<8 where x[8 * k + j] >= 0 { byte |= 1 << UInt8(j) }
            output.append(byte)
        }
    }

    // MARK: - Helpers

    /// The index bits above the low byte, `bits` per row, packed lowest row first (IQ2_S: 2,
    /// IQ3_S: 1).
    private static func appendHighIndexBits(_ rows: [Int], bits: Int, to output: inout [UInt8]) {
        let perByte = 8 / bits
        for k in 0..<rows.count / perByte {
            var byte: UInt8 = 0
            for m in 0..<perByte { byte |= UInt8(rows[k * perByte + m] >> 8) << UInt8(bits * m) }
            output.append(byte)
        }
    }

    /// 4-bit codes, two per byte, low nibble first.
    private static func appendNibbles(_ codes: [Int], to output: inout [UInt8]) {
        for k in stride(from: 0, to: codes.count, by: 2) { output.append(UInt8(codes[k]) | UInt8(codes[k + 1]) << 4) }
    }
}
