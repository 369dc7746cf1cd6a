import Checkpoints
import ProvenanceCrypto

/// The second pass over a tensor whose canonical encoding differs from its stored bytes:
/// re-reads it (row-major, or column blocks when the canonical orientation is the
/// transpose), re-encodes every value and hashes the canonical bytes.
struct CanonicalPass {
    let reader: CheckpointReader
    let tensor: TensorInfo
    let chunkBytes: Int

    /// Bytes of decoded values held at once while transposing.
    static let transposeBufferBytes = 32 << 20

    func digest(as dtype: DType, transposed: Bool) throws -> SHA256Digest {
        transposed ? try transposedDigest(as: dtype) : try rowMajorDigest(as: dtype)
    }

    private func rowMajorDigest(as canonical: DType) throws -> SHA256Digest {
        let hasher = SHA256()
        var encoded: [UInt8] = []
        var doubles: [Double] = []
        var blocks = ElementBlocks(dtype: tensor.dtype)
        let stored = tensor.dtype
        func process(_ raw: UnsafeRawBufferPointer, _ values: UnsafeBufferPointer<Float>) {
            encoded.removeAll(keepingCapacity: true)
            if stored == .f64 {
                doubles = [Double](repeating: 0, count: values.count)
                doubles.withUnsafeMutableBufferPointer { stored.decode(raw, into: $0) }
                doubles.withUnsafeBufferPointer { CanonicalEncoding.encode($0, as: canonical, into: &encoded) }
            } else {
                CanonicalEncoding.encode(values, as: canonical, into: &encoded)
            }
            hasher.update(encoded)
        }
        try reader.readChunks(of: tensor, chunkBytes: chunkBytes) { chunk in blocks.feed(chunk.bytes, process) }
        blocks.finish(process)
        return hasher.finalize()
    }

    /// Hashes the transpose: for each block of columns, reads that slice of every row,
    /// then emits the columns as canonical rows.
    private func transposedDigest(as canonical: DType) throws -> SHA256Digest {
        let rows = tensor.shape[0], cols = tensor.shape[1]
        let (blockElements, blockBytes) = tensor.dtype.block
        let valueBytes = tensor.dtype == .f64 ? 8 : 4
        var width = max(1, Self.transposeBufferBytes / max(1, rows * valueBytes))
        width = max(blockElements, width / blockElements * blockElements)
        width = min(width, cols)
        let hasher = SHA256()
        var encoded: [UInt8] = []
        var columnStart = 0
        while columnStart < cols {
            let columnCount = min(width, cols - columnStart)
            let segmentBytes = columnCount / blockElements * blockBytes
            var raw = [UInt8](repeating: 0, count: segmentBytes)
            if tensor.dtype == .f64 {
                var slab = [Double](repeating: 0, count: rows * columnCount)
                try slab.withUnsafeMutableBufferPointer { slab in
                    for row in 0..<rows {
                        try raw.withUnsafeMutableBytes { bytes in
                            try reader.readBytes(of: tensor, at: UInt64((row * cols + columnStart) * 8), into: bytes)
                            tensor.dtype.decode(UnsafeRawBufferPointer(bytes),
                                                into: UnsafeMutableBufferPointer(rebasing: slab[(row * columnCount)..<((row + 1) * columnCount)]))
                        }
                    }
                }
                var column = [Double](repeating: 0, count: rows)
                for j in 0..<columnCount {
                    for row in 0..<rows { column[row] = slab[row * columnCount + j] }
                    encoded.removeAll(keepingCapacity: true)
                    column.withUnsafeBufferPointer { CanonicalEncoding.encode($0, as: canonical, into: &encoded) }
                    hasher.update(encoded)
                }
            } else {
                var slab = [Float](repeating: 0, count: rows * columnCount)
                try slab.withUnsafeMutableBufferPointer { slab in
                    for row in 0..<rows {
                        let byteOffset = UInt64((row * cols + columnStart) / blockElements * blockBytes)
                        try raw.withUnsafeMutableBytes { bytes in
                            try reader.readBytes(of: tensor, at: byteOffset, into: bytes)
                            tensor.dtype.decode(UnsafeRawBufferPointer(bytes),
                                                into: UnsafeMutableBufferPointer(rebasing: slab[(row * columnCount)..<((row + 1) * columnCount)]))
                        }
                    }
                }
                var column = [Float](repeating: 0, count: rows)
                for j in 0..<columnCount {
                    for row in 0..<rows { column[row] = slab[row * columnCount + j] }
                    encoded.removeAll(keepingCapacity: true)
                    column.withUnsafeBufferPointer { CanonicalEncoding.encode($0, as: canonical, into: &encoded) }
                    hasher.update(encoded)
                }
            }
            columnStart += columnCount
        }
        return hasher.finalize()
    }
}
