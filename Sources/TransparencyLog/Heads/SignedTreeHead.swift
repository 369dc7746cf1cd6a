import ProvenanceCrypto

/// A tree head signed by the log's Ed25519 key at a stated time.
///
/// Signed bytes (101, see docs/SIGNING_AND_LOG.md):
/// `"PROVENANCE-TREE-HEAD" || 0x01 || keyID[32] || u64 size || root[32] || u64 timestamp`,
/// integers big-endian. The transport encoding appends the 64-byte signature (165 bytes).
public struct SignedTreeHead: Hashable, Sendable {
    /// The 20 ASCII bytes the signed bytes start with.
    public static let magic: [UInt8] = Array("PROVENANCE-TREE-HEAD".utf8)
    /// The format version byte that follows the magic.
    public static let formatVersion: UInt8 = 1
    /// Length of `signedBytes`.
    public static let signedByteCount = 20 + 1 + 32 + 8 + 32 + 8
    /// Length of `encoded`.
    public static let encodedByteCount = signedByteCount + Ed25519Signature.byteCount

    /// The signed size and root.
    public let treeHead: TreeHead
    /// When the head was signed: milliseconds since 1970-01-01T00:00:00Z.
    public let timestamp: UInt64
    /// The signing key's id (SHA-256 of its raw public key), inside the signed bytes.
    public let keyID: SHA256Digest
    /// The Ed25519 signature over `signedBytes`.
    public let signature: Ed25519Signature

    /// Signs `treeHead` at `timestamp` (milliseconds since the Unix epoch) with the log key.
    public init(signing treeHead: TreeHead, timestamp: UInt64, with key: Ed25519PrivateKey) {
        self.treeHead = treeHead
        self.timestamp = timestamp
        keyID = key.publicKey.keyID
        signature = key.signature(for: Self.signedBytes(treeHead: treeHead, timestamp: timestamp, keyID: keyID))
    }

    /// Assembles the parts without checking them; call `verify(with:)` before trusting it.
    public init(treeHead: TreeHead, timestamp: UInt64, keyID: SHA256Digest, signature: Ed25519Signature) {
        self.treeHead = treeHead
        self.timestamp = timestamp
        self.keyID = keyID
        self.signature = signature
    }

    /// The exact bytes that are signed.
    public var signedBytes: [UInt8] { Self.signedBytes(treeHead: treeHead, timestamp: timestamp, keyID: keyID) }

    /// The exact bytes signed for a head, time and key id.
    public static func signedBytes(treeHead: TreeHead, timestamp: UInt64, keyID: SHA256Digest) -> [UInt8] {
        var encoder = CanonicalEncoder()
        encoder.append(contentsOf: magic)
        encoder.append(formatVersion)
        encoder.append(contentsOf: keyID.bytes)
        encoder.append(bigEndian: treeHead.size)
        encoder.append(contentsOf: treeHead.rootHash.bytes)
        encoder.append(bigEndian: timestamp)
        return encoder.bytes
    }

    /// Throws unless `publicKey` is the key named by `keyID` and its signature over
    /// `signedBytes` verifies.
    public func verify(with publicKey: Ed25519PublicKey) throws(LogError) {
        guard publicKey.keyID == keyID else { throw .treeHeadKeyMismatch(expected: publicKey.keyID, found: keyID) }
        guard publicKey.isValidSignature(signature, for: signedBytes) else {
            throw .treeHeadSignatureInvalid(size: treeHead.size)
        }
    }
}

// MARK: - Transport encoding

extension SignedTreeHead {
    /// `signedBytes || signature`: 165 bytes, e.g. for a file or (hex) a command-line argument.
    public var encoded: [UInt8] { signedBytes + signature.rawRepresentation }

    /// Decodes `encoded` strictly (exact length, magic, version). Does not verify the
    /// signature: call `verify(with:)`.
    public init(encoded input: some Collection<UInt8>) throws(LogError) {
        var decoder = CanonicalDecoder(input)
        do throws(CanonicalDecodingError) {
            try decoder.expect(Self.magic, "the \"PROVENANCE-TREE-HEAD\" prefix")
            let version = try decoder.readUInt8("the format version")
            guard version == Self.formatVersion else {
                throw CanonicalDecodingError(offset: decoder.offset - 1, reason: "format version \(version) is not supported (expected \(Self.formatVersion))")
            }
            let keyID = SHA256Digest(bytes: try decoder.read(count: 32, "the key id"))!
            let size = try decoder.readUInt64("the tree size")
            let root = SHA256Digest(bytes: try decoder.read(count: 32, "the root hash"))!
            let timestamp = try decoder.readUInt64("the timestamp")
            let signature = try decoder.read(count: Ed25519Signature.byteCount, "the signature")
            try decoder.finish()
            self.init(
                treeHead: TreeHead(size: size, rootHash: root), timestamp: timestamp, keyID: keyID,
                // Exactly 64 bytes were read above, so this cannot throw.
                signature: try! Ed25519Signature(rawRepresentation: signature))
        } catch {
            throw .malformed(what: "signed tree head", reason: error.description)
        }
    }
}
