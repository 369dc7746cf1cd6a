import Checkpoints
import ProvenanceCrypto

/// The second pass over a tensor whose canonical encoding differs from its stored bytes:
/// re-reads it (row-major, or slabs of columns when the canonical orientation is the
/// transpose), re-encodes the values and hashes the canonical bytes.
struct CanonicalPass {
    let reader: CheckpointReader
    let tensor: TensorInfo
    /// The factors of a scaled weight (read once by the job, not again here).
    let scales: ScaleFactors?
    let chunkBytes: Int

    /// Bytes held at once while transposing: per buffer for stored bit patterns, for all three
    /// buffers together when values are decoded.
    static let slabBytes = 16 << 20
    /// Square tiles for the in-memory transpose (cache friendly).
    /// 8 × 8 keeps the strided side within one 8-way L1 set even for power-of-two widths.
    static let tile = 8

    /// - Parameter storedIsCanonical: the stored bit patterns already are the canonical
    ///   encoding (same dtype, canonical NaNs), so only the orientation changes.
    func digest(as dtype: DType, transposed: Bool, storedIsCanonical: Bool) throws -> SHA256Digest {
        if !transposed { return try rowMajorDigest(as: dtype) }
        if storedIsCanonical, tensor.dtype.block.elements == 1, [1, 2, 4, 8].contains(tensor.dtype.block.bytes) {
            return try transposedRawDigest(width: tensor.dtype.block.bytes)
        }
        return try transposedConvertedDigest(as: dtype)
    }

    private func rowMajorDigest(as canonical: DType) throws -> SHA256Digest {
        let hasher = SHA256()
        let width = CanonicalEncoding.width(canonical)
        let encoded = UnsafeMutableRawBufferPointer.allocate(byteCount: ElementBlocks.elementsPerBlock * width, alignment: 64)
        defer { encoded.deallocate() }
        let doubles = UnsafeMutableBufferPointer<Double>.allocate(capacity: ElementBlocks.elementsPerBlock)
        defer { doubles.deallocate() }
        var blocks = ElementBlocks(dtype: tensor.dtype, scales: scales)
        let stored = tensor.dtype
        func process(_ raw: UnsafeRawBufferPointer, _ values: UnsafeBufferPointer<Float>) {
            if stored == .f64 {
                let slice = UnsafeMutableBufferPointer(rebasing: doubles[0..<values.count])
                stored.decode(raw, into: slice)
                CanonicalEncoding.encode(UnsafeBufferPointer(slice), as: canonical, into: encoded.baseAddress!)
            } else {
                CanonicalEncoding.encode(values, as: canonical, into: encoded.baseAddress!)
            }
            hasher.update(UnsafeRawBufferPointer(rebasing: encoded[0..<(values.count * width)]))
        }
        try reader.readChunks(of: tensor, chunkBytes: chunkBytes, withScales: false) { chunk in blocks.feed(chunk.bytes, process) }
        blocks.finish(process)
        return hasher.finalize()
    }

    /// Columns per slab so that `rows × columns × bytesPerValue` stays within the budget.
    private func slabWidth(rows: Int, cols: Int, bytesPerValue: Int, multipleOf step: Int) -> Int {
        var width = max(1, Self.slabBytes / max(1, rows * bytesPerValue))
        width = max(step, width / step * step)
        return min(width, cols)
    }

    /// Transposes stored bit patterns (element width 1, 2, 4 or 8 bytes) without decoding.
    private func transposedRawDigest(width: Int) throws -> SHA256Digest {
        let rows = tensor.shape[0], cols = tensor.shape[1]
        let columns = slabWidth(rows: rows, cols: cols, bytesPerValue: width, multipleOf: 1)
        let slab = ScratchBuffers.shared.take(rows * columns * width)
        let out = ScratchBuffers.shared.take(rows * columns * width)
        defer { ScratchBuffers.shared.give(slab); ScratchBuffers.shared.give(out) }
        let hasher = SHA256()
        var start = 0
        while start < cols {
            let count = min(columns, cols - start)
            for row in 0..<rows {
                let target = UnsafeMutableRawBufferPointer(rebasing: slab[(row * count * width)..<((row + 1) * count * width)])
                try reader.readBytes(of: tensor, at: UInt64((row * cols + start) * width), into: target)
            }
            switch width {
            case 1: Self.transpose(UInt8.self, slab, out, rows: rows, cols: count)
            case 2: Self.transpose(UInt16.self, slab, out, rows: rows, cols: count)
            case 4: Self.transpose(UInt32.self, slab, out, rows: rows, cols: count)
            default: Self.transpose(UInt64.self, slab, out, rows: rows, cols: count)
            }
            hasher.update(UnsafeRawBufferPointer(rebasing: out[0..<(rows * count * width)]))
            start += count
        }
        return hasher.finalize()
    }

    /// Decodes slabs of columns, transposes the values, encodes them canonically.
    private func transposedConvertedDigest(as canonical: DType) throws -> SHA256Digest {
        let rows = tensor.shape[0], cols = tensor.shape[1]
        let (blockElements, blockBytes) = tensor.dtype.block
        let isDouble = tensor.dtype == .f64
        let valueBytes = isDouble ? 8 : 4
        let outWidth = CanonicalEncoding.width(canonical)
        // The three buffers together within the budget: a quantized weight's values are 2–8×
        // its stored bytes, and each worker thread holds its own set.
        let columns = slabWidth(rows: rows, cols: cols, bytesPerValue: 2 * valueBytes + outWidth, multipleOf: blockElements)
        let slab = ScratchBuffers.shared.take(rows * columns * valueBytes)
        let transposed = ScratchBuffers.shared.take(rows * columns * valueBytes)
        let encoded = ScratchBuffers.shared.take(rows * columns * outWidth)
        let raw = ScratchBuffers.shared.take(max(1, columns / blockElements * blockBytes))
        defer { for buffer in [slab, transposed, encoded, raw] { ScratchBuffers.shared.give(buffer) } }
        let hasher = SHA256()
        var start = 0
        while start < cols {
            let count = min(columns, cols - start)
            let segment = UnsafeMutableRawBufferPointer(rebasing: raw[0..<(count / blockElements * blockBytes)])
            for row in 0..<rows {
                try reader.readBytes(of: tensor, at: UInt64((row * cols + start) / blockElements * blockBytes), into: segment)
                let offset = row * count
                if isDouble {
                    let target = slab.bindMemory(to: Double.self)
                    tensor.dtype.decode(UnsafeRawBufferPointer(segment), into: UnsafeMutableBufferPointer(rebasing: target[offset..<(offset + count)]))
                } else {
                    let target = UnsafeMutableBufferPointer(rebasing: slab.bindMemory(to: Float.self)[offset..<(offset + count)])
                    tensor.dtype.decode(UnsafeRawBufferPointer(segment), into: target)
                    scales?.apply(to: target, firstElement: row * cols + start)
                }
            }
            let total = rows * count
            if isDouble {
                Self.transpose(UInt64.self, slab, transposed, rows: rows, cols: count)
                CanonicalEncoding.encode(UnsafeBufferPointer(rebasing: transposed.bindMemory(to: Double.self)[0..<total]), as: canonical, into: encoded.baseAddress!)
            } else {
                Self.transpose(UInt32.self, slab, transposed, rows: rows, cols: count)
                CanonicalEncoding.encode(UnsafeBufferPointer(rebasing: transposed.bindMemory(to: Float.self)[0..<total]), as: canonical, into: encoded.baseAddress!)
            }
            hasher.update(UnsafeRawBufferPointer(rebasing: encoded[0..<(total * outWidth)]))
            start += count
        }
        return hasher.finalize()
    }

    /// `out` (cols × rows) = transpose of `input` (rows × cols), by square tiles walked
    /// column-block by column-block, so each output row is written sequentially.
    static func transpose<Element: FixedWidthInteger>(
        _: Element.Type, _ input: UnsafeMutableRawBufferPointer, _ output: UnsafeMutableRawBufferPointer, rows: Int, cols: Int
    ) {
        let source = UnsafeRawPointer(input.baseAddress!).assumingMemoryBound(to: Element.self)
        let target = output.baseAddress!.assumingMemoryBound(to: Element.self)
        var colStart = 0
        while colStart < cols {
            let width = min(tile, cols - colStart)
            var rowStart = 0
            while rowStart < rows {
                let height = min(tile, rows - rowStart)
                var sourceRow = source + rowStart * cols + colStart
                let targetBase = target + colStart * rows + rowStart
                if width == 8, height == 8, Element.bitWidth == 16 || Element.bitWidth == 32 {
                    if Element.bitWidth == 16 {
                        TileTranspose.tile16(sourceRow, sourceStride: cols, targetBase, targetStride: rows)
                    } else {
                        TileTranspose.tile32(sourceRow, sourceStride: cols, targetBase, targetStride: rows)
                    }
                    rowStart += height
                    continue
                }
                for r in 0..<height {
                    var destination = targetBase + r
                    for c in 0..<width {
                        destination.pointee = sourceRow[c]
                        destination += rows
                    }
                    sourceRow += cols
                }
                rowStart += height
            }
            colStart += width
        }
    }
}
