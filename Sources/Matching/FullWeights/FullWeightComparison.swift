import Checkpoints

/// Compares the matched weight matrices of two checkpoints on disk element by element
/// (`compare --deep`). Tensors are read in bands of whole rows, both in lockstep, so memory
/// stays bounded whatever their size; a pair stored transposed is read whole (up to
/// `maximumTransposedElements` per side) and skipped beyond that. A mixture-of-experts match
/// (an expert group or a stack of experts) is compared expert by expert, in expert order, and
/// reported as one pair: renumbered experts show as a low cosine.
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
        var pairs: [FullWeightEvidence.Pair] = []
        var skipped: [FullWeightEvidence.Skipped] = []
        let suspectGroups = expertGroups(of: suspect), referenceGroups = expertGroups(of: reference)
        for match in matches where match.significant {
            if [match.suspectTensor, match.referenceTensor ?? ""].contains(where: EvidenceTensor.isPartName) {
                skipped.append(.init(suspectTensor: match.suspectTensor, reason: "a part of a fused tensor is not read element by element"))
                continue
            }
            guard let referenceName = match.referenceTensor,
                  let suspectParts = matrices(named: match.suspectTensor, in: suspect, groups: suspectGroups),
                  let referenceParts = matrices(named: referenceName, in: reference, groups: referenceGroups) else { continue }
            func skip(_ reason: String) { skipped.append(.init(suspectTensor: match.suspectTensor, reason: reason)) }
            guard !suspectParts.isEmpty, !referenceParts.isEmpty else { skip("not a 2-D matrix"); continue }
            guard suspectParts.count == referenceParts.count else {
                skip("\(suspectParts.count) experts here, \(referenceParts.count) in the reference"); continue
            }
            guard suspectParts.allSatisfy({ $0.tensor.dtype.unsupportedReason == nil }),
                  referenceParts.allSatisfy({ $0.tensor.dtype.unsupportedReason == nil }) else { skip("values not decodable"); continue }
            var plans: [(Matrix, Matrix, Plan)] = []
            var reason: String?
            for (s, r) in zip(suspectParts, referenceParts) {
                if !match.transposed, s.columns == r.columns {
                    plans.append((s, r, .rows(count: min(s.rows, r.rows), columns: s.columns)))
                } else if match.transposed, s.rows == r.columns, s.columns == r.rows {
                    guard s.rows * s.columns <= maximumTransposedElements else {
                        reason = "stored transposed and larger than \(maximumTransposedElements) elements"; break
                    }
                    plans.append((s, r, .transposed))
                } else {
                    reason = "shapes do not line up element by element"; break
                }
            }
            if let reason { skip(reason); continue }
            var pair = try compare(plans, suspect: suspect, reference: reference, bandElements: bandElements)
            pair.suspectTensor = match.suspectTensor
            pair.referenceTensor = referenceName
            pair.transposed = match.transposed
            pairs.append(pair)
        }
        return FullWeightEvidence(pairs: pairs, skipped: skipped)
    }

    /// One 2-D matrix inside a stored tensor: a whole 2-D tensor, or one expert of a stack.
    struct Matrix {
        var tensor: TensorInfo
        var firstElement: Int
        var rows: Int
        var columns: Int
    }

    /// The matrices a matched name stands for, in expert order: a 2-D tensor; the members of
    /// an expert group (`…experts.*.w1.weight`); the experts of a stack. `nil` if it names
    /// nothing of this checkpoint; an empty list for tensors that are not matrices.
    static func matrices(named name: String, in reader: CheckpointReader, groups: [String: [TensorInfo]]) -> [Matrix]? {
        if let tensor = reader.checkpoint.tensor(named: name) {
            if let experts = ExpertLayout.stackedExpertCount(of: tensor) {
                let (rows, columns) = ExpertLayout.expertView(tensor.shape)
                return (0..<experts).map { Matrix(tensor: tensor, firstElement: $0 * rows * columns, rows: rows, columns: columns) }
            }
            guard tensor.shape.count == 2 else { return [] }
            return [Matrix(tensor: tensor, firstElement: 0, rows: tensor.shape[0], columns: tensor.shape[1])]
        }
        return groups[name].map { members in members.map { Matrix(tensor: $0, firstElement: 0, rows: $0.shape[0], columns: $0.shape[1]) } }
    }

    /// The checkpoint's per-expert 2-D tensors by group name, in expert order (read once per comparison).
    static func expertGroups(of reader: CheckpointReader) -> [String: [TensorInfo]] {
        Dictionary(grouping: reader.checkpoint.tensors.filter { $0.shape.count == 2 && ExpertLayout.groupName(name: $0.name) != nil }) {
            ExpertLayout.groupName(name: $0.name)!
        }.mapValues { $0.sorted { ExpertLayout.expertIndex(name: $0.name)! < ExpertLayout.expertIndex(name: $1.name)! } }
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
        /// Σ over rows of (row dot)² / (reference row)²: the suspect's squared norm a scale of
        /// its own per row explains; the same per column, its sums kept per column while the
        /// width stays the same.
        var rowsExplained = 0.0, columnsExplained = 0.0
        var columnDots: [Double] = [], columnSquares: [Double] = []

        /// Folds the per-column sums into `columnsExplained` (at the end, or when the width changes).
        mutating func closeColumns() {
            for j in columnDots.indices where columnSquares[j] > 0 { columnsExplained += columnDots[j] * columnDots[j] / columnSquares[j] }
            columnDots = []
            columnSquares = []
        }
    }

    /// Compares matrix pairs (one, or the experts of a group or stack in order) as one pair.
    private static func compare(
        _ plans: [(Matrix, Matrix, Plan)], suspect: CheckpointReader, reference: CheckpointReader, bandElements: Int
    ) throws -> FullWeightEvidence.Pair {
        // Visits aligned runs of (suspect, reference) values of every pair.
        let visitors = try plans.map { s, r, plan in try visitor(s, in: suspect, with: r, in: reference, plan: plan, bandElements: bandElements) }
        return try statistics { body in
            for visitor in visitors { try visitor(body) }
        }
    }

    /// The figures of one pair from its aligned runs of (suspect, reference) values, which
    /// `visit` delivers twice: the least-squares scale first, then the differences.
    static func statistics(_ visit: Visitor) throws -> FullWeightEvidence.Pair {
        var sums = Sums()
        try visit { x, y, width in
            if sums.columnDots.count != width {
                sums.closeColumns()
                sums.columnDots = [Double](repeating: 0, count: width)
                sums.columnSquares = sums.columnDots
            }
            // Running sums continued element by element, so that no band size changes a bit.
            var dot = sums.dot, suspectSquares = sums.suspectSquares, referenceSquares = sums.referenceSquares
            var equal = sums.equal, count = sums.count, rowsExplained = sums.rowsExplained
            sums.columnDots.withUnsafeMutableBufferPointer { columnDots in
                sums.columnSquares.withUnsafeMutableBufferPointer { columnSquares in
                    for first in stride(from: 0, to: x.count, by: max(width, 1)) {
                        var rowDot = 0.0, rowSquares = 0.0
                        for column in 0..<min(width, x.count - first) {
                            let u = Double(x[first + column]), v = Double(y[first + column])
                            guard u.isFinite, v.isFinite else { continue }
                            let product = u * v, square = v * v
                            dot += product
                            suspectSquares += u * u
                            referenceSquares += square
                            rowDot += product
                            rowSquares += square
                            columnDots[column] += product
                            columnSquares[column] += square
                            if u == v { equal += 1 }
                            count += 1
                        }
                        if rowSquares > 0 { rowsExplained += rowDot * rowDot / rowSquares }
                    }
                }
            }
            sums.dot = dot
            sums.suspectSquares = suspectSquares
            sums.referenceSquares = referenceSquares
            sums.equal = equal
            sums.count = count
            sums.rowsExplained = rowsExplained
        }
        sums.closeColumns()
        let scale = sums.referenceSquares > 0 ? sums.dot / sums.referenceSquares : 0
        try visit { x, y, _ in
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
        var pair = FullWeightEvidence.Pair(
            suspectTensor: "", referenceTensor: "", elements: sums.count, transposed: false,
            cosine: norms > 0 ? sums.dot / norms : 0, scale: scale,
            relativeDifference: aligned > 0 ? (sums.difference2 / aligned).squareRoot() : 0,
            identicalFraction: Double(sums.equal) / n,
            differenceKurtosis: m2 > 1e-300 && sums.equal < sums.count ? m4 / (m2 * m2) - 3 : nil)
        // The cosine after the best scale per row (or per column): a copy that multiplied each
        // neuron or head by its own factor (reciprocal rescaling) keeps ≈ 1 there.
        if sums.suspectSquares > 0 {
            let (explained, axis) = sums.rowsExplained >= sums.columnsExplained ? (sums.rowsExplained, "rows") : (sums.columnsExplained, "columns")
            let unitCosine = min(1, (explained / sums.suspectSquares).squareRoot())
            if unitCosine > abs(pair.cosine) + 1e-6 {
                pair.unitScaledCosine = unitCosine
                pair.unitScaleAxis = axis
            }
        }
        return pair
    }

    /// Delivers aligned runs of (suspect, reference) values, each a whole number of rows of
    /// the given width (the per-row and per-column figures need the boundaries).
    typealias Visitor = ((UnsafeBufferPointer<Float>, UnsafeBufferPointer<Float>, Int) -> Void) throws -> Void

    /// Visits aligned runs of (suspect, reference) values of one matrix pair.
    private static func visitor(
        _ s: Matrix, in suspect: CheckpointReader, with r: Matrix, in reference: CheckpointReader, plan: Plan, bandElements: Int
    ) throws -> Visitor {
        let suspectScales = try suspect.scaleFactors(of: s.tensor), referenceScales = try reference.scaleFactors(of: r.tensor)
        func shifted(_ range: Range<Int>, _ matrix: Matrix) -> Range<Int> {
            (range.lowerBound + matrix.firstElement)..<(range.upperBound + matrix.firstElement)
        }
        switch plan {
        case .rows(let count, let columns):
            let blockElements = max(s.tensor.dtype.block.elements, r.tensor.dtype.block.elements)
            // Whole rows are whole storage blocks (GGUF requires it); otherwise read in one band.
            let rowsPerBand = columns % blockElements == 0 ? max(1, bandElements / max(columns, 1)) : count
            return { body in
                var a = [Float](repeating: 0, count: rowsPerBand * columns), b = a
                var row = 0
                while row < count {
                    let rows = min(rowsPerBand, count - row)
                    let range = row * columns..<(row + rows) * columns
                    try a.withUnsafeMutableBufferPointer {
                        try suspect.readElements(of: s.tensor, range: shifted(range, s), into: UnsafeMutableBufferPointer(rebasing: $0[0..<range.count]), scales: suspectScales)
                    }
                    try b.withUnsafeMutableBufferPointer {
                        try reference.readElements(of: r.tensor, range: shifted(range, r), into: UnsafeMutableBufferPointer(rebasing: $0[0..<range.count]), scales: referenceScales)
                    }
                    a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in
                        body(UnsafeBufferPointer(rebasing: x[0..<range.count]), UnsafeBufferPointer(rebasing: y[0..<range.count]), columns)
                    } }
                    row += rows
                }
            }
        case .transposed:
            // Read when visited, so only one pair of an expert group is held at a time.
            let rows = s.rows, columns = s.columns
            return { body in
                var a = [Float](repeating: 0, count: rows * columns), stored = a
                try a.withUnsafeMutableBufferPointer { try suspect.readElements(of: s.tensor, range: shifted(0..<(rows * columns), s), into: $0, scales: suspectScales) }
                try stored.withUnsafeMutableBufferPointer { try reference.readElements(of: r.tensor, range: shifted(0..<(rows * columns), r), into: $0, scales: referenceScales) }
                var b = stored
                for i in 0..<rows { for j in 0..<columns { b[i * columns + j] = stored[j * rows + i] } }
                a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in body(x, y, columns) } }
            }
        }
    }
}
