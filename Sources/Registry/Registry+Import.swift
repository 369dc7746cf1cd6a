import Fingerprinting
import Foundation

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
    /// metadata validated. A file identical to the stored entry is `unchanged`; a different
    /// entry with the same name and version is an error unless `replace`.
    public func `import`(paths: [String], replace: Bool = false) throws -> ImportResult {
        let items = try Self.decodeImports(Self.fingerprintFiles(in: paths))
        let entries = try write { db in
            var entries: [ImportResult.Entry] = []
            for item in items {
                let reference = item.prepared.metadata.reference
                var outcome = ImportResult.Entry.Outcome.imported
                if let existingID = try ReleaseStore.latestID(of: ReleaseReference(name: reference.name, version: reference.version ?? ""), in: db),
                   let existing = try ReleaseStore.release(id: existingID, in: db) {
                    if existing.fingerprintSHA256 == item.prepared.sha256, existing.metadata == item.prepared.metadata,
                       existing.registeredAt == item.prepared.registeredAt, existing.registeredBy == item.prepared.registeredBy {
                        entries.append(.init(file: item.file, release: existing, outcome: .unchanged, findings: []))
                        continue
                    }
                    guard replace else {
                        throw RegistryError.importConflict(
                            file: item.file, reference: reference.description,
                            reason: "is already registered (id \(existing.id), registered \(existing.registeredAt)) with a different fingerprint or metadata; pass --replace to overwrite it")
                    }
                    try ReleaseStore.delete(id: existing.id, in: db)
                    outcome = .replaced
                }
                let findings = try Self.findings(for: item.prepared.fingerprint, in: db)
                let id = try ReleaseStore.insert(item.prepared, in: db)
                guard let release = try ReleaseStore.release(id: id, in: db) else {
                    throw RegistryError.corruptEntry(reference: reference.description, reason: "it vanished after insertion")
                }
                entries.append(.init(file: item.file, release: release, outcome: outcome, findings: findings))
            }
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
    static func decodeImports(_ files: [String]) throws -> [DecodedImport] {
        var items: [DecodedImport] = []
        var seen: [ReleaseReference: String] = [:]
        for file in files {
            let item = try decodeImport(file)
            let reference = item.prepared.metadata.reference
            if let other = seen[reference] {
                throw RegistryError.importConflict(file: file, reference: reference.description, reason: "is also in \(other)")
            }
            seen[reference] = file
            items.append(item)
        }
        return items
    }

    static func decodeImport(_ file: String) throws -> DecodedImport {
        let size: UInt64
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: file)
            size = (attributes[.size] as? NSNumber)?.uint64Value ?? 0
        } catch {
            throw RegistryError.io(path: file, operation: "read", reason: error.localizedDescription)
        }
        guard size <= maximumFileSize else {
            throw RegistryError.invalidFingerprintFile(file: file, reason: "it is \(size) bytes, more than the \(maximumFileSize)-byte limit for a fingerprint file")
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw RegistryError.io(path: file, operation: "read", reason: "it cannot be read")
        }
        let decoded: (fingerprint: Fingerprint, extraMetadata: Fingerprint.ExtraMetadata)
        do {
            decoded = try Fingerprint.decode([UInt8](data), name: file)
        } catch let error as FingerprintFileError {
            throw RegistryError.invalidFingerprintFile(file: file, reason: error.reason)
        }
        if let problem = FingerprintConsistency.problem(in: decoded.fingerprint) {
            throw RegistryError.invalidFingerprintFile(file: file, reason: problem)
        }
        guard let json = decoded.extraMetadata[ReleaseDocument.metadataKey] else {
            throw RegistryError.invalidFingerprintFile(
                file: file, reason: "it has no \"release\" metadata (a bare fingerprint: register it with `provenance register FILE --name …`)")
        }
        let document: ReleaseDocument
        switch ReleaseDocument.parse(json) {
        case .success(let parsed): document = parsed
        case .failure(let failure): throw RegistryError.invalidFingerprintFile(file: file, reason: failure.reason)
        }
        let prepared = try PreparedRelease(fingerprint: decoded.fingerprint, metadata: document.metadata,
                                           registeredBy: document.registeredBy, registeredAt: document.registeredAt)
        return DecodedImport(file: file, prepared: prepared)
    }
}
