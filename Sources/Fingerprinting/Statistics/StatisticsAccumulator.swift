/// Accumulates `TensorStatistics` over fixed blocks of values.
///
/// Each block is reduced in `SIMD8<Float>` lanes twice (its mean, then its central moments
/// about that mean), widened to `Double`, and merged into the running moments with Pébay's
/// pairwise formulas. Central moments about each block's own mean stay accurate even for
/// tensors like norm weights (1 ± 0.01). Block boundaries are fixed element indices, so the
/// result does not depend on how the input was chunked.
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

    /// Adds the next block of values (in element order).
    mutating func add(_ block: UnsafeBufferPointer<Float>) {
        guard let base = block.baseAddress, block.count > 0 else { return }
        let count = block.count
        while nextSample < sampleIndices.count, sampleIndices[nextSample] < seen + count {
            sample.append(block[sampleIndices[nextSample] - seen])
            nextSample += 1
        }
        seen += count

        // Pass 1: finite count, sum, |x|, x², extremes, zeros. A fast unmasked loop first;
        // if a NaN or ±∞ shows up (the sums stop being finite), redo the block masked.
        let infinity = SIMD8<Float>(repeating: .infinity)
        var sum = SIMD8<Float>(), sumAbsLanes = SIMD8<Float>(), squares = SIMD8<Float>()
        var lo = infinity, hi = -infinity
        var finiteLanes = SIMD8<Int32>(), zeroLanes = SIMD8<Int32>()
        let vectorEnd = count / 8 * 8
        var index = 0
        while index < vectorEnd {
            let x = UnsafeRawPointer(base + index).loadUnaligned(as: SIMD8<Float>.self)
            sum += x
            sumAbsLanes += x.replacing(with: -x, where: x .< 0)
            squares += x * x
            lo = lo.replacing(with: x, where: x .< lo)
            hi = hi.replacing(with: x, where: x .> hi)
            zeroLanes &-= unsafeBitCast(x .== 0, to: SIMD8<Int32>.self)
            index += 8
        }
        let clean = (sum.sum() + squares.sum()).isFinite && lo.min().isFinite && hi.max().isFinite
        if clean {
            finiteLanes = SIMD8<Int32>(repeating: Int32(vectorEnd / 8))
        } else {
            sum = SIMD8(); sumAbsLanes = SIMD8(); squares = SIMD8(); lo = infinity; hi = -infinity; zeroLanes = SIMD8()
            index = 0
            while index < vectorEnd {
                let x = UnsafeRawPointer(base + index).loadUnaligned(as: SIMD8<Float>.self)
                let magnitude = x.replacing(with: -x, where: x .< 0)
                let finite = magnitude .< infinity  // false for NaN and ±∞
                let v = x.replacing(with: 0, where: .!finite)
                sum += v
                sumAbsLanes += magnitude.replacing(with: 0, where: .!finite)
                squares += v * v
                lo = lo.replacing(with: v, where: finite .& (v .< lo))
                hi = hi.replacing(with: v, where: finite .& (v .> hi))
                finiteLanes &+= SIMD8<Int32>(repeating: 0).replacing(with: 1, where: finite)
                zeroLanes &+= SIMD8<Int32>(repeating: 0).replacing(with: 1, where: x .== 0)
                index += 8
            }
        }
        var blockSum = Double(sum.sum()), blockAbs = Double(sumAbsLanes.sum()), blockSquares = Double(squares.sum())
        var blockMin = lo.min(), blockMax = hi.max()
        var finiteCount = Int(finiteLanes.wrappedSum())
        zeros += Int(zeroLanes.wrappedSum())
        for tail in index..<count {
            let x = base[tail]
            if x == 0 { zeros += 1 }
            guard x.isFinite else { continue }
            finiteCount += 1
            blockSum += Double(x); blockAbs += Double(abs(x)); blockSquares += Double(x) * Double(x)
            blockMin = min(blockMin, x); blockMax = max(blockMax, x)
        }
        if finiteCount < count {
            for i in 0..<count where !base[i].isFinite {
                if base[i].isNaN { nans += 1 } else { infinities += 1 }
            }
        }
        sumAbs += blockAbs
        sumSquares += blockSquares
        guard finiteCount > 0 else { return }
        minimum = min(minimum, blockMin)
        maximum = max(maximum, blockMax)

        // Pass 2: central moments about the block mean.
        let blockMean = blockSum / Double(finiteCount)
        let center = SIMD8<Float>(repeating: Float(blockMean))
        var c1 = SIMD8<Float>(), c2 = SIMD8<Float>(), c3 = SIMD8<Float>(), c4 = SIMD8<Float>()
        index = 0
        while index < vectorEnd {
            let x = UnsafeRawPointer(base + index).loadUnaligned(as: SIMD8<Float>.self)
            var y = x - center
            if !clean {
                let magnitude = x.replacing(with: -x, where: x .< 0)
                y = y.replacing(with: 0, where: .!(magnitude .< infinity))
            }
            let y2 = y * y
            c1 += y; c2 += y2; c3 += y2 * y; c4 += y2 * y2
            index += 8
        }
        // The Float mean is rounded; the moments are corrected for the residual offset below.
        var s1 = Double(c1.sum()), s2 = Double(c2.sum()), s3 = Double(c3.sum()), s4 = Double(c4.sum())
        let floatCenter = Double(Float(blockMean))
        for tail in index..<count where base[tail].isFinite {
            let y = Double(base[tail]) - floatCenter
            s1 += y; s2 += y * y; s3 += y * y * y; s4 += y * y * y * y
        }
        let nb = Double(finiteCount)
        let d = s1 / nb  // mean of y; moments about the true block mean:
        let blockM2 = s2 - nb * d * d
        let blockM3 = s3 - 3 * d * s2 + 2 * nb * d * d * d
        let blockM4 = s4 - 4 * d * s3 + 6 * d * d * s2 - 3 * nb * d * d * d * d
        merge(count: nb, mean: floatCenter + d, m2: blockM2, m3: blockM3, m4: blockM4)
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
        }
        let sorted = sample.filter { !$0.isNaN }.sorted()
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
