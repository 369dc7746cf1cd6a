// MARK: - Reading weights whose codes are packed across rows or reordered (GPTQ, AWQ, bitsandbytes)

extension CheckpointReader {
    /// Streams a GPTQ, AWQ or bitsandbytes weight as row-major codes, in chunks of whole stored bands (at
    /// least one, whatever `chunkBytes` says). Memory: two chunk buffers.
    func readPackedChunks(
        of tensor: TensorInfo, packing: CodePacking, chunkBytes: Int, scales: ScaleFactors?,
        _ body: (TensorChunk) throws -> Void
    ) throws {
        let band = packing.bandBytes, deliveredBand = packing.deliveredBandBytes
        let bands = Int(tensor.byteCount) / band
        guard bands > 0 else { return }
        let bandsPerChunk = min(max(1, chunkBytes / deliveredBand), bands)
        let capacity = bandsPerChunk * band, deliveredCapacity = bandsPerChunk * deliveredBand
        let (blockElements, blockBytes) = tensor.dtype.block
        let file = files[tensor.fileIndex]
        // Stored words and unpacked codes in one pooled buffer (reused across tensors, like plain chunks).
        try buffers.withBuffer(byteCount: capacity + deliveredCapacity, allocating: capacity + deliveredCapacity) { buffer in
            let staging = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<capacity])
            let output = UnsafeMutableRawBufferPointer(rebasing: buffer[capacity..<(capacity + deliveredCapacity)])
            var doneBands = 0
            while doneBands < bands {
                let count = min(bandsPerChunk, bands - doneBands)
                let stored = UnsafeMutableRawBufferPointer(rebasing: staging[0..<(count * band)])
                try file.readExactly(into: stored, at: tensor.offset + UInt64(doneBands * band), tensor: tensor.name)
                packing.unpack(UnsafeRawBufferPointer(stored), into: output)
                let delivered = count * deliveredBand, first = doneBands * deliveredBand
                try body(TensorChunk(
                    tensor: tensor, bytes: UnsafeRawBufferPointer(rebasing: output[0..<delivered]),
                    firstElement: first / blockBytes * blockElements, elementCount: delivered / blockBytes * blockElements, scales: scales))
                doneBands += count
            }
        }
    }

    /// Random access in delivered order. AWQ and bitsandbytes: the stored words (bytes) covering
    /// the range are read and unpacked. GPTQ: a delivered row's codes are one bit field of each
    /// word of its packed row (of two packed rows where a 3-bit field straddles them), so only
    /// the words of the requested columns are read (a column slab of a transposing reader reads
    /// 4 bytes per code, not the whole packed row of up to 32 delivered rows).
    func readPackedBytes(
        of tensor: TensorInfo, packing: CodePacking, at byteOffset: UInt64, into buffer: UnsafeMutableRawBufferPointer
    ) throws(CheckpointError) {
        guard !buffer.isEmpty else { return }
        let file = files[tensor.fileIndex]
        guard packing.order.isGPTQ else {
            // The stored bands covering the delivered range, unpacked, then the range copied out.
            let band = UInt64(packing.bandBytes), deliveredBand = UInt64(packing.deliveredBandBytes)
            let firstBand = byteOffset / deliveredBand
            let endBand = min(tensor.byteCount / band, (byteOffset + UInt64(buffer.count) + deliveredBand - 1) / deliveredBand)
            let length = Int((endBand - firstBand) * band), deliveredLength = Int((endBand - firstBand) * deliveredBand)
            let staging = UnsafeMutableRawBufferPointer.allocate(byteCount: length + deliveredLength, alignment: 64)
            defer { staging.deallocate() }
            let stored = UnsafeMutableRawBufferPointer(rebasing: staging[0..<length])
            let unpacked = UnsafeMutableRawBufferPointer(rebasing: staging[length..<(length + deliveredLength)])
            try file.readExactly(into: stored, at: tensor.offset + firstBand * band, tensor: tensor.name)
            packing.unpack(UnsafeRawBufferPointer(stored), into: unpacked)
            let start = Int(byteOffset - firstBand * deliveredBand)
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: unpacked[start..<(start + buffer.count)]))
            return
        }
        let bits = packing.bits, codesPerByte = bits == 4 ? 2 : 1
        let rowBytes = packing.columns / codesPerByte
        let maximumColumns = min(packing.columns, buffer.count * codesPerByte)
        // The words of the requested columns in a packed row, and in the next one for straddling fields.
        let words = UnsafeMutableRawBufferPointer.allocate(byteCount: 2 * 4 * maximumColumns, alignment: 64)
        defer { words.deallocate() }
        let target = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var done = 0
        while done < buffer.count {
            let position = Int(byteOffset) + done
            let row = position / rowBytes, within = position % rowBytes
            let length = min(rowBytes - within, buffer.count - done)
            let firstColumn = within * codesPerByte, columnCount = length * codesPerByte
            let bit = bits * (row % packing.rowsPerBand)
            let packedRow = row / packing.rowsPerBand * packing.packedRowsPerBand + bit / 32
            let straddles = bit % 32 + bits > 32
            for part in 0..<(straddles ? 2 : 1) {
                let stored = UnsafeMutableRawBufferPointer(rebasing: words[(4 * part * maximumColumns)..<(4 * (part * maximumColumns + columnCount))])
                try file.readExactly(into: stored, at: tensor.offset + UInt64(4 * ((packedRow + part) * packing.columns + firstColumn)), tensor: tensor.name)
            }
            // Each column's field: from `shift` in this packed row's word, its high bits from the next one's when it straddles.
            let shift = UInt32(bit % 32), mask = UInt32(1) << UInt32(bits) &- 1
            func word(_ part: Int, _ column: Int) -> UInt32 {
                UInt32(littleEndian: words.loadUnaligned(fromByteOffset: 4 * (part * maximumColumns + column), as: UInt32.self))
            }
            func code(_ column: Int) -> UInt32 {
                var field = word(0, column) >> shift
                if straddles { field |= word(1, column) << (32 - shift) }
                return field & mask
            }
            let out = target + done
            if bits == 4 {
                for index in 0..<length { out[index] = UInt8(code(2 * index)) | UInt8(code(2 * index + 1)) << 4 }
            } else {
                for index in 0..<length { out[index] = UInt8(truncatingIfNeeded: code(index)) }
            }
            done += length
        }
    }
}
