import Checkpoints

/// Sketches the gate and up parts of a fused `gate_up_proj` tensor (`FusedGateUp`) from its
/// values in row-major order, each as the separate matrix a split copy stores: every part
/// accumulator sees its own rows and columns, numbered from 0, in order. Also sums each
/// part's values and squares (in `Double`, value by value) for its mean and norm. Results do
/// not depend on how the values were chunked.
struct FusedPartsAccumulator {
    private let split: FusedGateUp
    private let rows: Int
    private let cols: Int
    private var parts: [SketchAccumulator]
    private var sums: [Double] = [0, 0]
    private var squares: [Double] = [0, 0]
    private var counts: [Int] = [0, 0]
    private var position = 0
    private var scratch: [[Float]] = [[], []]

    /// `rows` × `cols` is the fused tensor's 2-D view (one expert's matrix for a stack).
    init(split: FusedGateUp, rows: Int, cols: Int, signs: UnsafeBufferPointer<Float>) {
        self.split = split
        self.rows = rows
        self.cols = cols
        let part = split.partView(rows: rows, cols: cols)
        parts = [SketchAccumulator(rows: part.rows, cols: part.cols, signs: signs),
                 SketchAccumulator(rows: part.rows, cols: part.cols, signs: signs)]
    }

    mutating func add(_ block: UnsafeBufferPointer<Float>) {
        guard let base = block.baseAddress else { return }
        var offset = 0
        while offset < block.count {
            let column = position % cols
            let length = min(block.count - offset, cols - column)
            let segment = UnsafeBufferPointer(start: base + offset, count: length)
            switch split.axis {
            case .rows:
                let row = (position / cols) % rows
                feed(split.locate(row, length: rows).part, segment)
            case .cols:
                addColumns(segment, firstColumn: column)
            }
            position += length
            offset += length
        }
    }

    /// A segment of one row, starting at `firstColumn`, split by column.
    private mutating func addColumns(_ segment: UnsafeBufferPointer<Float>, firstColumn: Int) {
        switch split.layout {
        case .halves:
            let half = cols / 2
            let gateCount = max(0, min(segment.count, half - firstColumn))
            if gateCount > 0 { feed(.gate, UnsafeBufferPointer(rebasing: segment[0..<gateCount])) }
            if gateCount < segment.count { feed(.up, UnsafeBufferPointer(rebasing: segment[gateCount...])) }
        case .interleaved:
            scratch[0].removeAll(keepingCapacity: true)
            scratch[1].removeAll(keepingCapacity: true)
            for (offset, value) in segment.enumerated() {
                scratch[(firstColumn + offset) & 1].append(value)
            }
            for part in FusedGateUp.Part.allCases {
                let values = scratch[Self.slot(part)]
                values.withUnsafeBufferPointer { feed(part, $0) }
            }
        }
    }

    private mutating func feed(_ part: FusedGateUp.Part, _ values: UnsafeBufferPointer<Float>) {
        guard !values.isEmpty else { return }
        let slot = Self.slot(part)
        parts[slot].add(values)
        // Summed value by value in Double: the same result however the values were chunked.
        var sum = 0.0, square = 0.0
        for value in values {
            let wide = Double(value)
            sum += wide
            square += wide * wide
        }
        sums[slot] += sum
        squares[slot] += square
        counts[slot] += values.count
    }

    private static func slot(_ part: FusedGateUp.Part) -> Int {
        part == .gate ? 0 : 1
    }

    /// Each part's sketch (F32, 64 × 64), element count, mean and sum of squares.
    func finish() -> [(part: FusedGateUp.Part, sketch: [Float], count: Int, mean: Double, sumSquares: Double)] {
        FusedGateUp.Part.allCases.map { part in
            let slot = Self.slot(part)
            return (part, parts[slot].finish(), counts[slot], counts[slot] > 0 ? sums[slot] / Double(counts[slot]) : 0, squares[slot])
        }
    }
}
