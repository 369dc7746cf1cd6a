// MARK: - Expected rounding energy of GGML grids

extension DType {
    /// Whether the values of this GGML type lie on a grid whose spacing the stored block scales
    /// give — the integer grids of Q8_0 … Q5_1 and Q2_K … Q6_K, and the IQ4 non-linear
    /// codebook, and the ternary grids −d, 0, +d of TQ1_0, TQ2_0 and Q2_0 — so that
    /// `expectedRoundingEnergy(ofBlocks:)` can say how far rounding to it moved the weights.
    /// Lattice codebooks (IQ1–IQ3), Q1_0 (signs times the mean magnitude) and the FP4 types
    /// (whose power-of-two scales clip by design) have no such estimate.
    public var hasRoundingGrid: Bool {
        switch self {
        case .q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q2K, .q3K, .q4K, .q5K, .q6K, .iq4NL, .iq4XS: true
        default: isTernaryGrid
        }
    }

    /// Whether this GGML type stores −d, 0, +d per block with d the block's largest magnitude
    /// (TQ1_0, TQ2_0, Q2_0): it rounds most weights to 0, which shrinks a matrix as well as
    /// scattering it (a wider rounding margin), and llama.cpp falls back from it like Q2_K.
    public var isTernaryGrid: Bool {
        switch self {
        case .tq1_0, .tq2_0, .q2_0: true
        default: false
        }
    }

    /// The squared rounding error that storing values in these blocks is expected to have
    /// caused, Σ step²/12 over the elements (a value rounded to the nearest point of a grid
    /// with local spacing `step` is off by a uniformly distributed amount), with each element's
    /// step read from its block's stored scales. `blocks` must hold whole blocks.
    /// Returns 0 for types without a rounding grid (see `hasRoundingGrid`).
    public func expectedRoundingEnergy(ofBlocks blocks: UnsafeRawBufferPointer) -> Double {
        guard hasRoundingGrid, let base = blocks.baseAddress else { return 0 }
        let blockBytes = block.bytes
        let count = blocks.count / blockBytes
        precondition(count * blockBytes == blocks.count, "expectedRoundingEnergy: not whole \(name) blocks")
        var total = 0.0
        for index in 0..<count {
            total += GGMLDequantizer.roundingEnergy(self, base + index * blockBytes)
        }
        return total
    }
}

extension GGMLDequantizer {
    /// Σ step²/12 over one block of a type with a rounding grid.
    static func roundingEnergy(_ dtype: DType, _ block: UnsafeRawPointer) -> Double {
        func squared(_ value: Float) -> Double { Double(value) * Double(value) }
        switch dtype {
        case .q8_0, .q4_0, .q4_1, .q5_0, .q5_1:
            return 32 * squared(half(block, 0)) / 12
        case .q2K:
            let scales = bytes(block, 0)
            let d = half(block, 80)
            var steps = 0.0
            for group in 0..<16 { steps += squared(d * Float(scales[group] & 0x0F)) }
            return 16 * steps / 12
        case .q3K:
            let packed = bytes(block, 96)
            let d = half(block, 108)
            var steps = 0.0
            for j in 0..<16 { steps += squared(d * Float(q3KScale(packed, j))) }
            return 16 * steps / 12
        case .q4K, .q5K:
            let d = half(block, 0)
            let packed = bytes(block, 4)
            var steps = 0.0
            for group in 0..<8 { steps += squared(d * Float(scaleAndMin(packed, group).scale)) }
            return 32 * steps / 12
        case .q6K:
            let d = half(block, 208)
            let scales = (block + 192).assumingMemoryBound(to: Int8.self)
            var steps = 0.0
            for group in 0..<16 { steps += squared(d * Float(scales[group])) }
            return 16 * steps / 12
        case .tq1_0:
            // Ternary with d = the block's largest magnitude: steps of d. Real weights crowd the
            // middle cell, so this overstates their error (real / predicted energy 0.63 on MiniLM's
            // matrices, 0.78 in Q2_0's blocks of 64: `python3 eval/ternary_rounding.py`).
            return 256 * squared(half(block, 52)) / 12
        case .tq2_0:
            return 256 * squared(half(block, 64)) / 12
        case .q2_0:
            return 64 * squared(half(block, 0)) / 12
        case .iq4NL:
            return squared(half(block, 0)) * summedCellWidthSquares(bytes(block, 2)) / 12
        case .iq4XS:
            let d = half(block, 0)
            let highScales = UInt16(littleEndian: block.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
            let lowScales = bytes(block, 4)
            var total = 0.0
            for group in 0..<8 {
                total += squared(d * Float(iq4XSScale(highScales, lowScales, group))) * summedCellWidthSquares(bytes(block, 8 + group * 16))
            }
            return total / 12
        default:
            return 0
        }
    }

    /// Σ over the 32 codes in 16 nibble bytes of the squared width of each code's rounding
    /// cell in the IQ4 codebook (half the distance between its neighbours; the outermost
    /// levels take their one inner gap).
    private static func summedCellWidthSquares(_ nibbles: UnsafePointer<UInt8>) -> Double {
        var total = 0.0
        for j in 0..<16 {
            total += nonLinearCellWidthSquares[Int(nibbles[j] & 0x0F)] + nonLinearCellWidthSquares[Int(nibbles[j] >> 4)]
        }
        return total
    }

    static let nonLinearCellWidthSquares: [Double] = (0..<16).map { code in
        let levels = nonLinearLevels.map(Double.init)
        let width = code == 0 ? levels[1] - levels[0]
            : code == 15 ? levels[15] - levels[14]
            : (levels[code + 1] - levels[code - 1]) / 2
        return width * width
    }
}
