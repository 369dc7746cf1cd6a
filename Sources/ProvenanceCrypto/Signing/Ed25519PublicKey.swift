/// An Ed25519 public key (RFC 8032), backed by an OpenSSL `EVP_PKEY`.
///
/// Equality and hashing compare the 32-byte encoding.
public struct Ed25519PublicKey: Hashable, Sendable, CustomStringConvertible {
    /// The 32-byte RFC 8032 encoding of the key.
    public let rawRepresentation: [UInt8]
    let key: OwnedKey

    init(key: OwnedKey) {
        self.key = key
        rawRepresentation = OpenSSL.rawPublicKey(key)
    }

    /// Imports a 32-byte RFC 8032 public key.
    public init(rawRepresentation bytes: some Collection<UInt8>) throws(CryptoError) {
        self.init(key: try OpenSSL.ed25519PublicKey(raw: Array(bytes)))
    }

    /// Imports 64 hexadecimal characters of a raw public key.
    public init(hex: some StringProtocol) throws(CryptoError) {
        guard let bytes = Hex.decode(hex) else { throw CryptoError(rule: .invalidHex(what: "public key")) }
        try self.init(rawRepresentation: bytes)
    }

    /// Parses a PEM "PUBLIC KEY" block (SubjectPublicKeyInfo, RFC 8410); rejects other key types.
    public init(pemRepresentation pem: String) throws(CryptoError) {
        try self.init(pemBytes: Array(pem.utf8))
    }

    init(pemBytes: [UInt8]) throws(CryptoError) {
        self.init(key: try OpenSSL.readPublicKeyPEM(pemBytes))
    }

    /// The PEM "PUBLIC KEY" block (SubjectPublicKeyInfo, RFC 8410), newline-terminated.
    public var pemRepresentation: String { OpenSSL.publicKeyPEM(key) }

    /// Lower-case hexadecimal of the 32-byte key.
    public var hex: String { Hex.encode(rawRepresentation) }

    /// A stable identifier: SHA-256 of the 32-byte raw key (print it with `.hex`).
    ///
    /// The same for a key read from PEM, from raw bytes, or derived from its private key.
    public var keyID: SHA256Digest { SHA256.hash(rawRepresentation) }

    public var description: String { "Ed25519 key \(keyID.hex)" }

    public static func == (lhs: Ed25519PublicKey, rhs: Ed25519PublicKey) -> Bool {
        lhs.rawRepresentation == rhs.rawRepresentation
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(rawRepresentation)
    }
}

// MARK: - Verification

extension Ed25519PublicKey {
    /// Whether `signature` is a valid Ed25519 signature of exactly `message` by this key.
    public func isValidSignature(_ signature: Ed25519Signature, for message: some ContiguousBytes) -> Bool {
        message.withUnsafeBytes { OpenSSL.verify(key, signature: signature.rawRepresentation, message: $0) }
    }

    /// Throws `signatureMismatch` unless `signature` is a valid signature of `message` by this key.
    public func verify(_ signature: Ed25519Signature, for message: some ContiguousBytes) throws(CryptoError) {
        guard isValidSignature(signature, for: message) else { throw CryptoError(rule: .signatureMismatch) }
    }
}
