/// Accumulates `TensorStatistics` over fixed blocks of values.
///
/// Each block is reduced in one pass of `SIMD8<Float>` lanes — power sums of the values minus a
/// provisional center (the running mean) — widened to `Double`, turned into central moments
/// about the block's own mean and merged into the running moments with Pébay's pairwise
/// formulas. This stays accurate even for tensors like norm weights (1 ± 0.01). Block
/// boundaries are fixed element indices, so the result does not depend on how the input was
/// chunked.
struct StatisticsAccumulator {
    private let totalCount: Int
    private var n = 0.0, mean = 0.0, m2 = 0.0, m3 = 0.0, m4 = 0.0
    private var sumAbs = 0.0, sumSquares = 0.0
    private var minimum = Float.infinity, maximum = -Float.infinity
    private var zeros = 0, nans = 0, infinities = 0
    private var seen = 0
    private var sample: [Float] = []
    private let sampleIndices: [Int]
    private var nextSample = 0

    init(count: Int) {
        totalCount = count
        let m = min(count, TensorStatistics.sampleSize)
        sampleIndices = m == 0 ? [] : (0..<m).map { Int((Int64($0) * Int64(count)) / Int64(m)) }
        sample.reserveCapacity(m)
    }

    /// NaNs seen so far.
    var nanCount: Int { nans }
    /// NaNs and infinities seen so far.
    var nonFiniteCount: Int { nans + infinities }

    /// `Σ spacing(v)² / Σ v²` over the finite non-zero values v of the sample, in sample order,
    /// for a float grid with `fractionBits` fraction bits: `spacing(v) = max(2^(max(e, minimumExponent)
    /// − fractionBits), p)`, with `2^e` the binade of v (`|v| ∈ [2^e, 2^(e+1))`) and p the smallest
    /// magnitude in the sample — on a grid whose subnormal range the values reach (FP8 without a
    /// scale), the smallest step is the smallest value. `nil` without such values.
    func gridSpacingRatio(fractionBits: Int, minimumExponent: Int) -> Double? {
        let values = sample.filter { $0.isFinite && $0 != 0 }
        guard let smallest = values.map({ Double(abs($0)) }).min() else { return nil }
        var spacings = 0.0, squares = 0.0
        for value in values {
            let spacing = max(Double(sign: .plus, exponent: max(Int(value.exponent), minimumExponent) - fractionBits, significand: 1), smallest)
            spacings += spacing * spacing
            squares += Double(value) * Double(value)
        }
        return squares > 0 ? spacings / squares : nil
    }

    /// Adds the next block of values (in element order).
    mutating func add(_ block: UnsafeBufferPointer<Float>) {
        guard let base = block.baseAddress, block.count > 0 else { return }
        let count = block.count
        while nextSample < sampleIndices.count, sampleIndices[nextSample] < seen + count {
            sample.append(block[sampleIndices[nextSample] - seen])
            nextSample += 1
        }
        seen += count

        // One fused pass over the block with power sums of y = x − c about a provisional center
        // c (the running mean, or the block's first finite value), so nothing cancels badly.
        // If a NaN or ±∞ shows up (the sums stop being finite), the block is redone masked.
        if let fused = fusedPass(base, count) {
            merge(fused)
        } else {
            maskedPass(base, count)
        }
    }

    /// Moments and extremes of one block, ready to merge.
    private struct BlockMoments {
        var count: Double, mean: Double, m2: Double, m3: Double, m4: Double
        var sumAbs: Double, sumSquares: Double, minimum: Float, maximum: Float, zeros: Int
    }

    private func center(_ base: UnsafePointer<Float>, _ count: Int) -> Float? {
        if n > 0 { return Float(mean) }
        for index in 0..<count where base[index].isFinite { return base[index] }
        return nil
    }

    /// The fast path: every value finite. Returns nil when a NaN or ±∞ is present.
    private func fusedPass(_ base: UnsafePointer<Float>, _ count: Int) -> BlockMoments? {
        guard let c = center(base, count) else { return nil }
        let centerLanes = SIMD8<Float>(repeating: c)
        let vectorEnd = count / 8 * 8
        // Three loops over the (L1-resident) block rather than one: eight SIMD8 accumulators plus
        // temporaries do not fit in 16 SSE registers, and spilling them put a store–load round
        // trip into every dependency chain. Each lane sees the same operations in the same
        // order either way, so the sums are bit-identical.
        var s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>(), s4 = SIMD8<Float>()
        var index = 0
        while index < vectorEnd {
            let x = UnsafeRawPointer(base + index).loadUnaligned(as: SIMD8<Float>.self)
            let y = x - centerLanes
            let y2 = y * y
            s1 += y; s2 += y2; s3 += y2 * y; s4 += y2 * y2
            index += 8
        }
        var t1 = Double(s1.sum()), t2 = Double(s2.sum()), t3 = Double(s3.sum()), t4 = Double(s4.sum())
        var absLanes = SIMD8<Float>()
        var zeroLanes = SIMD8<Int32>()
        let signMask = SIMD8<UInt32>(repeating: 0x7FFF_FFFF)
        index = 0
        while index < vectorEnd {
            let x = UnsafeRawPointer(base + index).loadUnaligned(as: SIMD8<Float>.self)
            // |x| by clearing the sign bit: only −0 differs from `x < 0 ? −x : x`, and adding
            // +0 instead of −0 to a sum that starts at +0 gives the same sum.
            absLanes += unsafeBitCast(unsafeBitCast(x, to: SIMD8<UInt32>.self) & signMask, to: SIMD8<Float>.self)
            zeroLanes &-= unsafeBitCast(x .== 0, to: SIMD8<Int32>.self)
            index += 8
        }
        var lo = SIMD8<Float>(repeating: .infinity), hi = SIMD8<Float>(repeating: -.infinity)
        index = 0
        while index < vectorEnd {
            let x = UnsafeRawPointer(base + index).loadUnaligned(as: SIMD8<Float>.self)
            lo = lo.replacing(with: x, where: x .< lo)
            hi = hi.replacing(with: x, where: x .> hi)
            index += 8
        }
        var sumAbs = Double(absLanes.sum())
        var minimum = lo.min(), maximum = hi.max()
        var zeros = Int(zeroLanes.wrappedSum())
        let cd = Double(c)
        for tail in vectorEnd..<count {
            let x = base[tail]
            let y = Double(x) - cd
            t1 += y; t2 += y * y; t3 += y * y * y; t4 += y * y * y * y
            sumAbs += Double(abs(x))
            minimum = min(minimum, x); maximum = max(maximum, x)
            if x == 0 { zeros += 1 }
        }
        guard minimum.isFinite, maximum.isFinite, (t1 + t2 + t3 + t4).isFinite else {
            // A NaN or ±∞ among the values (the masked pass counts them), or finite values whose
            // powers overflow the Float lanes (integer buffers such as GPTQ's packed words reach 2³¹).
            return Self.allFinite(base, count) ? Self.doublePass(base, count, center: c) : nil
        }
        return Self.moments(count: count, center: c, sums: (t1, t2, t3, t4), sumAbs: sumAbs, minimum: minimum, maximum: maximum, zeros: zeros)
    }

    private static func allFinite(_ base: UnsafePointer<Float>, _ count: Int) -> Bool {
        (0..<count).allSatisfy { base[$0].isFinite }
    }

    /// The block's power sums in `Double` (finite values whose fourth powers overflow `Float`).
    private static func doublePass(_ base: UnsafePointer<Float>, _ count: Int, center c: Float) -> BlockMoments {
        let cd = Double(c)
        var t1 = 0.0, t2 = 0.0, t3 = 0.0, t4 = 0.0, sumAbs = 0.0
        var minimum = Float.infinity, maximum = -Float.infinity, zeros = 0
        for index in 0..<count {
            let x = base[index]
            let y = Double(x) - cd, y2 = y * y
            t1 += y; t2 += y2; t3 += y2 * y; t4 += y2 * y2
            sumAbs += Double(abs(x))
            minimum = min(minimum, x); maximum = max(maximum, x)
            if x == 0 { zeros += 1 }
        }
        return moments(count: count, center: c, sums: (t1, t2, t3, t4), sumAbs: sumAbs, minimum: minimum, maximum: maximum, zeros: zeros)
    }

    /// Central moments of a block from its power sums about the center.
    private static func moments(
        count: Int, center c: Float, sums: (Double, Double, Double, Double), sumAbs: Double, minimum: Float, maximum: Float, zeros: Int
    ) -> BlockMoments {
        let (t1, t2, t3, t4) = sums
        let cd = Double(c)
        let nb = Double(count)
        let d = t1 / nb  // block mean minus the center
        return BlockMoments(
            count: nb, mean: cd + d,
            m2: t2 - nb * d * d, m3: t3 - 3 * d * t2 + 2 * nb * d * d * d,
            m4: t4 - 4 * d * t3 + 6 * d * d * t2 - 3 * nb * d * d * d * d,
            sumAbs: sumAbs, sumSquares: t2 + 2 * cd * t1 + nb * cd * cd,
            minimum: minimum, maximum: maximum, zeros: zeros)
    }

    /// The slow path for blocks with NaN or ±∞: counts them, then the finite values' moments.
    private mutating func maskedPass(_ base: UnsafePointer<Float>, _ count: Int) {
        var finite: [Float] = []
        finite.reserveCapacity(count)
        for index in 0..<count {
            let x = base[index]
            if x == 0 { zeros += 1 }
            if x.isNaN { nans += 1 } else if x.isInfinite { infinities += 1 } else { finite.append(x) }
        }
        guard !finite.isEmpty else { return }
        finite.withUnsafeBufferPointer { values in
            if var moments = fusedPass(values.baseAddress!, values.count) {
                moments.zeros = 0  // already counted above
                merge(moments)
            }
        }
    }

    private mutating func merge(_ block: BlockMoments) {
        sumAbs += block.sumAbs
        sumSquares += block.sumSquares
        zeros += block.zeros
        minimum = min(minimum, block.minimum)
        maximum = max(maximum, block.maximum)
        merge(count: block.count, mean: block.mean, m2: block.m2, m3: block.m3, m4: block.m4)
    }

    /// Pébay's formulas for combining central moment sums of two disjoint sets.
    private mutating func merge(count nb: Double, mean mb: Double, m2 m2b: Double, m3 m3b: Double, m4 m4b: Double) {
        if n == 0 {
            (n, mean, m2, m3, m4) = (nb, mb, m2b, m3b, m4b)
            return
        }
        let na = n, total = na + nb
        let delta = mb - mean
        let delta2 = delta * delta
        m4 = m4 + m4b + delta2 * delta2 * na * nb * (na * na - na * nb + nb * nb) / (total * total * total)
            + 6 * delta2 * (na * na * m2b + nb * nb * m2) / (total * total) + 4 * delta * (na * m3b - nb * m3) / total
        m3 = m3 + m3b + delta2 * delta * na * nb * (na - nb) / (total * total) + 3 * delta * (na * m2b - nb * m2) / total
        m2 = m2 + m2b + delta2 * na * nb / total
        mean += delta * nb / total
        n = total
    }

    func finish() -> TensorStatistics {
        var variance = 0.0
        var kurtosis: Double?
        if n > 0 {
            variance = max(0, m2 / n)
            if variance > 0 { kurtosis = (m4 / n) / (variance * variance) - 3 }
            if kurtosis?.isFinite == false { kurtosis = nil }
        }
        // Like every other statistic, over finite values (infinities would not fit the JSON document either).
        let sorted = sample.filter { $0.isFinite }.sorted()
        let quantiles = TensorStatistics.quantileLevels.map { level -> Double in
            guard !sorted.isEmpty else { return 0 }
            return Double(sorted[min(sorted.count - 1, Int(level * Double(sorted.count)))])
        }
        return TensorStatistics(
            count: totalCount, mean: n > 0 ? mean : 0, std: variance.squareRoot(),
            minimum: n > 0 ? Double(minimum) : 0, maximum: n > 0 ? Double(maximum) : 0,
            absMean: n > 0 ? sumAbs / n : 0, kurtosis: kurtosis, sumSquares: sumSquares,
            zeros: zeros, nans: nans, infinities: infinities, quantiles: quantiles)
    }
}
