/// Sequential little-endian reads through a GGUF header, buffered, bounded by the file
/// size and the header size limit so no read or allocation outruns the bytes present.
final class GGUFHeaderCursor {
    private let file: ReadOnlyFile
    /// Bytes from the start of the file consumed so far.
    private(set) var position: UInt64 = 0
    /// Reads stop here: the file size or the header limit, whichever is smaller.
    let limit: UInt64
    private let headerLimit: UInt64
    private let buffer: UnsafeMutableRawBufferPointer
    private var bufferStart: UInt64 = 0
    private var bufferLength = 0

    init(file: ReadOnlyFile, headerLimit: UInt64, bufferBytes: Int = 1 << 20) {
        self.file = file
        self.headerLimit = headerLimit
        limit = min(file.size, headerLimit)
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferBytes, alignment: 16)
    }

    deinit {
        buffer.deallocate()
    }

    /// Bytes left before `limit`.
    var remaining: UInt64 { limit - position }

    /// A pointer to the next `count` bytes (valid until the next read), then advances.
    private func take(_ count: Int) throws(CheckpointError) -> UnsafeRawPointer {
        precondition(count <= buffer.count)
        try requireAvailable(UInt64(count))
        let end = position + UInt64(count)
        if position < bufferStart || end > bufferStart + UInt64(bufferLength) {
            bufferStart = position
            bufferLength = Int(min(UInt64(buffer.count), file.size - position))
            try file.readExactly(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<bufferLength]), at: position)
        }
        let pointer = UnsafeRawPointer(buffer.baseAddress!) + Int(position - bufferStart)
        position = end
        return pointer
    }

    private func requireAvailable(_ count: UInt64) throws(CheckpointError) {
        guard count <= remaining else {
            if position + count > headerLimit, headerLimit < file.size {
                throw CheckpointError(file: file.displayName, rule: .gguf(.headerTooLarge(limit: headerLimit)))
            }
            throw CheckpointError(file: file.displayName, rule: .truncated(expected: position + count, got: file.size))
        }
    }

    func read<T: FixedWidthInteger>(_: T.Type) throws(CheckpointError) -> T {
        T(littleEndian: try take(MemoryLayout<T>.size).loadUnaligned(as: T.self))
    }

    func readFloat() throws(CheckpointError) -> Float { Float(bitPattern: try read(UInt32.self)) }

    func readDouble() throws(CheckpointError) -> Double { Double(bitPattern: try read(UInt64.self)) }

    /// Reads `count` raw bytes (already checked against `remaining` by the caller's length rule).
    func readBytes(_ count: Int) throws(CheckpointError) -> [UInt8] {
        try requireAvailable(UInt64(count))
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let piece = min(buffer.count, count - done)
            let source = try take(piece)
            bytes.withUnsafeMutableBytes { target in
                (target.baseAddress! + done).copyMemory(from: source, byteCount: piece)
            }
            done += piece
        }
        return bytes
    }

    /// Moves forward to `offset` (for alignment padding).
    func skip(to offset: UInt64) throws(CheckpointError) {
        precondition(offset >= position)
        try requireAvailable(offset - position)
        position = offset
    }
}
