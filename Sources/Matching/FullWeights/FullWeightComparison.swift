import Checkpoints

/// Compares the matched weight matrices of two checkpoints on disk element by element
/// (`compare --deep`). Tensors are read in bands of whole rows, both in lockstep, so memory
/// stays bounded whatever their size; a pair stored transposed is read whole (up to
/// `maximumTransposedElements` per side) and skipped beyond that.
public enum FullWeightComparison {
    /// The largest transposed pair read whole: 32 MiB of `Float` per array, and three arrays
    /// plus the reader's staging buffer stay well under the reader's 256 MiB bound.
    public static let maximumTransposedElements = 1 << 23

    /// Compares every significant match of `matches` (the pairs the fingerprint comparison
    /// found); two passes per pair: the least-squares scale, then the differences.
    public static func compare(
        suspect: CheckpointReader, reference: CheckpointReader, matches: [TensorMatch], bandElements: Int = 1 << 20,
        maximumTransposedElements: Int = FullWeightComparison.maximumTransposedElements
    ) throws -> FullWeightEvidence {
        let suspectTensors = Dictionary(suspect.checkpoint.tensors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let referenceTensors = Dictionary(reference.checkpoint.tensors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var pairs: [FullWeightEvidence.Pair] = []
        var skipped: [FullWeightEvidence.Skipped] = []
        for match in matches where match.significant {
            guard let referenceName = match.referenceTensor, let s = suspectTensors[match.suspectTensor], let r = referenceTensors[referenceName] else { continue }
            func skip(_ reason: String) { skipped.append(.init(suspectTensor: s.name, reason: reason)) }
            guard s.shape.count == 2, r.shape.count == 2 else { skip("not a 2-D matrix"); continue }
            guard s.dtype.unsupportedReason == nil, r.dtype.unsupportedReason == nil else { skip("values not decodable"); continue }
            let plan: Plan
            if !match.transposed, s.shape[1] == r.shape[1] {
                plan = .rows(count: min(s.shape[0], r.shape[0]), columns: s.shape[1])
            } else if match.transposed, s.shape[0] == r.shape[1], s.shape[1] == r.shape[0] {
                guard s.shape[0] * s.shape[1] <= maximumTransposedElements else {
                    skip("stored transposed and larger than \(maximumTransposedElements) elements"); continue
                }
                plan = .transposed
            } else {
                skip("shapes do not line up element by element"); continue
            }
            var pair = try compare(s, in: suspect, with: r, in: reference, plan: plan, bandElements: bandElements)
            pair.transposed = match.transposed
            pairs.append(pair)
        }
        return FullWeightEvidence(pairs: pairs, skipped: skipped)
    }

    private enum Plan {
        /// The first `count` rows of both, `columns` wide, same orientation.
        case rows(count: Int, columns: Int)
        /// The suspect is the reference transposed.
        case transposed
    }

    /// Moments of one pair, accumulated in `Double`.
    private struct Sums {
        var dot = 0.0, suspectSquares = 0.0, referenceSquares = 0.0, equal = 0
        var count = 0, difference = 0.0, difference2 = 0.0, difference3 = 0.0, difference4 = 0.0
    }

    private static func compare(
        _ s: TensorInfo, in suspect: CheckpointReader, with r: TensorInfo, in reference: CheckpointReader, plan: Plan, bandElements: Int
    ) throws -> FullWeightEvidence.Pair {
        var sums = Sums()
        let suspectScales = try suspect.scaleFactors(of: s), referenceScales = try reference.scaleFactors(of: r)
        // Visits aligned runs of (suspect, reference) values.
        let visit: ((UnsafeBufferPointer<Float>, UnsafeBufferPointer<Float>) -> Void) throws -> Void
        switch plan {
        case .rows(let count, let columns):
            let blockElements = max(s.dtype.block.elements, r.dtype.block.elements)
            // Whole rows are whole storage blocks (GGUF requires it); otherwise read in one band.
            let rowsPerBand = columns % blockElements == 0 ? max(1, bandElements / max(columns, 1)) : count
            visit = { body in
                var a = [Float](repeating: 0, count: rowsPerBand * columns), b = a
                var row = 0
                while row < count {
                    let rows = min(rowsPerBand, count - row)
                    let range = row * columns..<(row + rows) * columns
                    try a.withUnsafeMutableBufferPointer {
                        try suspect.readElements(of: s, range: range, into: UnsafeMutableBufferPointer(rebasing: $0[0..<range.count]), scales: suspectScales)
                    }
                    try b.withUnsafeMutableBufferPointer {
                        try reference.readElements(of: r, range: range, into: UnsafeMutableBufferPointer(rebasing: $0[0..<range.count]), scales: referenceScales)
                    }
                    a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in
                        body(UnsafeBufferPointer(rebasing: x[0..<range.count]), UnsafeBufferPointer(rebasing: y[0..<range.count]))
                    } }
                    row += rows
                }
            }
        case .transposed:
            let rows = s.shape[0], columns = s.shape[1]
            var a = [Float](repeating: 0, count: rows * columns), stored = a
            try a.withUnsafeMutableBufferPointer { try suspect.readElements(of: s, range: 0..<(rows * columns), into: $0, scales: suspectScales) }
            try stored.withUnsafeMutableBufferPointer { try reference.readElements(of: r, range: 0..<(rows * columns), into: $0, scales: referenceScales) }
            var b = stored
            for i in 0..<rows { for j in 0..<columns { b[i * columns + j] = stored[j * rows + i] } }
            visit = { body in a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in body(x, y) } } }
        }

        try visit { x, y in
            for index in 0..<x.count {
                let u = Double(x[index]), v = Double(y[index])
                guard u.isFinite, v.isFinite else { continue }
                sums.dot += u * v
                sums.suspectSquares += u * u
                sums.referenceSquares += v * v
                if x[index] == y[index] { sums.equal += 1 }
                sums.count += 1
            }
        }
        let scale = sums.referenceSquares > 0 ? sums.dot / sums.referenceSquares : 0
        try visit { x, y in
            for index in 0..<x.count {
                let u = Double(x[index]), v = Double(y[index])
                guard u.isFinite, v.isFinite else { continue }
                let d = u - scale * v
                let d2 = d * d
                sums.difference += d
                sums.difference2 += d2
                sums.difference3 += d2 * d
                sums.difference4 += d2 * d2
            }
        }
        let n = Double(max(sums.count, 1))
        let mean = sums.difference / n
        let m2 = sums.difference2 / n - mean * mean
        let m4 = sums.difference4 / n - 4 * mean * sums.difference3 / n + 6 * mean * mean * sums.difference2 / n - 3 * mean * mean * mean * mean
        let aligned = scale * scale * sums.referenceSquares
        let norms = (sums.suspectSquares * sums.referenceSquares).squareRoot()
        return FullWeightEvidence.Pair(
            suspectTensor: s.name, referenceTensor: r.name, elements: sums.count, transposed: false,
            cosine: norms > 0 ? sums.dot / norms : 0, scale: scale,
            relativeDifference: aligned > 0 ? (sums.difference2 / aligned).squareRoot() : 0,
            identicalFraction: Double(sums.equal) / n,
            differenceKurtosis: m2 > 1e-300 && sums.equal < sums.count ? m4 / (m2 * m2) - 3 : nil)
    }
}
