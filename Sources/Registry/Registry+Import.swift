import Fingerprinting
import Foundation
import ProvenanceCrypto

// MARK: - Import

extension Registry {
    /// The largest fingerprint file `import` reads.
    static let maximumFileSize: UInt64 = 1 << 30

    /// Imports exported fingerprint files (files, or directories holding
    /// `*.fingerprint.safetensors`) in one transaction: either every file is imported or,
    /// on the first bad file or conflict, nothing is.
    ///
    /// Each file is decoded (format and version checked), its roots are recomputed from its
    /// tensor digests, its sketch keys checked against its tensors, and its `release`
    /// metadata validated. A signed file's statement, signature and public key are verified
    /// against its fingerprint and metadata (`RegistryError.verificationFailed` names the
    /// altered part); unsigned files are imported as unsigned. A file identical to the stored
    /// entry (signature included) is `unchanged`; a different entry with the same name and
    /// version is an error unless `replace`. Each change is appended to the log in the same
    /// transaction (`import`, or `replace`).
    ///
    /// - Parameter expectedSigner: when given, every file must be signed by this key id.
    public func `import`(paths: [String], replace: Bool = false, expectedSigner: SHA256Digest? = nil) throws -> ImportResult {
        let items = try Self.decodeImports(Self.fingerprintFiles(in: paths), expectedSigner: expectedSigner)
        let entries = try write { db in
            var entries: [ImportResult.Entry] = []
            var changes: [LogStore.Change] = []
            for item in items {
                let reference = item.prepared.metadata.reference
                var outcome = ImportResult.Entry.Outcome.imported
                if let existingID = try ReleaseStore.latestID(of: ReleaseReference(name: reference.name, version: reference.version ?? ""), in: db),
                   let existing = try ReleaseStore.release(id: existingID, in: db) {
                    if existing.fingerprintSHA256 == item.prepared.sha256, existing.metadata == item.prepared.metadata,
                       existing.registeredAt == item.prepared.registeredAt, existing.registeredBy == item.prepared.registeredBy,
                       existing.signature == item.prepared.signature {
                        entries.append(.init(file: item.file, release: existing, outcome: .unchanged, findings: []))
                        continue
                    }
                    guard replace else {
                        throw RegistryError.importConflict(
                            file: item.file, reference: reference.description,
                            reason: "is already registered (id \(existing.id), registered \(existing.registeredAt)) with a different fingerprint, metadata or signature; pass --replace to overwrite it")
                    }
                    try ReleaseStore.delete(id: existing.id, in: db)
                    outcome = .replaced
                }
                let findings = try Self.findings(for: item.prepared.fingerprint, in: db)
                let id = try ReleaseStore.insert(item.prepared, in: db)
                changes.append(item.prepared.logChange(outcome == .replaced ? .replace : .import))
                guard let release = try ReleaseStore.release(id: id, in: db) else {
                    throw RegistryError.corruptEntry(reference: reference.description, reason: "it vanished after insertion")
                }
                entries.append(.init(file: item.file, release: release, outcome: outcome, findings: findings))
            }
            try LogStore.append(changes, keyPath: logKeyPath, in: db)
            TestHooks.pauseBeforeCommitIfRequested()
            return entries
        }
        return ImportResult(entries: entries)
    }

    /// A decoded, validated file ready to insert.
    struct DecodedImport {
        var file: String
        var prepared: PreparedRelease
    }

    /// Files named by `paths`: files as given, directories expanded (non-recursively) to
    /// their `*.fingerprint.safetensors`, sorted by name.
    static func fingerprintFiles(in paths: [String]) throws -> [String] {
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw RegistryError.io(path: path, operation: "read", reason: "it does not exist")
            }
            guard isDirectory.boolValue else {
                files.append(path)
                continue
            }
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: path)
            } catch {
                throw RegistryError.io(path: path, operation: "list", reason: error.localizedDescription)
            }
            let matching = names.filter { !$0.hasPrefix(".") && $0.hasSuffix("." + FingerprintFormat.fileExtension) }.sorted()
            guard !matching.isEmpty else { throw RegistryError.noFingerprintFiles(path: path) }
            files += matching.map { (path as NSString).appendingPathComponent($0) }
        }
        return files
    }

    /// Reads, decodes and validates every file before any transaction starts.
    static func decodeImports(_ files: [String], expectedSigner: SHA256Digest? = nil) throws -> [DecodedImport] {
        var items: [DecodedImport] = []
        var seen: [ReleaseReference: String] = [:]
        for file in files {
            let item = try decodeImport(file, expectedSigner: expectedSigner)
            let reference = item.prepared.metadata.reference
            if let other = seen[reference] {
                throw RegistryError.importConflict(file: file, reference: reference.description, reason: "is also in \(other)")
            }
            seen[reference] = file
            items.append(item)
        }
        return items
    }

    static func decodeImport(_ file: String, expectedSigner: SHA256Digest? = nil) throws -> DecodedImport {
        let exported = try ExportedFingerprint(file: file, limit: maximumFileSize)
        let fingerprint = exported.fingerprint
        let signatureParts: (statement: [UInt8], signature: [UInt8], publicKey: [UInt8])?
        do {
            signatureParts = try SignatureMetadata.parts(in: exported.extras)
        } catch {
            throw RegistryError.verificationFailed(subject: file, failure: error)
        }
        if let problem = FingerprintConsistency.problem(in: fingerprint) {
            guard signatureParts != nil else { throw RegistryError.invalidFingerprintFile(file: file, reason: problem) }
            throw RegistryError.verificationFailed(subject: file, failure: VerificationFailure(part: .fingerprint, reason: problem))
        }
        guard let json = exported.extras[ReleaseDocument.metadataKey] else {
            throw RegistryError.invalidFingerprintFile(
                file: file, reason: "it has no \"release\" metadata (a bare fingerprint: register it with `provenance register FILE --name …`)")
        }
        let document: ReleaseDocument
        switch ReleaseDocument.parse(json) {
        case .success(let parsed): document = parsed
        case .failure(let failure): throw RegistryError.invalidFingerprintFile(file: file, reason: failure.reason)
        }
        var prepared = try PreparedRelease(fingerprint: fingerprint, metadata: document.metadata,
                                           registeredBy: document.registeredBy, registeredAt: document.registeredAt)
        // Whether the fingerprint part is the one exported (a signed file's statement checks it
        // again, below, with the signature's authority).
        let digestProblem: String?
        if let recorded = document.fingerprintSHA256 {
            digestProblem = recorded == exported.fingerprintPartSHA256.hex ? nil
                : "its fingerprint part was altered or corrupted: its SHA-256 is \(exported.fingerprintPartSHA256.hex), but the release metadata records \(recorded)"
        } else {
            digestProblem = "its \"release\" metadata has no fingerprint_sha256, so a corrupted fingerprint could not be told apart (export it again)"
        }
        guard let parts = signatureParts else {
            if let digestProblem { throw RegistryError.invalidFingerprintFile(file: file, reason: digestProblem) }
            if let expectedSigner {
                throw RegistryError.verificationFailed(subject: file, failure: VerificationFailure(
                    part: .signer, reason: "the file is not signed, but a signature by key \(expectedSigner.hex) is required"))
            }
            return DecodedImport(file: file, prepared: prepared)
        }
        let subject = SignatureCheck.Subject(
            metadata: prepared.metadata, fingerprint: fingerprint, fingerprintSHA256: exported.fingerprintPartSHA256,
            registeredAt: prepared.registeredAt, registeredBy: prepared.registeredBy, holder: "the file")
        do {
            prepared.signature = try SignatureCheck.verify(statement: parts.statement, signature: parts.signature, publicKey: parts.publicKey,
                                                           subject: subject, expectedSigner: expectedSigner)
        } catch {
            throw RegistryError.verificationFailed(subject: file, failure: error)
        }
        if let digestProblem {
            throw RegistryError.verificationFailed(subject: file, failure: VerificationFailure(part: .fingerprint, reason: digestProblem))
        }
        // The signed digest covers the file's fingerprint bytes; the registry stores the
        // fingerprint's canonical encoding, which must be those very bytes — or, for a file signed
        // before expert tables, the format-version-1 encoding, which is then kept as it is.
        if prepared.sha256 != exported.fingerprintPartSHA256 {
            let legacy = try fingerprint.encoded(expertTables: false)
            guard SHA256.hash(legacy) == exported.fingerprintPartSHA256 else {
                throw RegistryError.verificationFailed(subject: file, failure: VerificationFailure(
                    part: .fingerprint, reason: "its fingerprint bytes are not in the canonical encoding (SHA-256 \(exported.fingerprintPartSHA256.hex) as stored, \(prepared.sha256.hex) re-encoded)"))
            }
            prepared.keepEncoding(legacy)
        }
        return DecodedImport(file: file, prepared: prepared)
    }
}
