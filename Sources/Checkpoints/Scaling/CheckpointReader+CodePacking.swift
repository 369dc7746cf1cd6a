// MARK: - Reading weights whose codes are packed across rows or reordered (GPTQ, AWQ, bitsandbytes)

extension CheckpointReader {
    /// Streams a GPTQ, AWQ or bitsandbytes weight as row-major codes, in chunks of whole stored bands (at
    /// least one, whatever `chunkBytes` says). Memory: two chunk buffers.
    func readPackedChunks(
        of tensor: TensorInfo, packing: CodePacking, chunkBytes: Int, scales: ScaleFactors?,
        _ body: (TensorChunk) throws -> Void
    ) throws {
        let band = packing.bandBytes
        let bands = Int(tensor.byteCount) / band
        guard bands > 0 else { return }
        let bandsPerChunk = min(max(1, chunkBytes / band), bands)
        let capacity = bandsPerChunk * band
        let (blockElements, blockBytes) = tensor.dtype.block
        let file = files[tensor.fileIndex]
        // Stored words and unpacked codes in one pooled buffer (reused across tensors, like plain chunks).
        try buffers.withBuffer(byteCount: 2 * capacity, allocating: 2 * capacity) { buffer in
            let staging = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<capacity])
            let output = UnsafeMutableRawBufferPointer(rebasing: buffer[capacity..<(2 * capacity)])
            var done = 0
            while done < bands * band {
                let length = min(capacity, bands * band - done)
                let stored = UnsafeMutableRawBufferPointer(rebasing: staging[0..<length])
                try file.readExactly(into: stored, at: tensor.offset + UInt64(done), tensor: tensor.name)
                packing.unpack(UnsafeRawBufferPointer(stored), into: output)
                try body(TensorChunk(
                    tensor: tensor, bytes: UnsafeRawBufferPointer(rebasing: output[0..<length]),
                    firstElement: done / blockBytes * blockElements, elementCount: length / blockBytes * blockElements, scales: scales))
                done += length
            }
        }
    }

    /// Random access in delivered order. AWQ and bitsandbytes: the stored words (bytes) covering
    /// the range are read and unpacked. GPTQ: a delivered row's codes are one bit field of each
    /// word of its packed row, so only the words of the requested columns are read (a column slab of a transposing reader
    /// reads 4 bytes per code pair, not the whole packed row of 8 delivered rows per row).
    func readPackedBytes(
        of tensor: TensorInfo, packing: CodePacking, at byteOffset: UInt64, into buffer: UnsafeMutableRawBufferPointer
    ) throws(CheckpointError) {
        guard !buffer.isEmpty else { return }
        let file = files[tensor.fileIndex]
        guard packing.order == .gptq else {
            let band = UInt64(packing.bandBytes)
            let first = byteOffset / band * band
            let end = min(tensor.byteCount, (byteOffset + UInt64(buffer.count) + band - 1) / band * band)
            let length = Int(end - first)
            let staging = UnsafeMutableRawBufferPointer.allocate(byteCount: 2 * length, alignment: 64)
            defer { staging.deallocate() }
            let stored = UnsafeMutableRawBufferPointer(rebasing: staging[0..<length])
            let unpacked = UnsafeMutableRawBufferPointer(rebasing: staging[length..<(2 * length)])
            try file.readExactly(into: stored, at: tensor.offset + first, tensor: tensor.name)
            packing.unpack(UnsafeRawBufferPointer(stored), into: unpacked)
            let start = Int(byteOffset - first)
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: unpacked[start..<(start + buffer.count)]))
            return
        }
        let codesPerByte = 8 / packing.bits, rowsPerWord = 32 / packing.bits
        let rowBytes = packing.columns / codesPerByte
        let words = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 * min(packing.columns, buffer.count * codesPerByte), alignment: 64)
        defer { words.deallocate() }
        let target = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var done = 0
        while done < buffer.count {
            let position = Int(byteOffset) + done
            let row = position / rowBytes, within = position % rowBytes
            let length = min(rowBytes - within, buffer.count - done)
            let firstColumn = within * codesPerByte, columnCount = length * codesPerByte
            let stored = UnsafeMutableRawBufferPointer(rebasing: words[0..<(4 * columnCount)])
            try file.readExactly(into: stored, at: tensor.offset + UInt64(4 * ((row / rowsPerWord) * packing.columns + firstColumn)), tensor: tensor.name)
            let shift = UInt32(packing.bits * (row % rowsPerWord))
            func word(_ index: Int) -> UInt32 { UInt32(littleEndian: stored.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self)) }
            let out = target + done
            if packing.bits == 4 {
                for index in 0..<length {
                    out[index] = UInt8((word(2 * index) >> shift) & 0xF) | UInt8((word(2 * index + 1) >> shift) & 0xF) << 4
                }
            } else {
                for index in 0..<length { out[index] = UInt8(truncatingIfNeeded: word(index) >> shift) }
            }
            done += length
        }
    }
}
