import SyntheticModels

/// Row-major matrix helpers shared by the attacks.
///
/// A permutation `p` is applied as "new position i takes old position p[i]".
enum TensorMath {
    static func transposed(_ values: [Float], rows: Int, columns: Int) -> [Float] {
        var out = [Float](repeating: 0, count: values.count)
        for r in 0..<rows {
            for c in 0..<columns { out[c * rows + r] = values[r * columns + c] }
        }
        return out
    }

    static func permutingRows(_ values: [Float], columns: Int, by permutation: [Int]) -> [Float] {
        var out = [Float]()
        out.reserveCapacity(values.count)
        for source in permutation { out.append(contentsOf: values[(source * columns)..<((source + 1) * columns)]) }
        return out
    }

    static func permutingColumns(_ values: [Float], columns: Int, by permutation: [Int]) -> [Float] {
        var out = values
        let rows = values.count / columns
        for r in 0..<rows {
            let base = r * columns
            for c in 0..<columns { out[base + c] = values[base + permutation[c]] }
        }
        return out
    }

    /// The columns `kept` (in that order) of a row-major matrix with `columns` columns.
    static func selectingColumns(_ values: [Float], columns: Int, keeping kept: [Int]) -> [Float] {
        let rows = values.count / columns
        var out = [Float]()
        out.reserveCapacity(rows * kept.count)
        for r in 0..<rows {
            let base = r * columns
            for c in kept { out.append(values[base + c]) }
        }
        return out
    }

    /// Sums of squares of each row (`rows` true) or each column of a row-major matrix, in `Double`.
    static func squaredNorms(_ values: [Float], columns: Int, ofRows rows: Bool) -> [Double] {
        let rowCount = values.count / columns
        var sums = [Double](repeating: 0, count: rows ? rowCount : columns)
        for r in 0..<rowCount {
            for c in 0..<columns {
                let value = Double(values[r * columns + c])
                sums[rows ? r : c] += value * value
            }
        }
        return sums
    }

    /// The indices to keep when the `removing` least important of `importance` are pruned: the
    /// rest, in their original order (ties broken towards keeping the lower index).
    static func keptIndices(importance: [Double], removing: Int) -> [Int] {
        let order = importance.indices.sorted { importance[$0] != importance[$1] ? importance[$0] > importance[$1] : $0 < $1 }
        return order.prefix(importance.count - removing).sorted()
    }

    static func scalingRows(_ values: [Float], columns: Int, by scales: [Float]) -> [Float] {
        var out = values
        for r in 0..<scales.count {
            for c in 0..<columns { out[r * columns + c] *= scales[r] }
        }
        return out
    }

    static func scalingColumns(_ values: [Float], columns: Int, by scales: [Float]) -> [Float] {
        var out = values
        let rows = values.count / columns
        for r in 0..<rows {
            for c in 0..<columns { out[r * columns + c] *= scales[c] }
        }
        return out
    }

    /// `W · Rᵀ` for `W` (rows × d) and `R` (d × d, row-major `Double`), accumulated in `Double`.
    static func multiplyingByTranspose(_ values: [Float], columns d: Int, rotation: [Double]) -> [Float] {
        let rows = values.count / d
        var out = [Float](repeating: 0, count: values.count)
        var row = [Double](repeating: 0, count: d)
        for r in 0..<rows {
            for k in 0..<d { row[k] = Double(values[r * d + k]) }
            for j in 0..<d {
                var sum = 0.0
                let base = j * d
                for k in 0..<d { sum += row[k] * rotation[base + k] }
                out[r * d + j] = Float(sum)
            }
        }
        return out
    }

    /// `R · W` for `R` (d × d) and `W` (d × columns), accumulated in `Double`.
    static func multiplyingOnLeft(_ values: [Float], columns: Int, rotation: [Double], d: Int) -> [Float] {
        var out = [Float](repeating: 0, count: values.count)
        var accumulator = [Double](repeating: 0, count: columns)
        for i in 0..<d {
            for c in 0..<columns { accumulator[c] = 0 }
            for k in 0..<d {
                let factor = rotation[i * d + k]
                if factor == 0 { continue }
                let base = k * columns
                for c in 0..<columns { accumulator[c] += factor * Double(values[base + c]) }
            }
            for c in 0..<columns { out[i * columns + c] = Float(accumulator[c]) }
        }
        return out
    }

    /// `R · v` for a vector over the hidden dimension.
    static func rotatingVector(_ values: [Float], rotation: [Double]) -> [Float] {
        multiplyingOnLeft(values, columns: 1, rotation: rotation, d: values.count)
    }
}

// MARK: - Randomness

/// Deterministic random choices from `SplitMix64`, specified here (not delegated to the
/// standard library, whose algorithms may change) so a seed gives the same attack everywhere.
enum SeededRandom {
    /// Uniform in `0...bound` by rejection sampling (no modulo bias).
    static func uniform(_ bound: Int, _ rng: inout SplitMix64) -> Int {
        precondition(bound >= 0)
        if bound == 0 { return 0 }
        let range = UInt64(bound) + 1
        let limit = UInt64.max - UInt64.max % range
        while true {
            let value = rng.next()
            if value < limit { return Int(value % range) }
        }
    }

    /// A uniformly random permutation of `0..<count` (Fisher–Yates, from the top).
    static func permutation(_ count: Int, _ rng: inout SplitMix64) -> [Int] {
        var values = Array(0..<count)
        var index = count - 1
        while index > 0 {
            values.swapAt(index, uniform(index, &rng))
            index -= 1
        }
        return values
    }

    /// A positive scale factor in [0.5, 2): 2^e × (1 + u) with e ∈ {−1, 0} equally likely and
    /// u uniform in [0, 1) — as often below 1 as above, no libm needed.
    static func scale(_ rng: inout SplitMix64) -> Float {
        let exponent: Float = rng.next() & 1 == 0 ? 0.5 : 1
        return exponent * (1 + rng.nextUnit())
    }

    /// A standard normal value in `Double` (Irwin–Hall, as `SplitMix64.nextGaussian`).
    static func gaussian(_ rng: inout SplitMix64) -> Double {
        Double(rng.nextGaussian())
    }
}
