import Checkpoints
import Fingerprinting
import Foundation
import GRDB
import ProvenanceCrypto

// MARK: - Export

extension Registry {
    /// Writes each named release (`NAME@VERSION`, or `NAME` for its latest version) to
    /// `directory` as a portable fingerprint file: the fingerprint file format plus a
    /// `release` metadata entry (release metadata, registered_at, registered_by). Files are
    /// named `NAME@VERSION.fingerprint.safetensors` (unsafe characters replaced) and appear
    /// atomically; an existing file of the same name is replaced.
    public func export(_ references: [String], to directory: String) throws -> [ExportedFile] {
        let parsed = try references.map { try ReleaseReference(parsing: $0) }
        let releases = try read { db in try parsed.map { try Self.resolve($0, in: db) } }
        return try export(releases: releases, to: directory)
    }

    /// Exports every registered release.
    public func exportAll(to directory: String) throws -> [ExportedFile] {
        try export(releases: list(), to: directory)
    }

    private func export(releases: [Release], to directory: String) throws -> [ExportedFile] {
        var unique: [Release] = []
        for release in releases where !unique.contains(where: { $0.id == release.id }) { unique.append(release) }
        var byFile: [String: Release] = [:]
        for release in unique {
            let name = Self.exportFileName(release.reference)
            if let other = byFile[name.lowercased()] {
                throw RegistryError.exportNameCollision(file: name, references: [other.reference.description, release.reference.description])
            }
            byFile[name.lowercased()] = release
        }
        let blobs = try read { db in try unique.map { try ReleaseStore.fingerprintBytes(of: $0, in: db) } }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw RegistryError.io(path: directory, operation: "create the directory", reason: error.localizedDescription)
        }
        var written: [ExportedFile] = []
        for (release, blob) in zip(unique, blobs) {
            let fingerprint: Fingerprint
            do {
                fingerprint = try Fingerprint.decode(blob, name: "registry entry \(release.reference)").fingerprint
            } catch let error as FingerprintFileError {
                throw RegistryError.corruptEntry(reference: release.reference.description, reason: error.reason)
            }
            let document = ReleaseDocument(metadata: release.metadata, registeredAt: release.registeredAt, registeredBy: release.registeredBy)
            let bytes = try fingerprint.encoded(extraMetadata: [ReleaseDocument.metadataKey: try document.json()])
            let path = (directory as NSString).appendingPathComponent(Self.exportFileName(release.reference))
            do {
                let writer = try AtomicFileWriter(path: path)
                try writer.write(bytes)
                try writer.commit()
            } catch {
                throw RegistryError.io(path: path, operation: "write", reason: error.description)
            }
            written.append(ExportedFile(release: release, path: path, size: bytes.count))
        }
        return written
    }

    /// `NAME@VERSION.fingerprint.safetensors`, keeping letters, digits and `.-_+@`; `/`
    /// becomes `__` and anything else `_`.
    public static func exportFileName(_ reference: ReleaseReference) -> String {
        var name = ""
        for scalar in reference.description.unicodeScalars {
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", ".", "-", "_", "+", "@": name.unicodeScalars.append(scalar)
            case "/": name += "__"
            default: name += "_"
            }
        }
        if name.hasPrefix(".") { name = "_" + name.dropFirst() }
        if name.utf8.count > 200 { name = String(name.prefix(200)) }
        return name + "." + FingerprintFormat.fileExtension
    }
}

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

// MARK: - Seeding

extension Registry {
    /// Imports every fingerprint file of `directory` (the bundled `Fingerprints/`) if this
    /// registry has never been seeded and holds no release. Returns what was seeded, or
    /// `nil` when nothing was to be done. Safe when several processes start at once: the
    /// check and the inserts share one transaction.
    public func seedIfEmpty(from directory: String) throws -> SeedResult? {
        guard try read({ db in try Self.needsSeed(db) }) else { return nil }
        let files: [String]
        do {
            files = try Self.fingerprintFiles(in: [directory])
        } catch RegistryError.noFingerprintFiles {
            return nil
        }
        let items = try Self.decodeImports(files)
        return try write { db in
            guard try Self.needsSeed(db) else { return nil }
            var releases: [Release] = []
            for item in items {
                let id = try ReleaseStore.insert(item.prepared, in: db)
                if let release = try ReleaseStore.release(id: id, in: db) { releases.append(release) }
            }
            try db.execute(sql: "INSERT OR REPLACE INTO registry_info (key, value) VALUES ('seeded_at', ?), ('seeded_from', ?)",
                           arguments: [Timestamp.now(), directory])
            return SeedResult(directory: directory, releases: releases)
        }
    }

    private static func needsSeed(_ db: Database) throws -> Bool {
        let seeded = try String.fetchOne(db, sql: "SELECT value FROM registry_info WHERE key = 'seeded_at'")
        let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM releases") ?? 0
        return seeded == nil && count == 0
    }
}
