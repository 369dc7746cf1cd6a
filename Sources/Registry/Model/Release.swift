import Fingerprinting
import ProvenanceCrypto
import TransparencyLog

/// A registered release: what its publisher declared, what its fingerprint says, and who
/// registered it when. The fingerprint itself is loaded on demand (`Registry.fingerprint(of:)`).
public struct Release: Sendable, Hashable {
    /// Row id; never reused after removal.
    public var id: Int64
    public var metadata: ReleaseMetadata
    /// The declared bases with their resolution to registered releases.
    public var bases: [BaseModel]
    /// The checkpoint's files (name, size, SHA-256 when computed).
    public var files: [ReleaseFile]
    public var parameterCount: Int
    public var tensorCount: Int
    public var architecture: ModelStructure
    /// SHA-256 of the stored fingerprint file bytes (without release metadata).
    public var fingerprintSHA256: SHA256Digest
    /// Size of the stored fingerprint file in bytes.
    public var fingerprintSize: Int
    /// Name-free root over the raw tensor digests (identical bytes).
    public var rawRoot: SHA256Digest
    /// Name-free root over the canonical tensor digests (identical weights, however stored).
    public var canonicalRoot: SHA256Digest
    /// `user@host`, or what `--registered-by` said.
    public var registeredBy: String
    /// UTC, ISO-8601 (`2026-01-31T12:00:00Z`).
    public var registeredAt: String
    /// The publisher's signed statement (docs/SIGNING_AND_LOG.md); `nil` for an unsigned
    /// registration. Stored as given: check it with `Registry.verify(_:)`.
    public var signature: SignedStatement?

    public var name: String { metadata.name }
    public var version: String? { metadata.version }
    /// `NAME@VERSION` (or `NAME`).
    public var reference: ReleaseReference { metadata.reference }
}

/// One file of the registered checkpoint.
public struct ReleaseFile: Sendable, Hashable, Codable {
    public var name: String
    public var size: UInt64
    /// SHA-256 of the whole file (equals the Hugging Face LFS oid); `nil` if not computed.
    public var sha256: SHA256Digest?

    public init(name: String, size: UInt64, sha256: SHA256Digest?) {
        self.name = name
        self.size = size
        self.sha256 = sha256
    }
}

/// A declared base model: a name (and optional version) and, when it is registered, its id.
public struct BaseModel: Sendable, Hashable {
    public var name: String
    public var version: String?
    /// The registered release it resolved to, or `nil` if not registered (kept as a name).
    public var releaseID: Int64?

    public var reference: ReleaseReference { ReleaseReference(name: name, version: version) }
}

// MARK: - JSON

extension Release: Encodable {
    enum CodingKeys: String, CodingKey {
        case id, name, version, org, license, released, url, notes, bases, files
        case parameterCount = "parameter_count", tensorCount = "tensor_count", architecture
        case fingerprintSHA256 = "fingerprint_sha256", fingerprintSize = "fingerprint_size"
        case rawRoot = "raw_root", canonicalRoot = "canonical_root"
        case registeredBy = "registered_by", registeredAt = "registered_at", signature
    }

    enum SignatureKeys: String, CodingKey {
        case keyID = "key_id", publicKey = "public_key", signature, statement, statementSHA256 = "statement_sha256"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(metadata.name, forKey: .name)
        try container.encodeIfPresent(metadata.version, forKey: .version)
        try container.encodeIfPresent(metadata.org, forKey: .org)
        try container.encodeIfPresent(metadata.license, forKey: .license)
        try container.encodeIfPresent(metadata.released, forKey: .released)
        try container.encodeIfPresent(metadata.url, forKey: .url)
        try container.encodeIfPresent(metadata.notes, forKey: .notes)
        try container.encode(bases, forKey: .bases)
        try container.encode(files, forKey: .files)
        try container.encode(parameterCount, forKey: .parameterCount)
        try container.encode(tensorCount, forKey: .tensorCount)
        try container.encode(architecture, forKey: .architecture)
        try container.encode(fingerprintSHA256, forKey: .fingerprintSHA256)
        try container.encode(fingerprintSize, forKey: .fingerprintSize)
        try container.encode(rawRoot, forKey: .rawRoot)
        try container.encode(canonicalRoot, forKey: .canonicalRoot)
        try container.encode(registeredBy, forKey: .registeredBy)
        try container.encode(registeredAt, forKey: .registeredAt)
        if let signed = signature {
            var nested = container.nestedContainer(keyedBy: SignatureKeys.self, forKey: .signature)
            try nested.encode(signed.signerKeyID.hex, forKey: .keyID)
            try nested.encode(signed.publicKey.hex, forKey: .publicKey)
            try nested.encode(signed.signature.hex, forKey: .signature)
            try nested.encode(Hex.encode(signed.statement.encoded), forKey: .statement)
            try nested.encode(signed.statement.digest.hex, forKey: .statementSHA256)
        } else {
            try container.encodeNil(forKey: .signature)
        }
    }
}

extension BaseModel: Encodable {
    enum CodingKeys: String, CodingKey {
        case name, version
        case releaseID = "release_id"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encodeIfPresent(version, forKey: .version)
        try container.encode(releaseID, forKey: .releaseID)
    }
}

// MARK: - Log

extension Release {
    /// What the log records about this release.
    func logChange(_ kind: LogEntry.Kind) -> LogStore.Change {
        LogStore.Change(kind: kind, name: metadata.name, version: metadata.version ?? "", root: canonicalRoot,
                        statementDigest: signature?.statement.digest, signerKeyID: signature?.signerKeyID)
    }
}
