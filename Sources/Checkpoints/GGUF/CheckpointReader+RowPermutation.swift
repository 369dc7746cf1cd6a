// MARK: - Reading tensors whose rows are stored permuted

extension CheckpointReader {
    /// Streams a row-permuted tensor in delivered row order, in chunks of whole rows.
    ///
    /// When the permutation keeps blocks of rows among themselves (RoPE: each head) and a chunk
    /// holds whole blocks, their stored bytes are one contiguous range: one `pread`, then rows
    /// are reordered in memory. Otherwise each run of rows stored one after another (a head of
    /// a regrouped query/key/value tensor) is one `pread`. Memory: two chunk buffers.
    func readPermutedChunks(
        of tensor: TensorInfo, permutation: RowPermutation, chunkBytes: Int,
        _ body: (TensorChunk) throws -> Void
    ) throws {
        let rows = permutation.rowCount
        precondition(tensor.shape.first == rows, "row permutation does not match tensor \(tensor.name)")
        guard tensor.byteCount > 0 else { return }
        let rowBytes = Int(tensor.byteCount) / rows
        let rowElements = tensor.elementCount / rows
        var rowsPerChunk = max(1, chunkBytes / rowBytes)
        let block = permutation.closedRowBlock
        let wholeBlocks = block.map { rowsPerChunk >= $0 } ?? false
        if wholeBlocks, let block { rowsPerChunk -= rowsPerChunk % block }
        rowsPerChunk = min(rowsPerChunk, rows)
        let capacity = rowsPerChunk * rowBytes
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 64)
        defer { output.deallocate() }
        let staging = UnsafeMutableRawBufferPointer.allocate(byteCount: wholeBlocks ? capacity : 1, alignment: 64)
        defer { staging.deallocate() }
        let file = files[tensor.fileIndex]

        var row = 0
        while row < rows {
            let count = min(rowsPerChunk, rows - row)
            if wholeBlocks {
                let stored = UnsafeMutableRawBufferPointer(rebasing: staging[0..<count * rowBytes])
                try file.readExactly(into: stored, at: tensor.offset + UInt64(row * rowBytes), tensor: tensor.name)
                for r in 0..<count {
                    let source = permutation.storedRow(forRow: row + r) - row
                    (output.baseAddress! + r * rowBytes).copyMemory(from: staging.baseAddress! + source * rowBytes, byteCount: rowBytes)
                }
            } else {
                var r = 0
                while r < count {
                    let source = permutation.storedRow(forRow: row + r)
                    var run = 1
                    while r + run < count, permutation.storedRow(forRow: row + r + run) == source + run { run += 1 }
                    let target = UnsafeMutableRawBufferPointer(rebasing: output[r * rowBytes..<(r + run) * rowBytes])
                    try file.readExactly(into: target, at: tensor.offset + UInt64(source * rowBytes), tensor: tensor.name)
                    r += run
                }
            }
            let bytes = UnsafeRawBufferPointer(rebasing: output[0..<count * rowBytes])
            try body(TensorChunk(tensor: tensor, bytes: bytes, firstElement: row * rowElements, elementCount: count * rowElements, scales: nil))
            row += count
        }
    }

    /// Random access in delivered order: each delivered row's bytes come from its stored row.
    func readPermutedBytes(
        of tensor: TensorInfo, permutation: RowPermutation, at byteOffset: UInt64, into buffer: UnsafeMutableRawBufferPointer
    ) throws(CheckpointError) {
        let rowBytes = tensor.byteCount / UInt64(permutation.rowCount)
        let file = files[tensor.fileIndex]
        var done = 0
        while done < buffer.count {
            let position = byteOffset + UInt64(done)
            let row = Int(position / rowBytes)
            let within = position % rowBytes
            let length = min(Int(rowBytes - within), buffer.count - done)
            let stored = UInt64(permutation.storedRow(forRow: row))
            let target = UnsafeMutableRawBufferPointer(rebasing: buffer[done..<done + length])
            try file.readExactly(into: target, at: tensor.offset + stored * rowBytes + within, tensor: tensor.name)
            done += length
        }
    }
}
