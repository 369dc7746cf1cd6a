import Checkpoints
import Fingerprinting
import Foundation
import ProvenanceCrypto

/// `provenance-bench quantized`: the whole fingerprint of quantized releases — GPTQ 4-bit
/// (codes unpacked and transposed while streaming, group factors with zero points and `g_idx`),
/// bitsandbytes LLM.int8 (I8 codes, a factor per row) and llm-compressor's W4A16 (packed codes
/// with contiguous or activation-ordered column groups) — against single-core OpenSSL SHA-256
/// over the same tensor bytes, on TinyLlama-shaped two-shard checkpoints.
enum QuantizedFingerprintBenchmark: BenchmarkSection {
    static let name = "quantized"
    static let summary = "full fingerprint of GPTQ 4-bit, LLM.int8 and W4A16 checkpoints (2 threads) vs single-core OpenSSL SHA-256 of their bytes"

    static let residentLimit: UInt64 = 256 << 20

    static func run(_ context: BenchmarkContext) throws -> BenchmarkReport {
        var table = ResultTable(columns: [
            .init(title: "storage", numeric: false), .init(title: "tensor data", numeric: true),
            .init(title: "SHA-256 GB/s", numeric: true), .init(title: "fingerprint s", numeric: true),
            .init(title: "fingerprint GB/s", numeric: true), .init(title: "× SHA-256", numeric: true),
            .init(title: "M parameters/s", numeric: true),
        ])
        var setup: [String] = []
        for storage in [SyntheticLLMCheckpoint.Storage.gptq, .llmInt8, .w4a16, .w4a16ActivationOrder] {
            let synthetic = SyntheticLLMCheckpoint(architecture: context.quick ? .miniature : .tinyLlama, shardCount: 2, storage: storage)
            let directory = try context.directory(for: name).appendingPathComponent("llama-\(storage.rawValue)", isDirectory: true)
            let reader = try synthetic.open(in: directory, note: context.note)
            let checkpoint = reader.checkpoint
            let scaled = checkpoint.tensors.filter { $0.scale != nil }.count

            context.note("\(storage.rawValue): warming the page cache …")
            _ = try ReaderBenchmark.pass(.read, reader, threads: 1)
            context.note("\(storage.rawValue): measuring SHA-256 …")
            let hashing = try ReaderBenchmark.singleCoreSHA256(reader, repetitions: context.repetitions).result
            let shaSpeed = Measurement.gigabytesPerSecond(bytes: checkpoint.tensorBytes, seconds: hashing.hashSeconds)

            context.note("\(storage.rawValue): fingerprinting with 2 threads …")
            var options = FingerprintOptions()
            options.threads = 2
            var fingerprint: Fingerprint?
            let seconds = try Measurement.best(of: context.repetitions) { fingerprint = try Fingerprinter.fingerprint(reader, options: options) }
            let speed = Measurement.gigabytesPerSecond(bytes: checkpoint.tensorBytes, seconds: seconds)
            let measuredEnergy = fingerprint!.tensors.filter { $0.roundingEnergy != nil && $0.scale != nil }.count
            table.append([
                storage.rawValue, Measurement.binaryBytes(checkpoint.tensorBytes), Measurement.fixed(shaSpeed), Measurement.fixed(seconds, 3),
                Measurement.fixed(speed), Measurement.fixed(speed / shaSpeed, 2) + "×",
                Measurement.fixed(Double(checkpoint.parameterCount) / seconds / 1e6, 0),
            ])
            setup.append("\(storage.rawValue): \(directory.path) (\(checkpoint.files.count) shards, \(checkpoint.tensors.count) tensors, "
                + "\(checkpoint.parameterCount) parameters, \(scaled) quantized weights, \(measuredEnergy) with a rounding energy)")
        }
        var report = BenchmarkReport(title: summary)
        report.setup = setup + [
            "data in the page cache; best of \(context.repetitions) runs; GB/s = stored tensor bytes (10^9) per wall-clock second; "
                + "SHA-256 is timed over the bytes as the reader delivers them (GPTQ codes unpacked), hashing time only",
            "a 4-bit byte holds two parameters, an I8 byte one: the fingerprint's work per byte is that much larger than SHA-256's",
            "OpenSSL: \(SHA256.implementationVersion); CPUs online: \(ProcessInfo.processInfo.activeProcessorCount)",
        ]
        report.table = table
        report.peakResidentLimit = residentLimit
        return report
    }
}
