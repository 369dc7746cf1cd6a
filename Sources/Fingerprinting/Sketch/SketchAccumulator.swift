/// Accumulates the 64 × 64 sketch of a matrix from its values in row-major order.
///
/// Each row's contribution is summed per column bucket in `Float` (64 lanes as eight
/// `SIMD8<Float>`), then added to the `Double` sketch with the row's sign. The order of
/// operations depends only on element indices, never on chunking. Values past the last row
/// start again at row 0: a stack of matrices (the experts of an MoE layer) accumulates the
/// sum of their sketches.
struct SketchAccumulator {
    private let rows: Int
    private let cols: Int
    private let signs: UnsafeBufferPointer<Float>
    private var row = [SIMD8<Float>](repeating: SIMD8(), count: 8)
    private var sketch = [Double](repeating: 0, count: SketchGeometry.side * SketchGeometry.side)
    private var position = 0

    /// `signs` must cover `max(rows, cols)` indices and outlive the accumulator.
    init(rows: Int, cols: Int, signs: UnsafeBufferPointer<Float>) {
        precondition(signs.count >= max(rows, cols))
        self.rows = rows
        self.cols = cols
        self.signs = signs
    }

    mutating func add(_ block: UnsafeBufferPointer<Float>) {
        guard var values = block.baseAddress else { return }
        var remaining = block.count
        while remaining > 0 {
            let column = position % cols
            let length = min(remaining, cols - column)
            addSegment(values, column: column, length: length)
            position += length
            values += length
            remaining -= length
            if position % cols == 0 { finishRow((position / cols - 1) % rows) }
        }
    }

    private mutating func addSegment(_ values: UnsafePointer<Float>, column start: Int, length: Int) {
        let sign = signs.baseAddress!
        var j = start
        let end = start + length
        var offset = 0
        // Scalar head up to a multiple of 8, SIMD body, scalar tail.
        while j < end, j % 8 != 0 {
            let lane = j & 63
            row[lane >> 3][lane & 7] += sign[j] * values[offset]
            j += 1; offset += 1
        }
        row.withUnsafeMutableBufferPointer { lanes in
            while j + 8 <= end {
                let w = UnsafeRawPointer(values + offset).loadUnaligned(as: SIMD8<Float>.self)
                let s = UnsafeRawPointer(sign + j).loadUnaligned(as: SIMD8<Float>.self)
                lanes[(j & 63) >> 3] += s * w
                j += 8; offset += 8
            }
        }
        while j < end {
            let lane = j & 63
            row[lane >> 3][lane & 7] += sign[j] * values[offset]
            j += 1; offset += 1
        }
    }

    private mutating func finishRow(_ rowIndex: Int) {
        let rowSign = Double(signs[rowIndex])
        let base = (rowIndex & 63) * SketchGeometry.side
        for group in 0..<8 {
            let lanes = row[group]
            for lane in 0..<8 {
                sketch[base + group * 8 + lane] += rowSign * Double(lanes[lane])
            }
            row[group] = SIMD8()
        }
    }

    /// The sketch as Float, row-major 64 × 64.
    func finish() -> [Float] {
        sketch.map { Float($0) }
    }
}
