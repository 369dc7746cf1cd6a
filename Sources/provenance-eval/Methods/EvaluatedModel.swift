import Fingerprinting
import Foundation
import Matching
import ProvenanceCrypto

/// A checkpoint under evaluation: its fingerprint (provenance) and the SHA-256 of each of its
/// safetensors files, computed here directly from the bytes (the whole-file reference method).
struct EvaluatedModel: Sendable {
    var label: String
    var path: String
    var fingerprint: Fingerprint
    /// SHA-256 (hex) of every `*.safetensors` file in the checkpoint directory.
    var fileDigests: Set<String>

    static func load(label: String, path: String) throws -> EvaluatedModel {
        var options = FingerprintOptions()
        options.threads = ProcessInfo.processInfo.activeProcessorCount
        let fingerprint = try Fingerprinter.fingerprint(path: path, options: options)
        return EvaluatedModel(label: label, path: path, fingerprint: fingerprint, fileDigests: try weightFileDigests(path))
    }

    var identity: ModelIdentity { ModelIdentity(fingerprint: fingerprint, label: label, kind: "checkpoint") }
    var reference: Matcher.Reference { Matcher.Reference(label: label, fingerprint: fingerprint) }

    /// SHA-256 of each safetensors file, streamed in 4 MiB reads.
    static func weightFileDigests(_ path: String) throws -> Set<String> {
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        guard fileManager.fileExists(atPath: path, isDirectory: &isDirectory) else { throw EvaluationError("\(path) does not exist.") }
        let files = isDirectory.boolValue
            ? try fileManager.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".safetensors") }.sorted().map { (path as NSString).appendingPathComponent($0) }
            : [path]
        var digests = Set<String>()
        for file in files {
            guard let handle = FileHandle(forReadingAtPath: file) else { throw EvaluationError("cannot open \(file).") }
            defer { try? handle.close() }
            let hasher = SHA256()
            while let chunk = try handle.read(upToCount: 4 << 20), !chunk.isEmpty {
                chunk.withUnsafeBytes { hasher.update($0) }
            }
            digests.insert(hasher.finalize().hex)
        }
        return digests
    }
}
