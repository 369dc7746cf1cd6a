import Fingerprinting
import ProvenanceCrypto

/// Verifies a signed registration against the release it claims to describe, and names the
/// part that was altered when it does not verify.
///
/// The verifier rebuilds the statement it expects from what it holds (release metadata,
/// fingerprint, fingerprint digest, the carried public key) and checks the signature:
/// - signature valid, statement ≠ expected: the statement is authentic, so the fingerprint or
///   the release metadata it describes was altered (named by the differing fields);
/// - signature invalid, but valid over the expected statement: the statement was altered;
/// - signature invalid, statement = expected except its signer key id: the public key was
///   altered or replaced;
/// - signature invalid, statement = expected: the signature was altered.
enum SignatureCheck {
    /// The release as the verifier holds it.
    struct Subject {
        var metadata: ReleaseMetadata
        var fingerprint: Fingerprint
        /// SHA-256 of the fingerprint file bytes without extra metadata.
        var fingerprintSHA256: SHA256Digest
        var registeredAt: String
        var registeredBy: String
        /// Where the subject comes from, for messages: "the file", "the registry".
        var holder: String

        func expectedFields(signerKeyID: SHA256Digest) -> [StatementField] {
            RegistrationStatement.fields(metadata: metadata, fingerprint: fingerprint, fingerprintSHA256: fingerprintSHA256,
                                         registeredAt: registeredAt, registeredBy: registeredBy, signerKeyID: signerKeyID)
        }
    }

    /// Checks raw parts (statement encoding, 64-byte signature, 32-byte public key) against
    /// `subject`; returns the verified statement, or throws naming the altered part.
    static func verify(statement statementBytes: [UInt8], signature signatureBytes: [UInt8], publicKey publicKeyBytes: [UInt8],
                       subject: Subject, expectedSigner: SHA256Digest?) throws(VerificationFailure) -> SignedStatement {
        let publicKey: Ed25519PublicKey
        do {
            guard publicKeyBytes.count == 32 else { throw CryptoError(rule: .badKeyLength(role: .publicKey, expected: 32, got: publicKeyBytes.count)) }
            publicKey = try Ed25519PublicKey(rawRepresentation: publicKeyBytes)
        } catch {
            throw VerificationFailure(part: .publicKey, reason: "it is not a 32-byte Ed25519 public key (\(publicKeyBytes.count) bytes)")
        }
        let signature: Ed25519Signature
        do {
            signature = try Ed25519Signature(rawRepresentation: signatureBytes)
        } catch {
            throw VerificationFailure(part: .signature, reason: "it is \(signatureBytes.count) bytes, not \(Ed25519Signature.byteCount)")
        }
        let statement: CanonicalStatement
        do {
            statement = try CanonicalStatement(encoded: statementBytes)
        } catch {
            if case .statementMalformed(let reason) = error.rule {
                throw VerificationFailure(part: .statement, reason: "it is not in canonical form (\(reason))")
            }
            throw VerificationFailure(part: .statement, reason: error.description)
        }
        let expected = subject.expectedFields(signerKeyID: publicKey.keyID)
        let differences = RegistrationStatement.differences(statement, expected: expected)

        if publicKey.isValidSignature(signature, for: statement.encoded) {
            // The statement is what the key signed: whatever disagrees with it was altered.
            if let first = differences.first {
                let part = first.part == .publicKey ? VerificationFailure.Part.statement : first.part
                let detail = differences.prefix(3).map { $0.clause(holder: subject.holder) }.joined(separator: "; ")
                throw VerificationFailure(part: part, reason: "\(detail) (the signature over the statement is valid)")
            }
            if let expectedSigner, publicKey.keyID != expectedSigner {
                throw VerificationFailure(part: .signer, reason: "key \(publicKey.keyID.hex) signed it, not the expected key \(expectedSigner.hex)")
            }
            return SignedStatement(statement: statement, publicKey: publicKey, signature: signature)
        }

        if let rebuilt = try? CanonicalStatement(fields: expected), rebuilt.encoded != statement.encoded,
           publicKey.isValidSignature(signature, for: rebuilt.encoded) {
            let detail = differences.prefix(3).map { $0.clause(holder: subject.holder) }.joined(separator: "; ")
            throw VerificationFailure(part: .statement, reason: "\(detail); the signature verifies over the statement the file describes, not over the one it carries")
        }
        if differences.map(\.key) == ["signer.key_id"] {
            let named = statement.text("signer.key_id") ?? "?"
            throw VerificationFailure(part: .publicKey, reason: "the statement was signed by key \(named), but the file carries key \(publicKey.keyID.hex), and the signature does not verify with it")
        }
        if differences.isEmpty {
            throw VerificationFailure(part: .signature, reason: "it does not verify over the statement with key \(publicKey.keyID.hex), although the statement matches \(subject.holder)")
        }
        let detail = differences.prefix(3).map { $0.clause(holder: subject.holder) }.joined(separator: "; ")
        throw VerificationFailure(part: .statement, reason: "\(detail), and the signature does not verify")
    }
}
