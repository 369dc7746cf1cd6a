import Checkpoints
import Fingerprinting
import Foundation
import ProvenanceCrypto

/// `provenance-bench fingerprint`: the whole fingerprint (file and tensor SHA-256, canonical
/// digests, statistics, sketches, neuron profiles, index keys) against single-core OpenSSL
/// SHA-256 over the same bytes, on the reader section's ~2 GiB BF16 two-shard checkpoint.
enum FingerprintBenchmark: BenchmarkSection {
    static let name = "fingerprint"
    static let summary = "full fingerprint (1 and 2 threads) vs single-core OpenSSL SHA-256, 2 GiB BF16 sharded checkpoint"

    static let speedTarget = 1.0
    static let residentLimit: UInt64 = 256 << 20

    static func run(_ context: BenchmarkContext) throws -> BenchmarkReport {
        let synthetic = SyntheticLLMCheckpoint(architecture: context.quick ? .miniature : .tinyLlama, shardCount: 2)
        // Shares the reader section's data set.
        let directory = try context.directory(for: ReaderBenchmark.name).appendingPathComponent("llama-bf16", isDirectory: true)
        let reader = try synthetic.open(in: directory, note: context.note)
        let checkpoint = reader.checkpoint
        let tensorBytes = checkpoint.tensorBytes
        let fileBytes = checkpoint.files.reduce(0) { $0 + $1.size }

        context.note("warming the page cache …")
        _ = try ReaderBenchmark.pass(.read, reader, threads: 1)
        context.note("measuring SHA-256 …")
        let hashing = try ReaderBenchmark.singleCoreSHA256(reader, repetitions: context.repetitions).result
        let shaSpeed = Measurement.gigabytesPerSecond(bytes: tensorBytes, seconds: hashing.hashSeconds)

        var table = ResultTable(columns: [
            .init(title: "measurement", numeric: false), .init(title: "threads", numeric: true),
            .init(title: "seconds", numeric: true), .init(title: "GB/s", numeric: true), .init(title: "× SHA-256", numeric: true),
        ])
        func row(_ label: String, threads: Int, seconds: Double) -> Double {
            let speed = Measurement.gigabytesPerSecond(bytes: tensorBytes, seconds: seconds)
            table.append([label, String(threads), Measurement.fixed(seconds, 3), Measurement.fixed(speed),
                          Measurement.fixed(speed / shaSpeed, 2) + "×"])
            return speed
        }
        _ = row("OpenSSL SHA-256 of the tensor bytes (hashing time only)", threads: 1, seconds: hashing.hashSeconds)

        var fingerprint: Fingerprint?
        var twoThreadSpeed = 0.0
        for (threads, fileDigests) in [(1, true), (2, true), (2, false)] {
            context.note("fingerprinting with \(threads) thread(s)\(fileDigests ? "" : ", no file digests") …")
            var options = FingerprintOptions()
            options.threads = threads
            options.fileDigests = fileDigests
            let seconds = try Measurement.best(of: context.repetitions) {
                fingerprint = try Fingerprinter.fingerprint(reader, options: options)
            }
            let label = fileDigests ? "fingerprint (with file SHA-256)" : "fingerprint (without file SHA-256)"
            let speed = row(label, threads: threads, seconds: seconds)
            if threads == 2 && fileDigests { twoThreadSpeed = speed }
        }
        let encoded = try fingerprint!.encoded()
        // What the mandated digests alone cost: every file byte, every tensor byte, and the
        // canonical bytes of every tensor whose canonical form is not its stored form.
        let canonicalBytes = fingerprint!.tensors.reduce(UInt64(0)) { total, tensor in
            guard tensor.canonical.sha256 != tensor.sha256, let dtype = DType(safetensorsName: tensor.canonical.dtype),
                  let bytes = dtype.byteCount(forElements: tensor.canonical.shape.reduce(1, *)) else { return total }
            return total + UInt64(bytes)
        }
        let hashedBytes = fileBytes + tensorBytes + canonicalBytes
        let hashingBound = 2 * Double(tensorBytes) / Double(hashedBytes)

        var report = BenchmarkReport(title: summary)
        report.setup = [
            "checkpoint: \(directory.path) (\(checkpoint.files.count) shards, \(checkpoint.tensors.count) tensors, "
                + "\(checkpoint.parameterCount) BF16 parameters, \(Measurement.binaryBytes(fileBytes)) on disk)",
            "data in the page cache; best of \(context.repetitions) runs; GB/s = tensor bytes (10^9) per wall-clock second",
            "work per byte: SHA-256 of every file and of every tensor (2 passes of hashing), canonical digests "
                + "(a second hashing pass over wide/transposed-canonical matrices), statistics, 64×64 sketches, "
                + "neuron profiles of \(fingerprint!.profiles.count) layer groups",
            "fingerprint file: \(Measurement.binaryBytes(UInt64(encoded.count))) for \(fingerprint!.tensors.count) tensors",
            "bytes hashed per tensor byte: \(Measurement.fixed(Double(hashedBytes) / Double(tensorBytes), 2)) (files, tensors, "
                + "\(Measurement.binaryBytes(canonicalBytes)) of re-oriented canonical bytes), so hashing alone caps 2 cores at "
                + "\(Measurement.fixed(hashingBound, 2))× single-core SHA-256; the rest of the fingerprint takes "
                + "\(Measurement.fixed((hashingBound * shaSpeed / twoThreadSpeed - 1) * 100, 0)) % on top",
            "OpenSSL: \(SHA256.implementationVersion); CPUs online: \(ProcessInfo.processInfo.activeProcessorCount)",
        ]
        report.table = table
        report.targets = [.init(
            description: "fingerprint on 2 threads ≥ \(Measurement.fixed(speedTarget, 1))× single-core SHA-256",
            measured: Measurement.fixed(twoThreadSpeed / shaSpeed, 2) + "×", met: twoThreadSpeed / shaSpeed >= speedTarget)]
        report.peakResidentLimit = residentLimit
        return report
    }
}
