import Checkpoints
import CheckpointFixtures
import Dispatch
import Foundation
import Testing

@Suite("Streaming tensors in bounded, block-aligned chunks")
struct StreamingTests {
    /// Tensors of varied dtypes and awkward sizes (odd element counts, packed F4, 8-byte elements).
    static let tensors: [SafetensorsWriter.Tensor] = [
        .patterned("f32.odd", dtype: .f32, shape: [7, 143], seed: 1),  // 1001 elements
        .patterned("bf16", dtype: .bf16, shape: [33, 17], seed: 2),
        .patterned("f16", dtype: .f16, shape: [500], seed: 3),
        .patterned("f4.packed", dtype: .f4, shape: [3, 98], seed: 4),  // 147 bytes
        .patterned("u8", dtype: .u8, shape: [1000], seed: 5),
        .patterned("i64", dtype: .i64, shape: [13], seed: 6),
        .patterned("f64", dtype: .f64, shape: [2, 9], seed: 7),
        .patterned("f8", dtype: .f8E5M2, shape: [257], seed: 8),
        .patterned("empty", dtype: .f32, shape: [0, 4], seed: 9),
        .patterned("scalar", dtype: .bf16, shape: [], seed: 10),
    ]

    static func open() throws -> (TemporaryDirectory, CheckpointReader) {
        let directory = try TemporaryDirectory()
        let path = try directory.write(SafetensorsBytes.file(tensors), to: "m.safetensors")
        return (directory, try CheckpointReader(path: path))
    }

    /// Decoded Floats of a whole tensor, computed from the bytes written.
    static func expectedFloats(_ tensor: SafetensorsWriter.Tensor) -> [Float] {
        decodeFloats(tensor.dtype, tensor.bytes)
    }

    @Test("tiny, odd, round and larger-than-tensor chunk sizes deliver identical bytes and values",
          arguments: [1, 2, 3, 7, 64, 1000, 4096, 1 << 22])
    func chunkSizes(_ chunkBytes: Int) throws {
        let (directory, reader) = try Self.open()
        _ = directory
        for written in Self.tensors {
            let tensor = try #require(reader.checkpoint.tensor(named: written.name))
            let (blockElements, blockBytes) = tensor.dtype.block
            let limit = max(blockBytes, chunkBytes / blockBytes * blockBytes)
            var bytes: [UInt8] = []
            var floats: [Float] = []
            var nextElement = 0
            var chunks = 0
            try reader.readChunks(of: tensor, chunkBytes: chunkBytes) { chunk in
                chunks += 1
                #expect(chunk.tensor == tensor)
                #expect(chunk.bytes.count % blockBytes == 0, "chunk not block-aligned")
                #expect(chunk.bytes.count <= limit && chunk.bytes.count > 0)
                #expect(chunk.firstElement == nextElement)
                #expect(chunk.elementCount == chunk.bytes.count / blockBytes * blockElements)
                nextElement += chunk.elementCount
                bytes += chunk.bytes
                var decoded = [Float](repeating: 0, count: chunk.elementCount)
                decoded.withUnsafeMutableBufferPointer { chunk.decode(into: $0) }
                floats += decoded
            }
            #expect(bytes == written.bytes, "\(written.name) at \(chunkBytes)-byte chunks")
            #expect(nextElement == tensor.elementCount)
            #expect(identical(floats, Self.expectedFloats(written)), "\(written.name)")
            // Every chunk but the last is full.
            #expect(chunks == (written.bytes.count + limit - 1) / limit)
        }
    }

    @Test("tensors are listed and visited in file order, then offset order")
    func fileOrder() throws {
        let (directory, reader) = try Self.open()
        _ = directory
        let tensors = reader.checkpoint.tensors
        #expect(tensors.map(\.name) == Self.tensors.map(\.name))
        #expect(zip(tensors, tensors.dropFirst()).allSatisfy { $0.offset + $0.byteCount == $1.offset })
    }

    @Test("readElements decodes any block-aligned run of elements")
    func elementRanges() throws {
        let (directory, reader) = try Self.open()
        _ = directory
        for written in Self.tensors where written.bytes.count > 8 {
            let tensor = try #require(reader.checkpoint.tensor(named: written.name))
            let all = Self.expectedFloats(written)
            let step = tensor.dtype.block.elements
            for range in [0..<step, (2 * step)..<(10 * step), (tensor.elementCount - 4 * step)..<tensor.elementCount] {
                var output = [Float](repeating: 0, count: range.count)
                try output.withUnsafeMutableBufferPointer { try reader.readElements(of: tensor, range: range, into: $0) }
                #expect(identical(output, Array(all[range])), "\(written.name) \(range)")
            }
        }
    }

    @Test("several threads streaming different tensors at once get the same bytes")
    func concurrentReaders() throws {
        let directory = try TemporaryDirectory()
        let many = (0..<24).map { SafetensorsWriter.Tensor.patterned("t\($0)", dtype: .bf16, shape: [37, $0 + 5], seed: UInt64($0)) }
        let reader = try CheckpointReader(path: try directory.write(SafetensorsBytes.file(many), to: "m.safetensors"))
        let results = Locked<[String: [UInt8]]>([:])
        let failures = Locked<[String]>([])
        for chunkBytes in [16, 1000, 1 << 20] {
            DispatchQueue.concurrentPerform(iterations: many.count) { index in
                do {
                    var bytes: [UInt8] = []
                    try reader.readChunks(of: reader.checkpoint.tensors[index], chunkBytes: chunkBytes) { bytes += $0.bytes }
                    results.withLock { $0[many[index].name] = bytes }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
            #expect(failures.withLock { $0 }.isEmpty)
            let read = results.withLock { $0 }
            #expect(many.allSatisfy { read[$0.name] == $0.bytes }, "chunk size \(chunkBytes)")
        }
    }

    @Test("a large tensor streams in full-size chunks of the default size")
    func defaultChunkSize() throws {
        let directory = try TemporaryDirectory()
        let big = SafetensorsWriter.Tensor.patterned("big", dtype: .f32, shape: [3, 1 << 20], seed: 3)  // 12 MiB
        let reader = try CheckpointReader(path: try directory.write(SafetensorsBytes.file([big]), to: "m.safetensors"))
        var sizes: [Int] = []
        var bytes: [UInt8] = []
        bytes.reserveCapacity(big.bytes.count)
        try reader.readChunks(of: reader.checkpoint.tensors[0]) { chunk in
            sizes.append(chunk.bytes.count)
            bytes += chunk.bytes
        }
        #expect(sizes == [4 << 20, 4 << 20, 4 << 20])
        #expect(bytes == big.bytes)
    }
}
