import ArgumentParser
import Checkpoints
import Fingerprinting
import Foundation

/// Shared options for commands that fingerprint a checkpoint.
struct FingerprintingOptions: ParsableArguments {
    @Option(name: .long, help: "Worker threads (default: all cores).")
    var threads: Int?

    @Flag(name: .long, help: "Skip whole-file SHA-256 digests (faster; the fingerprint then lacks file digests).")
    var noFileDigests = false

    @Flag(name: [.short, .long], help: "No progress bar.")
    var quiet = false

    func options(label: String) -> (FingerprintOptions, ProgressBar) {
        var options = FingerprintOptions()
        if let threads { options.threads = max(1, threads) }
        options.fileDigests = !noFileDigests
        let bar = ProgressBar(label: label, quiet: quiet)
        options.progress = { bar.update(done: $0.bytesDone, total: $0.bytesTotal) }
        return (options, bar)
    }

    /// Fingerprints `path`, or reads it if it already is a fingerprint file.
    func fingerprint(_ path: String) throws -> Fingerprint {
        if Fingerprint.isFingerprintFile(path) { return try Fingerprint.read(from: path).fingerprint }
        return try fingerprint(try CheckpointReader(path: path))
    }

    /// Fingerprints an opened checkpoint.
    func fingerprint(_ reader: CheckpointReader) throws -> Fingerprint {
        let (options, bar) = options(label: "fingerprinting")
        defer { bar.finish() }
        return try Fingerprinter.fingerprint(reader, options: options)
    }
}

/// `provenance fingerprint PATH -o FILE`.
struct FingerprintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fingerprint",
        abstract: "Compute a checkpoint's fingerprint and write it to a file.",
        discussion: "The file format is specified in docs/FINGERPRINT_FORMAT.md. The same checkpoint always gives the same bytes.")

    @Argument(help: "The checkpoint (file, directory, shard index or Hugging Face cache entry).")
    var path: String

    @Option(name: .shortAndLong, help: "Where to write the fingerprint (e.g. model.fingerprint.safetensors).")
    var output: String

    @OptionGroup var fingerprinting: FingerprintingOptions

    func run() throws {
        let start = Date()
        let fingerprint = try fingerprinting.fingerprint(path)
        try fingerprint.write(to: output)
        let size = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? UInt64) ?? 0
        let seconds = Date().timeIntervalSince(start)
        if !fingerprinting.quiet {
            CommandOutput.printNote(String(
                format: "wrote %@ (%@) for %d tensors, %@ parameters in %.1f s",
                output, CommandOutput.bytes(size), fingerprint.tensors.count,
                CommandOutput.grouped(fingerprint.source.parameterCount), seconds))
        }
    }
}
