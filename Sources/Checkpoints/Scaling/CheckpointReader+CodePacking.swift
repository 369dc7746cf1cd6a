// MARK: - Reading weights whose codes are packed across rows or interleaved (GPTQ, AWQ)

extension CheckpointReader {
    /// Streams a GPTQ or AWQ weight as row-major codes, in chunks of whole stored bands (at
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
        let staging = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 64)
        defer { staging.deallocate() }
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 64)
        defer { output.deallocate() }
        let file = files[tensor.fileIndex]
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

    /// Random access in delivered order: the stored bands covering the range are read and unpacked.
    func readPackedBytes(
        of tensor: TensorInfo, packing: CodePacking, at byteOffset: UInt64, into buffer: UnsafeMutableRawBufferPointer
    ) throws(CheckpointError) {
        guard !buffer.isEmpty else { return }
        let band = UInt64(packing.bandBytes)
        let first = byteOffset / band * band
        let end = min(tensor.byteCount, (byteOffset + UInt64(buffer.count) + band - 1) / band * band)
        let length = Int(end - first)
        let staging = UnsafeMutableRawBufferPointer.allocate(byteCount: length, alignment: 64)
        defer { staging.deallocate() }
        let unpacked = UnsafeMutableRawBufferPointer.allocate(byteCount: length, alignment: 64)
        defer { unpacked.deallocate() }
        try files[tensor.fileIndex].readExactly(into: staging, at: tensor.offset + first, tensor: tensor.name)
        packing.unpack(UnsafeRawBufferPointer(staging), into: unpacked)
        let start = Int(byteOffset - first)
        buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: unpacked[start..<(start + buffer.count)]))
    }
}
