/// Accumulates neuron profiles of one weight matrix through the probe basis.
///
/// For a matrix whose rows are neurons (input side, `W` is n × d): profile of neuron k is
/// `P[k] = W[k,:] · diag(γ) · Eᵀ` (t values), γ the preceding norm's weight (or ones).
/// For a matrix whose columns are neurons (output side, `W` is d × n): `P[k] = E · diag(γ) · W[:,k]`
/// (γ only for an input-side matrix stored transposed, in the `(in, out)` kernel layout).
/// Either way the profile is invariant to permutations/rotations of the hidden space and
/// is permuted, row for row, by a permutation of the neurons.
struct ProfileAccumulator {
    enum NeuronAxis: Sendable {
        /// Rows are neurons, columns hidden (input-side PyTorch layout).
        case rows
        /// Columns are neurons, rows hidden (output-side PyTorch layout).
        case columns
    }

    private let axis: NeuronAxis
    private let cols: Int
    private let t = ProbeBasis.tokenCount
    /// `.rows`: hidden-major probe, `hidden × t` (γ folded). `.columns`: token-major, `t × hidden`.
    private let probe: [Float]
    /// `.rows`: `n × t`. `.columns`: token-major `t × n`, transposed at the end.
    private var profiles: [Float]
    private var rowSum = [SIMD8<Float>](repeating: SIMD8(), count: 4)
    private var position = 0
    let neuronCount: Int

    init(rows: Int, cols: Int, axis: NeuronAxis, basis: ProbeBasis, gamma: [Float]?) {
        self.axis = axis
        self.cols = cols
        let hidden = basis.hidden
        switch axis {
        case .rows:
            precondition(cols == hidden)
            neuronCount = rows
            var hiddenMajor = [Float](repeating: 0, count: hidden * t)
            for token in 0..<t {
                for h in 0..<hidden {
                    hiddenMajor[h * t + token] = basis.vectors[token * hidden + h] * (gamma?[h] ?? 1)
                }
            }
            probe = hiddenMajor
            profiles = [Float](repeating: 0, count: rows * t)
        case .columns:
            precondition(rows == hidden)
            neuronCount = cols
            if let gamma {
                var scaled = basis.vectors
                for token in 0..<t { for h in 0..<hidden { scaled[token * hidden + h] *= gamma[h] } }
                probe = scaled
            } else {
                probe = basis.vectors
            }
            profiles = [Float](repeating: 0, count: t * cols)
        }
    }

    mutating func add(_ block: UnsafeBufferPointer<Float>) {
        guard var values = block.baseAddress else { return }
        var remaining = block.count
        while remaining > 0 {
            let row = position / cols
            let column = position % cols
            let length = min(remaining, cols - column)
            switch axis {
            case .rows: addInputSegment(values, column: column, length: length)
            case .columns: addOutputSegment(values, row: row, column: column, length: length)
            }
            position += length
            values += length
            remaining -= length
            if axis == .rows, position % cols == 0 { finishInputRow(position / cols - 1) }
        }
    }

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

    private mutating func addOutputSegment(_ values: UnsafePointer<Float>, row: Int, column: Int, length: Int) {
        let hidden = probe.count / t
        let n = cols
        probe.withUnsafeBufferPointer { probe in
            profiles.withUnsafeMutableBufferPointer { profiles in
                for token in 0..<t {
                    let scale = probe[token * hidden + row]
                    if scale == 0 { continue }
                    let target = profiles.baseAddress! + token * n + column
                    let s = SIMD8<Float>(repeating: scale)
                    var j = 0
                    while j + 8 <= length {
                        let w = UnsafeRawPointer(values + j).loadUnaligned(as: SIMD8<Float>.self)
                        let p = UnsafeRawPointer(target + j).loadUnaligned(as: SIMD8<Float>.self)
                        UnsafeMutableRawPointer(target + j).storeBytes(of: p + s * w, as: SIMD8<Float>.self)
                        j += 8
                    }
                    while j < length {
                        target[j] += scale * values[j]
                        j += 1
                    }
                }
            }
        }
    }

    /// Profiles, neuron-major `neuronCount × t`.
    func finish() -> [Float] {
        switch axis {
        case .rows:
            return profiles
        case .columns:
            let n = neuronCount
            var neuronMajor = [Float](repeating: 0, count: n * t)
            for token in 0..<t {
                for k in 0..<n { neuronMajor[k * t + token] = profiles[token * n + k] }
            }
            return neuronMajor
        }
    }
}
