/// A row-major matrix of `Double`s: one row per token.
///
/// The output of `ReferenceForward`: logits (Llama) or final hidden states (BERT).
public struct Activations: Sendable, Equatable {
    public var rows: Int
    public var columns: Int
    public var values: [Double]

    public init(rows: Int, columns: Int, values: [Double]) {
        precondition(values.count == rows * columns, "Activations: \(rows)×\(columns) needs \(rows * columns) values, got \(values.count)")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    public init(zeros rows: Int, _ columns: Int) {
        self.init(rows: rows, columns: columns, values: Array(repeating: 0, count: rows * columns))
    }

    public subscript(row: Int, column: Int) -> Double {
        get { values[row * columns + column] }
        set { values[row * columns + column] = newValue }
    }

    /// One row as an array.
    public func row(_ index: Int) -> [Double] {
        Array(values[(index * columns)..<((index + 1) * columns)])
    }

    /// The largest absolute value.
    public var maximumMagnitude: Double {
        values.reduce(0) { max($0, abs($1)) }
    }

    /// The largest absolute element-wise difference to `other` (same shape required).
    public func maximumDifference(to other: Activations) -> Double {
        precondition(rows == other.rows && columns == other.columns, "Activations: comparing \(rows)×\(columns) with \(other.rows)×\(other.columns)")
        var largest = 0.0
        for index in values.indices { largest = max(largest, abs(values[index] - other.values[index])) }
        return largest
    }

    /// `maximumDifference(to:)` relative to the larger of the two maximum magnitudes.
    public func relativeDifference(to other: Activations) -> Double {
        let scale = max(maximumMagnitude, other.maximumMagnitude)
        return scale > 0 ? maximumDifference(to: other) / scale : maximumDifference(to: other)
    }
}
