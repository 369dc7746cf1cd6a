/// A `CanonicalStatement` with the Ed25519 signature over its encoding and the signer's
/// public key: what an exported fingerprint file carries.
public struct SignedStatement: Hashable, Sendable {
    /// The signed statement.
    public let statement: CanonicalStatement
    /// The key that (claims to have) signed it.
    public let publicKey: Ed25519PublicKey
    /// The signature over `statement.encoded`.
    public let signature: Ed25519Signature

    /// Signs `statement.encoded` with `key`.
    public init(signing statement: CanonicalStatement, with key: Ed25519PrivateKey) {
        self.statement = statement
        publicKey = key.publicKey
        signature = key.signature(for: statement.encoded)
    }

    /// Assembles the parts without checking them; call `verify()` before trusting it.
    public init(statement: CanonicalStatement, publicKey: Ed25519PublicKey, signature: Ed25519Signature) {
        self.statement = statement
        self.publicKey = publicKey
        self.signature = signature
    }

    /// Assembles the parts as they arrive in a file (canonical statement bytes, raw 32-byte
    /// public key, raw 64-byte signature), decoding strictly; call `verify()` before trusting it.
    public init(encodedStatement: some Collection<UInt8>, publicKey: some Collection<UInt8>, signature: some Collection<UInt8>) throws(CryptoError) {
        self.init(
            statement: try CanonicalStatement(encoded: encodedStatement),
            publicKey: try Ed25519PublicKey(rawRepresentation: publicKey),
            signature: try Ed25519Signature(rawRepresentation: signature))
    }

    /// The signer's key id (SHA-256 of the raw public key).
    public var signerKeyID: SHA256Digest { publicKey.keyID }

    /// Throws `signatureMismatch` unless `signature` is `publicKey`'s signature of the statement.
    public func verify() throws(CryptoError) {
        try publicKey.verify(signature, for: statement.encoded)
    }

    /// Like `verify()`, and also requires the signer to be the key with id `keyID`.
    public func verify(expectedSigner keyID: SHA256Digest) throws(CryptoError) {
        guard publicKey.keyID == keyID else {
            throw CryptoError(rule: .unexpectedSigner(expectedKeyID: keyID, foundKeyID: publicKey.keyID))
        }
        try verify()
    }
}
