/// An Ed25519 private key (RFC 8032), backed by an OpenSSL `EVP_PKEY`.
///
/// Deliberately not `Equatable` and without `description`, so secrets do not end up in
/// logs or comparisons by accident; `rawRepresentation` and `pemRepresentation` export it.
public struct Ed25519PrivateKey: Sendable {
    let key: OwnedKey
    /// The matching public key.
    public let publicKey: Ed25519PublicKey

    init(key: OwnedKey) {
        self.key = key
        publicKey = Ed25519PublicKey(key: key)
    }

    /// A fresh key pair from OpenSSL's cryptographically secure random generator.
    public static func generate() throws(CryptoError) -> Ed25519PrivateKey {
        Ed25519PrivateKey(key: try OpenSSL.generateEd25519Key())
    }

    /// Imports the 32-byte RFC 8032 secret key (the seed the key pair is derived from).
    public init(rawRepresentation seed: some Collection<UInt8>) throws(CryptoError) {
        self.init(key: try OpenSSL.ed25519PrivateKey(seed: Array(seed)))
    }

    /// Parses an unencrypted PKCS#8 PEM "PRIVATE KEY" block (RFC 8410); rejects other key
    /// types and encrypted keys (it never prompts for a passphrase).
    public init(pemRepresentation pem: String) throws(CryptoError) {
        try self.init(pemBytes: Array(pem.utf8))
    }

    init(pemBytes: [UInt8]) throws(CryptoError) {
        self.init(key: try OpenSSL.readPrivateKeyPEM(pemBytes))
    }

    /// The 32-byte RFC 8032 secret key.
    public var rawRepresentation: [UInt8] { OpenSSL.rawPrivateKey(key) }

    /// The unencrypted PKCS#8 PEM "PRIVATE KEY" block, newline-terminated. Store it with
    /// `KeyFile.writePrivateKey`, which sets mode 0600.
    public var pemRepresentation: String { OpenSSL.privateKeyPEM(key) }

    /// The Ed25519 signature of exactly `message` (pure Ed25519: no pre-hashing, no context).
    /// Deterministic: the same key and message always give the same signature.
    public func signature(for message: some ContiguousBytes) -> Ed25519Signature {
        Ed25519Signature(unchecked: message.withUnsafeBytes { OpenSSL.sign(key, message: $0) })
    }
}
