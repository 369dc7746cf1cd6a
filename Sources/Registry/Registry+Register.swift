import Fingerprinting
import GRDB
import ProvenanceCrypto

// MARK: - Registering

extension Registry {
    /// Stores `fingerprint` as the release `metadata` in one transaction.
    ///
    /// Refuses a name+version that is already registered unless `replace` is true (then the
    /// old entry is removed in the same transaction). Reports other releases with identical
    /// weights (same canonical root) or exactly shared tensors: identical weights under
    /// another name is itself a finding.
    ///
    /// With `signingKey`, the registration is signed: the key signs the canonical statement
    /// of the release (metadata, fingerprint digests, file digests, registration time and
    /// registrant; docs/SIGNING_AND_LOG.md), which is stored with the release and exported
    /// with it. The change is appended to the log in the same transaction.
    ///
    /// - Parameters:
    ///   - registeredBy: who registers (default `user@host`).
    ///   - registeredAt: UTC ISO-8601 time (default now); imports keep the original time.
    ///   - signingKey: the publisher's Ed25519 key, or `nil` for an unsigned registration.
    public func register(fingerprint: Fingerprint, metadata: ReleaseMetadata, replace: Bool = false,
                         registeredBy: String? = nil, registeredAt: String? = nil,
                         signingKey: Ed25519PrivateKey? = nil) throws -> RegistrationResult {
        if let problem = FingerprintConsistency.problem(in: fingerprint) {
            throw RegistryError.invalidFingerprintFile(file: "the fingerprint of \(metadata.reference)", reason: problem)
        }
        var prepared = try PreparedRelease(
            fingerprint: fingerprint, metadata: metadata, registeredBy: registeredBy ?? Self.defaultRegisteredBy(),
            registeredAt: registeredAt ?? Timestamp.now())
        if let signingKey {
            prepared.signature = try RegistrationStatement.sign(prepared, with: signingKey)
        }
        return try write { db in
            var replaced: Release?
            if let existingID = try ReleaseStore.latestID(of: ReleaseReference(name: prepared.metadata.name, version: prepared.metadata.version ?? ""), in: db),
               let existing = try ReleaseStore.release(id: existingID, in: db) {
                guard replace else {
                    throw RegistryError.duplicateRelease(reference: existing.reference.description, existingID: existing.id, registeredAt: existing.registeredAt)
                }
                try ReleaseStore.delete(id: existing.id, in: db)
                replaced = existing
            }
            let findings = try Self.findings(for: prepared.fingerprint, in: db)
            let id = try ReleaseStore.insert(prepared, in: db)
            try LogStore.append([prepared.logChange(replaced == nil ? .register : .replace)], keyPath: logKeyPath, in: db)
            TestHooks.pauseBeforeCommitIfRequested()
            guard let release = try ReleaseStore.release(id: id, in: db) else {
                throw RegistryError.corruptEntry(reference: prepared.metadata.reference.description, reason: "it vanished after insertion")
            }
            return RegistrationResult(release: release, replaced: replaced, findings: findings)
        }
    }

    /// Releases already registered with identical weights or exactly shared tensors.
    static func findings(for fingerprint: Fingerprint, in db: Database) throws -> [WeightsFinding] {
        let lookup = IndexedLookup(fingerprint)
        let shares = try lookup.exactShares(in: db).filter { $0.value.hasExactShares }
        let releases = try ReleaseStore.releases(ids: Array(shares.keys), in: db)
        return releases.compactMap { release -> WeightsFinding? in
            guard let share = shares[release.id] else { return nil }
            return WeightsFinding(
                release: release, identicalWeights: share.identicalCanonicalRoot, identicalBytes: share.identicalRawRoot,
                sharedTensors: share.sharedCanonicalTensors, informativeTensors: lookup.informativeTensorCount,
                sharedParameters: share.sharedParameters)
        }
        .sorted {
            ($0.identicalWeights ? 1 : 0, $0.sharedParameters, $0.sharedTensors, -$0.release.id)
                > ($1.identicalWeights ? 1 : 0, $1.sharedParameters, $1.sharedTensors, -$1.release.id)
        }
    }
}
