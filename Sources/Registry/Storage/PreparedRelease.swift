import Fingerprinting
import ProvenanceCrypto
import TransparencyLog

/// Everything needed to store one release, computed before the write transaction starts
/// so that the transaction itself only inserts rows.
struct PreparedRelease {
    var metadata: ReleaseMetadata
    var fingerprint: Fingerprint
    /// The fingerprint file bytes without extra metadata (deterministic for a fingerprint).
    var bytes: [UInt8]
    var sha256: SHA256Digest
    var registeredBy: String
    var registeredAt: String
    /// The publisher's signed statement, when the registration is signed.
    var signature: SignedStatement?

    /// Validates `metadata` and encodes `fingerprint`.
    init(fingerprint: Fingerprint, metadata: ReleaseMetadata, registeredBy: String, registeredAt: String) throws {
        self.metadata = try metadata.validated()
        if let problem = registeredBy.isEmpty ? "it is empty" : ReleaseMetadata.lineProblem(registeredBy, limit: ReleaseMetadata.maximumFieldLength) {
            throw RegistryError.invalidMetadata(field: "registered_by", value: registeredBy, rule: problem)
        }
        guard Timestamp.isValid(registeredAt) else {
            throw RegistryError.invalidMetadata(field: "registered_at", value: registeredAt, rule: "it must be a UTC time written YYYY-MM-DDTHH:MM:SSZ")
        }
        self.fingerprint = fingerprint
        self.registeredBy = registeredBy
        self.registeredAt = registeredAt
        bytes = try fingerprint.encoded()
        sha256 = SHA256.hash(bytes)
    }

    /// Keeps `legacy`, an earlier build's encoding of the same fingerprint (format version 1
    /// for a file with expert groups), as the stored bytes: what a signature over them covers.
    mutating func keepEncoding(_ legacy: [UInt8]) {
        bytes = legacy
        sha256 = SHA256.hash(legacy)
    }

    /// What the log records about this release.
    func logChange(_ kind: LogEntry.Kind) -> LogStore.Change {
        LogStore.Change(kind: kind, name: metadata.name, version: metadata.version ?? "", root: fingerprint.roots.canonical,
                        statementDigest: signature?.statement.digest, signerKeyID: signature?.signerKeyID)
    }
}
