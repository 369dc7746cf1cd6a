import BenchmarkSupport
import Checkpoints
import Dispatch
import Foundation
import ProvenanceCrypto

/// `provenance-bench reader`: streaming throughput of `CheckpointReader` against OpenSSL SHA-256
/// over the same bytes, on a ~2 GiB BF16 two-shard LLM checkpoint in the page cache.
enum ReaderBenchmark: BenchmarkSection {
    static let name = "reader"
    static let summary = "CheckpointReader streaming and decoding vs OpenSSL SHA-256, 2 GiB BF16 sharded checkpoint"

    /// Reading must be at least this many times faster than single-core SHA-256.
    static let speedTarget = 3.0
    static let residentLimit: UInt64 = 256 << 20

    static func run(_ context: BenchmarkContext) throws -> BenchmarkReport {
        let synthetic = SyntheticLLMCheckpoint(architecture: context.quick ? .miniature : .tinyLlama, shardCount: 2)
        let directory = try context.directory(for: name).appendingPathComponent("llama-bf16", isDirectory: true)
        let reader = try synthetic.open(in: directory, note: context.note)
        let checkpoint = reader.checkpoint
        let totalBytes = checkpoint.tensorBytes
        let fileBytes = checkpoint.files.reduce(0) { $0 + $1.size }

        context.note("warming the page cache …")
        _ = try pass(.read, reader, threads: 1)

        let openSeconds = try Measurement.best(of: context.repetitions) { _ = try CheckpointReader(path: directory.path) }

        // SHA-256 first: every reader figure is compared with it.
        context.note("measuring SHA-256 …")
        let (hashing, hashWall) = try singleCoreSHA256(reader, repetitions: context.repetitions)
        let shaSpeed = Measurement.gigabytesPerSecond(bytes: totalBytes, seconds: hashing.hashSeconds)

        var table = ResultTable(columns: [
            .init(title: "measurement", numeric: false), .init(title: "threads", numeric: true),
            .init(title: "chunk", numeric: true), .init(title: "seconds", numeric: true),
            .init(title: "GB/s", numeric: true), .init(title: "G elem/s", numeric: true), .init(title: "× SHA-256", numeric: true),
        ])
        func row(_ label: String, threads: Int, chunk: Int, seconds: Double,
                 bytes: UInt64 = totalBytes, elements: Int = checkpoint.parameterCount) -> Double {
            let speed = Measurement.gigabytesPerSecond(bytes: bytes, seconds: seconds)
            table.append([label, String(threads), Measurement.binaryBytes(UInt64(chunk)), Measurement.fixed(seconds, 3),
                          Measurement.fixed(speed), Measurement.fixed(Double(elements) / seconds / 1e9),
                          Measurement.fixed(speed / shaSpeed, 1) + "×"])
            return speed
        }
        let defaultChunk = CheckpointReader.defaultChunkBytes
        _ = row("OpenSSL SHA-256 (hashing time only)", threads: 1, chunk: defaultChunk, seconds: hashing.hashSeconds)
        _ = row("read + SHA-256 (wall clock)", threads: 1, chunk: defaultChunk, seconds: hashWall)

        context.note("measuring reads …")
        var readSpeed = 0.0
        for threads in [1, 2] {
            let seconds = try Measurement.best(of: context.repetitions) { _ = try pass(.read, reader, threads: threads) }
            let speed = row("read (readChunks)", threads: threads, chunk: defaultChunk, seconds: seconds)
            if threads == 1 { readSpeed = speed }
        }
        for threads in [1, 2] {
            let seconds = try Measurement.best(of: context.repetitions) { _ = try pass(.decodeFloat, reader, threads: threads) }
            _ = row("read + decode to Float", threads: threads, chunk: defaultChunk, seconds: seconds)
        }
        for chunk in [256 << 10, 1 << 20, 16 << 20] {
            let seconds = try Measurement.best(of: context.repetitions) { _ = try pass(.read, reader, threads: 1, chunkBytes: chunk) }
            _ = row("read (readChunks)", threads: 1, chunk: chunk, seconds: seconds)
        }

        context.note("measuring decoding …")
        let decodeChunk = 1 << 20
        let decodeTotal = context.quick ? 16 << 20 : 1 << 30
        for dtype in [DType.bf16, .f16, .f32, .f8E4M3, .f4, .i8] {
            let seconds = Measurement.best(of: context.repetitions) {
                _ = decodeInMemory(dtype, chunkBytes: decodeChunk, totalBytes: decodeTotal)
            }
            let elements = decodeTotal / dtype.block.bytes * dtype.block.elements
            _ = row("decode only \(dtype.name) → Float (in cache)", threads: 1, chunk: decodeChunk, seconds: seconds,
                    bytes: UInt64(decodeTotal), elements: elements)
        }

        var report = BenchmarkReport(title: summary)
        report.setup = [
            "checkpoint: \(directory.path) (\(checkpoint.files.count) shards + index, \(checkpoint.tensors.count) tensors, "
                + "\(checkpoint.parameterCount) BF16 parameters, \(Measurement.binaryBytes(fileBytes)) on disk)",
            "data in the page cache (warmed by one untimed pass); best of \(context.repetitions) runs; GB = 10^9 bytes of tensor data",
            "open + validate all headers and the index: \(Measurement.fixed(openSeconds * 1000, 1)) ms",
            "OpenSSL: \(SHA256.implementationVersion); CPUs online: \(ProcessInfo.processInfo.activeProcessorCount)",
        ]
        report.table = table
        report.targets = [.init(
            description: "read (1 thread) ≥ \(Measurement.fixed(speedTarget, 0))× single-core SHA-256",
            measured: Measurement.fixed(readSpeed / shaSpeed, 1) + "×", met: readSpeed / shaSpeed >= speedTarget)]
        report.peakResidentLimit = residentLimit
        return report
    }

    // MARK: - Passes

    /// The reference every section compares with: single-core OpenSSL SHA-256 of each tensor's
    /// delivered bytes, the best of `repetitions` runs by wall clock (its hashing time alone in `hashSeconds`).
    static func singleCoreSHA256(_ reader: CheckpointReader, repetitions: Int) throws -> (result: PassResult, wallSeconds: Double) {
        var hashing = PassResult()
        let wall = try Measurement.best(of: repetitions) { hashing = try pass(.sha256, reader, threads: 1) }
        return (hashing, wall)
    }

    /// Decodes one in-cache buffer of pseudo-random bytes repeatedly: the decoder's speed without I/O.
    static func decodeInMemory(_ dtype: DType, chunkBytes: Int, totalBytes: Int) -> UInt32 {
        let source = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkBytes, alignment: 64)
        defer { source.deallocate() }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        SyntheticLLMCheckpoint.fill(source, for: .init(name: "weight", dtype: .bf16, shape: [chunkBytes / 2]), at: 0, state: &state)
        let elements = chunkBytes / dtype.block.bytes * dtype.block.elements
        let output = UnsafeMutableBufferPointer<Float>.allocate(capacity: elements)
        defer { output.deallocate() }
        var checksum: UInt32 = 0
        for _ in 0..<(totalBytes / chunkBytes) {
            dtype.decode(UnsafeRawBufferPointer(source), into: output)
            checksum ^= output[elements / 2].bitPattern
        }
        return checksum
    }

    enum PassKind {
        /// Stream raw bytes, touching one byte per chunk.
        case read
        /// Stream and decode every element to `Float`.
        case decodeFloat
        /// Stream and SHA-256 each tensor's bytes, timing the hashing alone.
        case sha256
    }

    struct PassResult {
        var bytes: UInt64 = 0
        /// Folded from the data so that the work cannot be optimized away.
        var checksum: UInt32 = 0
        var hashSeconds = 0.0

        mutating func add(_ other: PassResult) {
            bytes += other.bytes
            checksum ^= other.checksum
            hashSeconds += other.hashSeconds
        }
    }

    /// Streams every tensor once, spread over `threads` workers by size (largest first).
    static func pass(
        _ kind: PassKind, _ reader: CheckpointReader, threads: Int,
        chunkBytes: Int = CheckpointReader.defaultChunkBytes
    ) throws -> PassResult {
        if threads == 1 { return try work(kind, reader, reader.checkpoint.tensors, chunkBytes: chunkBytes) }
        var groups = Array(repeating: [TensorInfo](), count: threads)
        var loads = Array(repeating: UInt64(0), count: threads)
        for tensor in reader.checkpoint.tensors.sorted(by: { $0.byteCount > $1.byteCount }) {
            let lightest = loads.indices.min { loads[$0] < loads[$1] }!
            groups[lightest].append(tensor)
            loads[lightest] += tensor.byteCount
        }
        let outcome = Locked<(PassResult, (any Error)?)>((PassResult(), nil))
        let assigned = groups
        DispatchQueue.concurrentPerform(iterations: threads) { worker in
            do {
                let result = try work(kind, reader, assigned[worker], chunkBytes: chunkBytes)
                outcome.withLock { $0.0.add(result) }
            } catch {
                outcome.withLock { $0.1 = error }
            }
        }
        let (result, failure) = outcome.withLock { $0 }
        if let failure { throw failure }
        return result
    }

    private static func work(_ kind: PassKind, _ reader: CheckpointReader, _ tensors: [TensorInfo], chunkBytes: Int) throws -> PassResult {
        var result = PassResult()
        var floats = UnsafeMutableBufferPointer<Float>.allocate(capacity: 0)
        defer { floats.deallocate() }
        let hasher = SHA256()
        let clock = ContinuousClock()
        var hashing = Duration.zero
        for tensor in tensors {
            try reader.readChunks(of: tensor, chunkBytes: chunkBytes) { chunk in
                result.bytes += UInt64(chunk.bytes.count)
                switch kind {
                case .read:
                    result.checksum ^= UInt32(chunk.bytes[chunk.bytes.count / 2])
                case .decodeFloat:
                    if floats.count < chunk.elementCount {
                        floats.deallocate()
                        floats = .allocate(capacity: chunk.elementCount)
                    }
                    let output = UnsafeMutableBufferPointer(rebasing: floats[0..<chunk.elementCount])
                    chunk.decode(into: output)
                    result.checksum ^= output[output.count / 2].bitPattern
                case .sha256:
                    let start = clock.now
                    hasher.update(chunk.bytes)
                    hashing += clock.now - start
                }
            }
            if kind == .sha256 { result.checksum ^= UInt32(hasher.finalize().bytes[0]) }
        }
        result.hashSeconds = Double(hashing.components.seconds) + Double(hashing.components.attoseconds) * 1e-18
        return result
    }
}
