import Checkpoints

/// Decides the canonical orientation of a square matrix by comparing row k with column k
/// (k = 0, 1, …) in the value order of `CanonicalEncoding.compare`, reading lazily: in
/// practice two or three small reads.
struct SquareOrientation {
    let reader: CheckpointReader
    let tensor: TensorInfo
    /// The tensor's factors when it is a scaled weight (read once by the job).
    let scales: ScaleFactors?

    /// Rows compared before giving up and keeping the stored orientation.
    static let maximumRows = 4

    func isTransposed() throws -> Bool {
        let n = tensor.shape[0]
        guard n > 1 else { return false }
        for k in 0..<min(n, Self.maximumRows) {
            let row = try elements(from: k * n, count: n)
            for i in 0..<n where i != k {
                let columnValue = try element(at: i * n + k)
                let order = CanonicalEncoding.compare(row[i], columnValue)
                if order != 0 { return order > 0 }
            }
        }
        return false
    }

    private func elements(from start: Int, count: Int) throws -> [Double] {
        let blockElements = tensor.dtype.block.elements
        let alignedStart = start / blockElements * blockElements
        let alignedEnd = (start + count + blockElements - 1) / blockElements * blockElements
        var values = [Float](repeating: 0, count: alignedEnd - alignedStart)
        try values.withUnsafeMutableBufferPointer { buffer in
            try reader.readElements(of: tensor, range: alignedStart..<alignedEnd, into: buffer, scales: scales)
        }
        if tensor.dtype == .f64 {
            var doubles = [Double](repeating: 0, count: count)
            var raw = [UInt8](repeating: 0, count: count * 8)
            try raw.withUnsafeMutableBytes { try reader.readBytes(of: tensor, at: UInt64(start * 8), into: $0) }
            raw.withUnsafeBytes { bytes in doubles.withUnsafeMutableBufferPointer { tensor.dtype.decode(bytes, into: $0) } }
            return doubles
        }
        return values[(start - alignedStart)..<(start - alignedStart + count)].map(Double.init)
    }

    private func element(at index: Int) throws -> Double {
        try elements(from: index, count: 1)[0]
    }
}
