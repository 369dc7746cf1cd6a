/// Large scratch buffers reused across tensors, so the kernel does not zero fresh pages
/// for every transposed tensor. A handful of buffers are kept; the pool never holds more
/// than `limit` bytes, which keeps peak memory bounded.
///
/// `@unchecked Sendable`: the free list is only touched under its lock.
final class ScratchBuffers: @unchecked Sendable {
    static let shared = ScratchBuffers()

    private let free = Locked<[UnsafeMutableRawBufferPointer]>([])
    private let limit = 96 << 20

    /// A buffer of at least `bytes` bytes (contents undefined).
    func take(_ bytes: Int) -> UnsafeMutableRawBufferPointer {
        let reused: UnsafeMutableRawBufferPointer? = free.withLock { buffers in
            guard let index = buffers.firstIndex(where: { $0.count >= bytes }) else { return nil }
            return buffers.remove(at: index)
        }
        return reused ?? UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes, 64), alignment: 64)
    }

    /// Returns a buffer to the pool (or frees it when the pool is full).
    func give(_ buffer: UnsafeMutableRawBufferPointer) {
        let evicted: [UnsafeMutableRawBufferPointer] = free.withLock { buffers in
            buffers.append(buffer)
            buffers.sort { $0.count < $1.count }
            var evicted: [UnsafeMutableRawBufferPointer] = []
            while buffers.reduce(0, { $0 + $1.count }) > limit, !buffers.isEmpty { evicted.append(buffers.removeFirst()) }
            return evicted
        }
        for buffer in evicted { buffer.deallocate() }
    }
}
