import ProvenanceCrypto

/// One registry change as recorded in the log. Its canonical encoding (`encoded`) is the
/// Merkle leaf; `leafHash` is `SHA-256(0x00 || encoded)`.
///
/// Layout (see docs/SIGNING_AND_LOG.md): `"PROVENANCE-LOG-ENTRY" || 0x01 || kind ||
/// u64 sequence || u64 timestamp || u32 len || name || u32 len || version || root[32] ||
/// flag [|| statement digest[32]] || flag [|| signer key id[32]]`, integers big-endian.
public struct LogEntry: Hashable, Sendable {
    /// What happened to the release.
    public enum Kind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
        /// A release was registered for the first time.
        case register = 1
        /// A registered release's entry was replaced (new fingerprint or metadata).
        case replace = 2
        /// A release was removed from the registry.
        case remove = 3
        /// A release was imported from another registry's export.
        case `import` = 4

        public var description: String {
            switch self {
            case .register: "register"
            case .replace: "replace"
            case .remove: "remove"
            case .import: "import"
            }
        }
    }

    /// The 20 ASCII bytes every encoded entry starts with.
    public static let magic: [UInt8] = Array("PROVENANCE-LOG-ENTRY".utf8)
    /// The format version byte that follows the magic.
    public static let formatVersion: UInt8 = 1
    /// Longest release name or version, in UTF-8 bytes.
    public static let textLengthLimit = 4096

    /// What happened.
    public let kind: Kind
    /// The entry's position in the log, from 0; equals its leaf index.
    public let sequenceNumber: UInt64
    /// When the registry recorded it: milliseconds since 1970-01-01T00:00:00Z.
    public let timestamp: UInt64
    /// The release's registry name (UTF-8, stored as given: no normalization).
    public let releaseName: String
    /// The release's version ("" when it has none).
    public let releaseVersion: String
    /// The root digest of the release's fingerprint (for `remove`: of the removed entry).
    public let fingerprintRoot: SHA256Digest
    /// SHA-256 of the signed statement's canonical encoding, when the release is signed.
    public let statementDigest: SHA256Digest?
    /// The key id of the statement's signer, when the release is signed.
    public let signerKeyID: SHA256Digest?

    /// Validates and builds an entry. Throws if the name is empty or a text field exceeds
    /// `textLengthLimit` bytes.
    public init(
        kind: Kind, sequenceNumber: UInt64, timestamp: UInt64,
        releaseName: String, releaseVersion: String, fingerprintRoot: SHA256Digest,
        statementDigest: SHA256Digest? = nil, signerKeyID: SHA256Digest? = nil
    ) throws(LogError) {
        guard !releaseName.isEmpty else { throw .invalidField(what: "log entry", field: "release name", reason: "it is empty") }
        for (field, text) in [("release name", releaseName), ("release version", releaseVersion)] where text.utf8.count > Self.textLengthLimit {
            throw .invalidField(what: "log entry", field: field, reason: "it is \(text.utf8.count) bytes long, above the limit of \(Self.textLengthLimit)")
        }
        self.kind = kind
        self.sequenceNumber = sequenceNumber
        self.timestamp = timestamp
        self.releaseName = releaseName
        self.releaseVersion = releaseVersion
        self.fingerprintRoot = fingerprintRoot
        self.statementDigest = statementDigest
        self.signerKeyID = signerKeyID
    }

    /// The Merkle leaf hash of this entry: `SHA-256(0x00 || encoded)`.
    public var leafHash: SHA256Digest { MerkleHash.leaf(encoded) }
}
