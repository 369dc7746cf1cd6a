import Checkpoints
import Fingerprinting
import Foundation
import ProvenanceCrypto

/// An exported fingerprint file read from disk: the fingerprint, its extra `__metadata__`
/// entries, and the digest of its fingerprint part, which is what a signed statement's
/// `fingerprint.sha256` covers.
struct ExportedFingerprint {
    /// The `__metadata__` keys of the fingerprint part; every other key is an extra.
    static let fingerprintKeys: Set<String> = ["format", "format_version", "fingerprint"]

    var fingerprint: Fingerprint
    var extras: Fingerprint.ExtraMetadata
    /// SHA-256 of the file with every extra `__metadata__` entry removed: the header
    /// re-serialised as the fingerprint writer does (docs/SIGNING_AND_LOG.md) and the data
    /// section as stored. For a file `export` wrote it equals the registry's
    /// `fingerprint_sha256`; the fingerprint document is hashed verbatim, so any change
    /// inside it changes the digest.
    var fingerprintPartSHA256: SHA256Digest

    /// Reads and decodes `file` (at most `limit` bytes, checked before reading).
    init(file: String, limit: UInt64) throws {
        let size: UInt64
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: file)
            size = (attributes[.size] as? NSNumber)?.uint64Value ?? 0
        } catch {
            throw RegistryError.io(path: file, operation: "read", reason: error.localizedDescription)
        }
        guard size <= limit else {
            throw RegistryError.invalidFingerprintFile(file: file, reason: "it is \(size) bytes, more than the \(limit)-byte limit for a fingerprint file")
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw RegistryError.io(path: file, operation: "read", reason: "it cannot be read")
        }
        let bytes = [UInt8](data)
        do {
            (fingerprint, extras) = try Fingerprint.decode(bytes, name: file)
        } catch let error as FingerprintFileError {
            throw RegistryError.invalidFingerprintFile(file: file, reason: error.reason)
        }
        // Fingerprint.decode has validated the container, so this parse succeeds.
        guard let buffer = try? SafetensorsBuffer(bytes: bytes, name: file) else {
            throw RegistryError.invalidFingerprintFile(file: file, reason: "its container is not valid safetensors")
        }
        fingerprintPartSHA256 = Self.fingerprintPartDigest(buffer)
    }

    static func fingerprintPartDigest(_ buffer: SafetensorsBuffer) -> SHA256Digest {
        let metadata = buffer.metadata.filter { fingerprintKeys.contains($0.key) }
        let declarations = buffer.tensors.map { SafetensorsWriter.Declaration(name: $0.name, dtype: $0.dtype, shape: $0.shape) }
        let header = SafetensorsWriter.headerBytes(declarations, metadata: metadata)
        let storedHeaderLength = buffer.bytes.withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        let hasher = SHA256()
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { hasher.update($0) }
        hasher.update(header)
        hasher.update(buffer.bytes[(8 + storedHeaderLength)...])
        return hasher.finalize()
    }
}
