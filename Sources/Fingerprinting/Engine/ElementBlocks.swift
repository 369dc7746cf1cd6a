import Checkpoints

/// Cuts a tensor's byte chunks into blocks of exactly `elementsPerBlock` elements (the
/// last block may be shorter), decoded to `Float`.
///
/// Block boundaries are fixed element indices, so everything computed per block is
/// independent of the reader's chunk size. Chunks that start on a block boundary are
/// decoded in place; otherwise bytes are carried over in a small buffer. A scaled weight's
/// values are delivered scaled.
struct ElementBlocks {
    static let elementsPerBlock = 4096

    private let dtype: DType
    private let blockBytes: Int
    private var carry: [UInt8] = []
    private var values: [Float]
    private let scales: ScaleFactors?
    /// Index of the next block's first element.
    private var nextElement = 0

    init(dtype: DType, scales: ScaleFactors? = nil) {
        self.dtype = dtype
        self.scales = scales
        let (perBlock, bytesPerBlock) = dtype.block
        precondition(Self.elementsPerBlock % perBlock == 0)
        blockBytes = Self.elementsPerBlock / perBlock * bytesPerBlock
        values = [Float](repeating: 0, count: Self.elementsPerBlock)
        carry.reserveCapacity(blockBytes)
    }

    /// Feeds the next chunk; calls `body(raw, values)` for every completed block.
    mutating func feed(_ chunk: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer, UnsafeBufferPointer<Float>) throws -> Void) rethrows {
        var offset = 0
        if !carry.isEmpty {
            let needed = min(blockBytes - carry.count, chunk.count)
            carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<needed]))
            offset = needed
            if carry.count == blockBytes {
                let block = carry
                carry.removeAll(keepingCapacity: true)
                try block.withUnsafeBytes { try emit($0, body) }
            }
        }
        while chunk.count - offset >= blockBytes {
            try emit(UnsafeRawBufferPointer(rebasing: chunk[offset..<(offset + blockBytes)]), body)
            offset += blockBytes
        }
        if offset < chunk.count {
            carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[offset...]))
        }
    }

    /// Emits the final partial block, if any.
    mutating func finish(_ body: (UnsafeRawBufferPointer, UnsafeBufferPointer<Float>) throws -> Void) rethrows {
        guard !carry.isEmpty else { return }
        let block = carry
        carry.removeAll()
        try block.withUnsafeBytes { try emit($0, body) }
    }

    private mutating func emit(_ raw: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer, UnsafeBufferPointer<Float>) throws -> Void) rethrows {
        let (perBlock, bytesPerBlock) = dtype.block
        let count = raw.count / bytesPerBlock * perBlock
        let dtype = self.dtype, scales = self.scales, first = nextElement
        nextElement += count
        try values.withUnsafeMutableBufferPointer { buffer in
            let slice = UnsafeMutableBufferPointer(rebasing: buffer[0..<count])
            dtype.decode(raw, into: slice)
            scales?.apply(to: slice, firstElement: first)
            try body(raw, UnsafeBufferPointer(slice))
        }
    }
}
