import Foundation

/// Chunk buffers kept for reuse across `readChunks` calls.
///
/// Allocating a fresh multi-megabyte buffer per tensor makes the allocator hand out new
/// pages each time (page faults on every first touch) and, with several threads, lets
/// per-thread heaps grow; reusing buffers keeps reads fast and resident memory at
/// about one chunk per concurrent reader.
///
/// `@unchecked Sendable`: `available` is only touched while holding `lock`.
final class ChunkBufferPool: @unchecked Sendable {
    /// An owned, 64-byte-aligned raw buffer.
    final class Buffer {
        let storage: UnsafeMutableRawBufferPointer

        init(byteCount: Int) {
            storage = .allocate(byteCount: max(byteCount, 1), alignment: 64)
        }

        deinit {
            storage.deallocate()
        }
    }

    /// Buffers kept beyond this count are freed: more than this many concurrent readers is unusual.
    static let maximumKept = 8

    private let lock = NSLock()
    private var available: [Buffer] = []

    /// Runs `body` with a buffer of at least `byteCount` bytes, reusing a kept one when possible;
    /// a new buffer gets `allocating` bytes (at least `byteCount`), so that it suits later requests too.
    func withBuffer<Result>(
        byteCount: Int, allocating allocationCount: Int, _ body: (UnsafeMutableRawBufferPointer) throws -> Result
    ) rethrows -> Result {
        let buffer = take(atLeast: byteCount) ?? Buffer(byteCount: max(byteCount, allocationCount))
        defer { give(buffer) }
        return try body(buffer.storage)
    }

    private func take(atLeast byteCount: Int) -> Buffer? {
        lock.lock()
        defer { lock.unlock() }
        // The smallest buffer that fits, so large buffers stay free for large requests.
        guard let index = available.indices.filter({ available[$0].storage.count >= byteCount })
            .min(by: { available[$0].storage.count < available[$1].storage.count }) else { return nil }
        return available.remove(at: index)
    }

    private func give(_ buffer: Buffer) {
        lock.lock()
        defer { lock.unlock() }
        available.append(buffer)
        if available.count > Self.maximumKept {
            // Drop the smallest: the large ones are the expensive ones to re-create.
            let smallest = available.indices.min { available[$0].storage.count < available[$1].storage.count }!
            available.remove(at: smallest)
        }
    }
}
