/// Accumulates neuron profiles of one weight matrix through the probe basis.
///
/// For a matrix whose rows are neurons (input side, `W` is n × d): profile of neuron k is
/// `P[k] = W[k,:] · diag(γ) · Eᵀ` (t values), γ the preceding norm's weight (or ones).
/// For a matrix whose columns are neurons (output side, `W` is d × n): `P[k] = E · W[:,k]`.
/// Either way the profile is invariant to permutations/rotations of the hidden space and
/// is permuted, row for row, by a permutation of the neurons.
///
/// Both axes keep a neuron's 32 sums in four `SIMD8<Float>` registers: rows-as-neurons sum along
/// the row; columns-as-neurons buffer `rowBlock` complete rows and sweep the columns once per
/// block, so the profile table is read and written once per block rather than once per row.
struct ProfileAccumulator {
    enum NeuronAxis: String, Sendable, Hashable {
        /// Rows are neurons, columns hidden (input side in PyTorch's (out, in) layout,
        /// output side in the (in, out) "kernel" layout).
        case rows
        /// Columns are neurons, rows hidden.
        case columns
    }

    /// Rows buffered per sweep for the columns axis.
    static let rowBlock = 16

    private let axis: NeuronAxis
    private let rows: Int
    private let cols: Int
    private let t = ProbeBasis.tokenCount
    /// Hidden-major probe, `hidden × t` (γ folded in).
    private let probe: [Float]
    /// Neuron-major profiles, `neurons × t`.
    private var profiles: [Float]
    private var rowSum = [SIMD8<Float>](repeating: SIMD8(), count: 4)
    /// Columns axis: complete rows waiting for the next sweep.
    private var rowBuffer: [Float] = []
    private var bufferedRows = 0
    private var position = 0
    let neuronCount: Int

    /// `gamma` (the preceding norm's weight, input-side matrices only) is folded into the probe.
    init(rows: Int, cols: Int, axis: NeuronAxis, basis: ProbeBasis, gamma: [Float]?) {
        self.axis = axis
        self.rows = rows
        self.cols = cols
        let hidden = basis.hidden
        precondition(axis == .rows ? cols == hidden : rows == hidden)
        var hiddenMajor = [Float](repeating: 0, count: hidden * t)
        for token in 0..<t {
            for h in 0..<hidden { hiddenMajor[h * t + token] = basis.vectors[token * hidden + h] * (gamma?[h] ?? 1) }
        }
        probe = hiddenMajor
        neuronCount = axis == .rows ? rows : cols
        profiles = [Float](repeating: 0, count: neuronCount * t)
        if axis == .columns { rowBuffer = [Float](repeating: 0, count: Self.rowBlock * cols) }
    }

    mutating func add(_ block: UnsafeBufferPointer<Float>) {
        guard var values = block.baseAddress else { return }
        var remaining = block.count
        while remaining > 0 {
            let column = position % cols
            let length = min(remaining, cols - column)
            switch axis {
            case .rows: addInputSegment(values, column: column, length: length)
            case .columns: bufferSegment(values, column: column, length: length)
            }
            position += length
            values += length
            remaining -= length
            if position % cols == 0 {
                let row = position / cols - 1
                switch axis {
                case .rows: finishInputRow(row)
                case .columns:
                    bufferedRows += 1
                    if bufferedRows == Self.rowBlock || row == rows - 1 { sweep(firstRow: row + 1 - bufferedRows) }
                }
            }
        }
    }

    // MARK: - Rows are neurons

    private mutating func addInputSegment(_ values: UnsafePointer<Float>, column: Int, length: Int) {
        var s0 = rowSum[0], s1 = rowSum[1], s2 = rowSum[2], s3 = rowSum[3]
        probe.withUnsafeBufferPointer { probe in
            let raw = UnsafeRawPointer(probe.baseAddress!)
            for offset in 0..<length {
                let w = SIMD8<Float>(repeating: values[offset])
                let base = (column + offset) * 32 * MemoryLayout<Float>.stride
                s0 += w * raw.loadUnaligned(fromByteOffset: base, as: SIMD8<Float>.self)
                s1 += w * raw.loadUnaligned(fromByteOffset: base + 32, as: SIMD8<Float>.self)
                s2 += w * raw.loadUnaligned(fromByteOffset: base + 64, as: SIMD8<Float>.self)
                s3 += w * raw.loadUnaligned(fromByteOffset: base + 96, as: SIMD8<Float>.self)
            }
        }
        rowSum = [s0, s1, s2, s3]
    }

    private mutating func finishInputRow(_ row: Int) {
        for group in 0..<4 {
            for lane in 0..<8 { profiles[row * t + group * 8 + lane] = rowSum[group][lane] }
            rowSum[group] = SIMD8()
        }
    }

    // MARK: - Columns are neurons

    private mutating func bufferSegment(_ values: UnsafePointer<Float>, column: Int, length: Int) {
        let start = bufferedRows * cols + column
        rowBuffer.withUnsafeMutableBufferPointer { buffer in
            (buffer.baseAddress! + start).update(from: values, count: length)
        }
    }

    /// Adds the buffered rows `firstRow ..< firstRow + bufferedRows` to every column's profile.
    private mutating func sweep(firstRow: Int) {
        let count = bufferedRows, cols = self.cols
        probe.withUnsafeBufferPointer { probe in
            rowBuffer.withUnsafeBufferPointer { buffer in
                profiles.withUnsafeMutableBufferPointer { profiles in
                    let probeBase = UnsafeRawPointer(probe.baseAddress!) + firstRow * 32 * MemoryLayout<Float>.stride
                    let target = UnsafeMutableRawPointer(profiles.baseAddress!)
                    for column in 0..<cols {
                        let slot = column * 32 * MemoryLayout<Float>.stride
                        var s0 = target.loadUnaligned(fromByteOffset: slot, as: SIMD8<Float>.self)
                        var s1 = target.loadUnaligned(fromByteOffset: slot + 32, as: SIMD8<Float>.self)
                        var s2 = target.loadUnaligned(fromByteOffset: slot + 64, as: SIMD8<Float>.self)
                        var s3 = target.loadUnaligned(fromByteOffset: slot + 96, as: SIMD8<Float>.self)
                        for row in 0..<count {
                            let w = SIMD8<Float>(repeating: buffer[row * cols + column])
                            let base = row * 32 * MemoryLayout<Float>.stride
                            s0 += w * probeBase.loadUnaligned(fromByteOffset: base, as: SIMD8<Float>.self)
                            s1 += w * probeBase.loadUnaligned(fromByteOffset: base + 32, as: SIMD8<Float>.self)
                            s2 += w * probeBase.loadUnaligned(fromByteOffset: base + 64, as: SIMD8<Float>.self)
                            s3 += w * probeBase.loadUnaligned(fromByteOffset: base + 96, as: SIMD8<Float>.self)
                        }
                        target.storeBytes(of: s0, toByteOffset: slot, as: SIMD8<Float>.self)
                        target.storeBytes(of: s1, toByteOffset: slot + 32, as: SIMD8<Float>.self)
                        target.storeBytes(of: s2, toByteOffset: slot + 64, as: SIMD8<Float>.self)
                        target.storeBytes(of: s3, toByteOffset: slot + 96, as: SIMD8<Float>.self)
                    }
                }
            }
        }
        bufferedRows = 0
    }

    /// Profiles, neuron-major `neuronCount × t`.
    func finish() -> [Float] {
        profiles
    }
}
