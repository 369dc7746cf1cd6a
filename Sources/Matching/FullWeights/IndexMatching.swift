import Dispatch

/// Recovers which reference index each suspect index is — the rows of two matrices, their
/// columns, or the hidden dimensions of two embeddings — from *signatures*: each index's values
/// at the same positions of the other axis (positions already lined up). A copy that renumbered
/// (permuted) or removed (pruned) rows keeps each kept row's values, so its signature finds the
/// original's; unrelated rows have signature cosines of order 1/√width.
enum IndexMatching {
    /// The least Pearson correlation of two signatures taken as the same index. Unrelated
    /// signatures of 128 values correlate with σ = 1/√128 ≈ 0.09, so the best of 10⁵ candidates
    /// stays near 0.4 (4.4 σ); a tiny model's 48 values (σ ≈ 0.14) over 200 candidates, too.
    /// Noise of 10 % of a row's spread still leaves ≈ 0.99.
    static let minimumCorrelation: Float = 0.6

    /// How many positions of the other axis a signature samples at most: enough that chance
    /// correlations stay near 0.1 (1/√128 ≈ 0.09) while signatures of 10⁵ rows stay a few MB.
    static let signatureWidth = 128

    /// For each suspect index, the matched reference index (nil when none correlates at least
    /// `minimumCorrelation`), and the correlation of the matched pair. `suspect` holds
    /// `suspectCount` signatures of `width` values each, one after another; so does `reference`.
    /// Identical signatures are paired first by value; the rest by the best correlation, each
    /// reference index taken at most once (the better-correlated suspect index keeps it).
    static func match(suspect: [Float], reference: [Float], width: Int) -> (map: [Int?], correlations: [Float]) {
        precondition(width > 0 && suspect.count % width == 0 && reference.count % width == 0)
        let suspectCount = suspect.count / width, referenceCount = reference.count / width
        var map = [Int?](repeating: nil, count: suspectCount)
        var correlations = [Float](repeating: 0, count: suspectCount)
        var taken = [Bool](repeating: false, count: referenceCount)

        // Exact copies: the same values at the same positions (no arithmetic, no ties broken by rounding).
        var byValues: [[Float]: Int] = [:]
        for index in 0..<referenceCount {
            let values = Array(reference[index * width..<(index + 1) * width])
            if values.allSatisfy(\.isFinite), byValues[values] == nil { byValues[values] = index }
        }
        for index in 0..<suspectCount {
            let values = Array(suspect[index * width..<(index + 1) * width])
            guard let found = byValues[values], !taken[found], spread(values) > 0 else { continue }
            map[index] = found
            correlations[index] = 1
            taken[found] = true
        }

        let open = (0..<suspectCount).filter { map[$0] == nil }
        guard !open.isEmpty else { return (map, correlations) }
        let padded = (width + 15) / 16 * 16
        let s = normalized(suspect, count: suspectCount, width: width, padded: padded)
        let r = normalized(reference, count: referenceCount, width: width, padded: padded)
        var best = [(index: Int, correlation: Float)](repeating: (-1, -2), count: open.count)
        // Four suspect signatures per sweep over the reference: each reference load serves four products.
        let group = 4, chunk = 64
        best.withUnsafeMutableBufferPointer { results in
            let results = SendableBuffer(results)
            DispatchQueue.concurrentPerform(iterations: (open.count + chunk - 1) / chunk) { block in
                for first in stride(from: block * chunk, to: min(open.count, (block + 1) * chunk), by: group) {
                    let members = Array(open[first..<min(first + group, open.count, (block + 1) * chunk)])
                    let found = bestMatches(of: members, suspect: s, reference: r, referenceCount: referenceCount, padded: padded)
                    for (offset, match) in found.enumerated() { results.base[first + offset] = match }
                }
            }
        }
        // Highest correlations claim their reference index first.
        for slot in best.indices.sorted(by: { best[$0].correlation > best[$1].correlation }) {
            let (found, correlation) = best[slot]
            guard found >= 0, correlation >= minimumCorrelation, !taken[found] else { continue }
            map[open[slot]] = found
            correlations[open[slot]] = correlation
            taken[found] = true
        }
        return (map, correlations)
    }

    /// For each of up to four suspect signatures, the reference signature best correlated with it.
    private static func bestMatches(of indices: [Int], suspect: [Float], reference: [Float], referenceCount: Int, padded: Int) -> [(Int, Float)] {
        var bestCorrelations = SIMD4<Float>(repeating: -2), bestCandidates = SIMD4<Int32>(repeating: -1)
        suspect.withUnsafeBufferPointer { s in
            reference.withUnsafeBufferPointer { r in
                let lanes = padded / 16
                // Missing members of a short group repeat the first (their results are dropped).
                let bases = (0..<4).map { UnsafeRawPointer(s.baseAddress! + indices[$0 < indices.count ? $0 : 0] * padded) }
                let s0 = bases[0], s1 = bases[1], s2 = bases[2], s3 = bases[3]
                for candidate in 0..<referenceCount {
                    let rBase = UnsafeRawPointer(r.baseAddress! + candidate * padded)
                    var sum0 = SIMD16<Float>(), sum1 = sum0, sum2 = sum0, sum3 = sum0
                    for lane in 0..<lanes {
                        let offset = lane * 64
                        let y = rBase.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
                        // Not addProduct: without FMA in the target it calls fmaf per lane.
                        sum0 += s0.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self) * y
                        sum1 += s1.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self) * y
                        sum2 += s2.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self) * y
                        sum3 += s3.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self) * y
                    }
                    let sums = SIMD4<Float>(sum0.sum(), sum1.sum(), sum2.sum(), sum3.sum())
                    let better = sums .> bestCorrelations
                    if any(better) {
                        bestCorrelations.replace(with: sums, where: better)
                        bestCandidates.replace(with: SIMD4(repeating: Int32(candidate)), where: better)
                    }
                }
            }
        }
        return (0..<indices.count).map { (Int(bestCandidates[$0]), bestCorrelations[$0]) }
    }

    /// Signatures centred and scaled to unit length, each padded with zeros to `padded` values
    /// (a constant signature stays all zeros and correlates with nothing).
    private static func normalized(_ values: [Float], count: Int, width: Int, padded: Int) -> [Float] {
        var result = [Float](repeating: 0, count: count * padded)
        for index in 0..<count {
            let row = values[index * width..<(index + 1) * width]
            guard row.allSatisfy(\.isFinite) else { continue }
            var mean = 0.0
            for value in row { mean += Double(value) }
            mean /= Double(width)
            var squares = 0.0
            for value in row { squares += (Double(value) - mean) * (Double(value) - mean) }
            guard squares > 0 else { continue }
            let scale = 1 / squares.squareRoot()
            for (offset, value) in row.enumerated() { result[index * padded + offset] = Float((Double(value) - mean) * scale) }
        }
        return result
    }

    /// The Pearson correlation of each signature of `a` with the signature of `b` at the same
    /// index (0 for a constant or non-finite one).
    static func correlations(_ a: [Float], _ b: [Float], width: Int) -> [Float] {
        precondition(a.count == b.count && width > 0 && a.count % width == 0)
        let padded = (width + 15) / 16 * 16, count = a.count / width
        let x = normalized(a, count: count, width: width, padded: padded), y = normalized(b, count: count, width: width, padded: padded)
        return (0..<count).map { index in
            (0..<width).reduce(Float(0)) { $0 + x[index * padded + $1] * y[index * padded + $1] }
        }
    }

    /// Whether a signature varies at all (a constant one identifies nothing).
    private static func spread(_ values: [Float]) -> Float { (values.max() ?? 0) - (values.min() ?? 0) }

    /// A buffer written at disjoint indices from concurrent iterations.
    struct SendableBuffer<Element>: @unchecked Sendable {  // each iteration writes its own slots only
        let base: UnsafeMutableBufferPointer<Element>
        init(_ base: UnsafeMutableBufferPointer<Element>) { self.base = base }
    }

    /// A read-only buffer shared by `concurrentPerform` iterations.
    struct ReadOnlyBuffer<Element>: @unchecked Sendable {  // nothing writes it while the iterations run
        let base: UnsafeBufferPointer<Element>
        init(_ base: UnsafeBufferPointer<Element>) { self.base = base }
    }
}

// MARK: - Order

extension IndexMatching {
    /// How a recovered map relates suspect indices to reference indices.
    static func order(of map: [Int?], referenceCount: Int) -> RecoveredIndices.Order {
        let pairs = map.enumerated().compactMap { index, found in found.map { (suspect: index, reference: $0) } }
        if map.count == referenceCount, pairs.count == map.count, pairs.allSatisfy({ $0.suspect == $0.reference }) { return .unchanged }
        return ProfileMatching.orderFraction(pairs) >= 0.95 ? .inOrder : .renumbered
    }
}
