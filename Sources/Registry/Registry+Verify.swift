import Fingerprinting
import Foundation
import ProvenanceCrypto

// MARK: - Verifying signed registrations

extension Registry {
    /// Verifies an exported fingerprint file without importing it: the same checks as
    /// `import` (format, roots recomputed from tensor digests, index keys, release metadata,
    /// and for a signed file the statement, signature and public key against the fingerprint
    /// and metadata). Throws `verificationFailed` naming the altered part.
    ///
    /// - Parameter expectedSigner: when given, the file must be signed by this key id.
    public static func verifyExportedFile(_ path: String, expectedSigner: SHA256Digest? = nil) throws -> RegistrationVerification {
        try verifiedFile(path, expectedSigner: expectedSigner).verification
    }

    static func verifiedFile(_ path: String, expectedSigner: SHA256Digest?) throws -> (verification: RegistrationVerification, fingerprint: Fingerprint) {
        let prepared = try decodeImport(path, expectedSigner: expectedSigner).prepared
        let fingerprint = prepared.fingerprint
        let verification = RegistrationVerification(
            subject: path, metadata: prepared.metadata, registeredAt: prepared.registeredAt, registeredBy: prepared.registeredBy,
            fingerprintSHA256: prepared.sha256, rawRoot: fingerprint.roots.raw, canonicalRoot: fingerprint.roots.canonical,
            files: Self.files(of: fingerprint), tensorCount: fingerprint.tensors.count, signature: prepared.signature)
        return (verification, fingerprint)
    }

    /// Verifies a registered release (`NAME@VERSION`, or the latest version of `NAME`): its
    /// stored fingerprint against its recorded digest and roots, its stored statement,
    /// signature and public key against the release, and its log entry against the latest
    /// signed tree head (reported in `logInclusion` / `logProblem`, not thrown).
    public func verify(_ reference: String, expectedSigner: SHA256Digest? = nil) throws -> RegistrationVerification {
        try verifiedRelease(reference, expectedSigner: expectedSigner).verification
    }

    func verifiedRelease(_ reference: String, expectedSigner: SHA256Digest?) throws -> (verification: RegistrationVerification, fingerprint: Fingerprint) {
        let release = try release(named: reference)
        let subject = release.reference.description
        func failure(_ part: VerificationFailure.Part, _ reason: String) -> RegistryError {
            .verificationFailed(subject: subject, failure: VerificationFailure(part: part, reason: reason))
        }
        let bytes: [UInt8]
        do {
            bytes = try read { db in try ReleaseStore.fingerprintBytes(of: release, in: db) }
        } catch RegistryError.corruptEntry(_, let reason) {
            throw failure(.fingerprint, reason)
        }
        let fingerprint: Fingerprint
        do {
            fingerprint = try Fingerprint.decode(bytes, name: "registry entry \(subject)").fingerprint
        } catch let error as FingerprintFileError {
            throw failure(.fingerprint, "its stored fingerprint does not decode (\(error.reason))")
        }
        if let problem = FingerprintConsistency.problem(in: fingerprint) { throw failure(.fingerprint, problem) }
        if release.rawRoot != fingerprint.roots.raw || release.canonicalRoot != fingerprint.roots.canonical {
            throw failure(.fingerprint, "the registry's root columns differ from the roots of its stored fingerprint")
        }
        if release.files != Self.files(of: fingerprint) {
            throw failure(.fingerprint, "the registry's file list (release_files) differs from the files of its stored fingerprint")
        }
        if let signed = release.signature {
            let check = SignatureCheck.Subject(
                metadata: release.metadata, fingerprint: fingerprint, fingerprintSHA256: SHA256.hash(bytes),
                registeredAt: release.registeredAt, registeredBy: release.registeredBy, holder: "the registry")
            do {
                _ = try SignatureCheck.verify(statement: signed.statement.encoded, signature: signed.signature.rawRepresentation,
                                              publicKey: signed.publicKey.rawRepresentation, subject: check, expectedSigner: expectedSigner)
            } catch {
                throw RegistryError.verificationFailed(subject: subject, failure: error)
            }
        } else if let expectedSigner {
            throw failure(.signer, "the registration is not signed, but a signature by key \(expectedSigner.hex) is required")
        }
        var verification = RegistrationVerification(
            subject: subject, metadata: release.metadata, registeredAt: release.registeredAt, registeredBy: release.registeredBy,
            fingerprintSHA256: release.fingerprintSHA256, rawRoot: release.rawRoot, canonicalRoot: release.canonicalRoot,
            files: release.files, tensorCount: fingerprint.tensors.count, signature: release.signature)
        do {
            verification.logInclusion = try inclusionProof(for: subject)
        } catch let error as RegistryError {
            verification.logProblem = RegistryError.clause(error.description)
        }
        return (verification, fingerprint)
    }

    // MARK: - A checkpoint against a release

    /// Verifies the registered release `reference` (as `verify(_:)`), then compares the
    /// fingerprint of a checkpoint on disk with it, file by file and tensor by tensor.
    public func compare(_ checkpoint: Fingerprint, against reference: String,
                        expectedSigner: SHA256Digest? = nil) throws -> (verification: RegistrationVerification, comparison: CheckpointComparison) {
        let (verification, expected) = try verifiedRelease(reference, expectedSigner: expectedSigner)
        return (verification, CheckpointComparison(expected: expected, actual: checkpoint))
    }

    /// Verifies the exported file `path` (as `verifyExportedFile`), then compares the
    /// fingerprint of a checkpoint on disk with it.
    public static func compare(_ checkpoint: Fingerprint, againstFile path: String,
                               expectedSigner: SHA256Digest? = nil) throws -> (verification: RegistrationVerification, comparison: CheckpointComparison) {
        let (verification, expected) = try verifiedFile(path, expectedSigner: expectedSigner)
        return (verification, CheckpointComparison(expected: expected, actual: checkpoint))
    }

    static func files(of fingerprint: Fingerprint) -> [ReleaseFile] {
        fingerprint.source.files.map { ReleaseFile(name: $0.name, size: $0.size, sha256: $0.sha256) }
    }
}
