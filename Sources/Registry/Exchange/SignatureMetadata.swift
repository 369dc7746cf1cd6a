import Fingerprinting
import ProvenanceCrypto

/// The `__metadata__` entries that carry a signed registration in an exported fingerprint
/// file: `statement` (the canonical statement bytes), `signature` (64 bytes) and
/// `public_key` (the signer's raw 32-byte Ed25519 key), each as lower-case hex.
enum SignatureMetadata {
    static let statementKey = "statement"
    static let signatureKey = "signature"
    static let publicKeyKey = "public_key"
    static let keys = [statementKey, signatureKey, publicKeyKey]

    /// The entries for `signed`.
    static func entries(for signed: SignedStatement) -> Fingerprint.ExtraMetadata {
        [
            statementKey: Hex.encode(signed.statement.encoded),
            signatureKey: signed.signature.hex,
            publicKeyKey: signed.publicKey.hex,
        ]
    }

    /// The raw parts a file carries: `nil` when it carries none of the three entries (an
    /// unsigned file). Throws naming the part when one is missing or not lower-case hex (the
    /// only encoding export writes, so a changed letter case is an alteration too).
    static func parts(in extras: Fingerprint.ExtraMetadata) throws(VerificationFailure) -> (statement: [UInt8], signature: [UInt8], publicKey: [UInt8])? {
        let present = keys.filter { extras[$0] != nil }
        guard !present.isEmpty else { return nil }
        func decode(_ key: String, _ part: VerificationFailure.Part) throws(VerificationFailure) -> [UInt8] {
            guard let text = extras[key] else {
                throw VerificationFailure(part: part, reason: "the file carries \(present.map { "\"\($0)\"" }.joined(separator: " and ")) but no \"\(key)\" entry (it was removed)")
            }
            guard let bytes = Hex.decode(text), Hex.encode(bytes) == text else {
                throw VerificationFailure(part: part, reason: "its \"\(key)\" entry is not lower-case hexadecimal")
            }
            return bytes
        }
        return (try decode(statementKey, .statement), try decode(signatureKey, .signature), try decode(publicKeyKey, .publicKey))
    }
}
