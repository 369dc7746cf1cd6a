import Checkpoints

/// Sketches the parts of a fused tensor (`FusedProjection`: gate and up of a `gate_up_proj`,
/// key and value of latent attention's `kv_b_proj`) from its values in row-major order, each as
/// the separate matrix a split copy stores: every part accumulator sees its own rows and
/// columns, numbered from 0, in order (per head for head blocks, whose rows wrap like a stack's).
/// Also sums each part's values and squares for its mean and norm (`RowMoments`). Results do
/// not depend on how the values were chunked.
struct FusedPartsAccumulator {
    private let split: FusedProjection
    private let rows: Int
    private let cols: Int
    private var parts: [SketchAccumulator]
    private var moments: [RowMoments]
    private var position = 0
    /// De-interleaved values of one segment: gate in the first half, up in the second.
    private var scratch: [Float]

    /// `rows` × `cols` is the fused tensor's 2-D view (one expert's matrix for a stack).
    init(split: FusedProjection, rows: Int, cols: Int, signs: UnsafeBufferPointer<Float>) {
        self.split = split
        self.rows = rows
        self.cols = cols
        let views = split.parts.map { split.partView($0, rows: rows, cols: cols) }
        parts = views.map { SketchAccumulator(rows: $0.rows, cols: $0.cols, signs: signs) }
        moments = views.map { RowMoments(cols: $0.cols) }
        scratch = [Float](repeating: 0, count: split.layout == .interleaved && split.axis == .cols ? cols + 2 : 0)
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
        case .halves, .headBlocks:  // head blocks split rows (`FusedProjection(keyRows:valueRows:)`), never columns
            let half = cols / 2
            let gateCount = max(0, min(segment.count, half - firstColumn))
            if gateCount > 0 { feed(.gate, UnsafeBufferPointer(rebasing: segment[0..<gateCount])) }
            if gateCount < segment.count { feed(.up, UnsafeBufferPointer(rebasing: segment[gateCount...])) }
        case .interleaved:
            // Column c of the fused row is gate column c/2 (even c) or up column c/2 (odd c).
            let gateStart = (firstColumn + 1) / 2, gateEnd = (firstColumn + segment.count + 1) / 2
            let upStart = firstColumn / 2, upEnd = (firstColumn + segment.count) / 2
            let half = cols / 2 + 1
            let source = segment.baseAddress!
            let gateOffset = firstColumn & 1  // index in the segment of its first even column
            var scratch = self.scratch
            self.scratch = []  // keeps the buffer uniquely referenced while it is written
            scratch.withUnsafeMutableBufferPointer { buffer in
                let base = buffer.baseAddress!
                for k in 0..<(gateEnd - gateStart) { base[k] = source[gateOffset + 2 * k] }
                for k in 0..<(upEnd - upStart) { base[half + k] = source[1 - gateOffset + 2 * k] }
                feed(.gate, UnsafeBufferPointer(start: base, count: gateEnd - gateStart))
                feed(.up, UnsafeBufferPointer(start: base + half, count: upEnd - upStart))
            }
            self.scratch = scratch
        }
    }

    private mutating func feed(_ part: FusedProjection.Part, _ values: UnsafeBufferPointer<Float>) {
        guard !values.isEmpty else { return }
        let slot = slotIndex(part)
        parts[slot].add(values)
        moments[slot].add(values)
    }

    private func slotIndex(_ part: FusedProjection.Part) -> Int {
        split.parts.firstIndex(of: part)!
    }

    /// Each part's sketch (F32, 64 × 64), element count, mean and sum of squares, in `split.parts` order.
    func finish() -> [(part: FusedProjection.Part, sketch: [Float], count: Int, mean: Double, sumSquares: Double)] {
        split.parts.map { part in
            let slot = slotIndex(part)
            let count = moments[slot].count
            return (part, parts[slot].finish(), count, count > 0 ? moments[slot].sum / Double(count) : 0, moments[slot].sumSquares)
        }
    }
}

/// The sum and sum of squares of a matrix's values in row-major order: each row in eight
/// `Float` lanes by column index mod 8 (so the order of operations depends only on element
/// indices, not on chunking), the lanes added to `Double` totals in lane order at the end of
/// the row (docs/FINGERPRINT_FORMAT.md §4c).
struct RowMoments {
    private let cols: Int
    private var position = 0
    private var rowSum = SIMD8<Float>()
    private var rowSquares = SIMD8<Float>()
    private(set) var sum = 0.0
    private(set) var sumSquares = 0.0
    var count: Int { position }

    init(cols: Int) {
        self.cols = cols
    }

    mutating func add(_ block: UnsafeBufferPointer<Float>) {
        guard var values = block.baseAddress else { return }
        var remaining = block.count
        while remaining > 0 {
            var j = position % cols
            let end = min(cols, j + remaining)
            let length = end - j
            var offset = 0
            while j < end, j % 8 != 0 {
                rowSum[j & 7] += values[offset]
                rowSquares[j & 7] += values[offset] * values[offset]
                j += 1; offset += 1
            }
            while j + 8 <= end {
                let w = UnsafeRawPointer(values + offset).loadUnaligned(as: SIMD8<Float>.self)
                rowSum += w
                rowSquares += w * w
                j += 8; offset += 8
            }
            while j < end {
                rowSum[j & 7] += values[offset]
                rowSquares[j & 7] += values[offset] * values[offset]
                j += 1; offset += 1
            }
            position += length
            values += length
            remaining -= length
            if position % cols == 0 {
                // Lanes widened and added in lane order: a reduction order another implementation can repeat.
                for lane in 0..<8 {
                    sum += Double(rowSum[lane])
                    sumSquares += Double(rowSquares[lane])
                }
                rowSum = SIMD8()
                rowSquares = SIMD8()
            }
        }
    }
}
