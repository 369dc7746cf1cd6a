import Checkpoints
import Fingerprinting
import Foundation

// MARK: - Export

extension Registry {
    /// Writes each named release (`NAME@VERSION`, or `NAME` for its latest version) to
    /// `directory` as a portable fingerprint file: the fingerprint file format plus a
    /// `release` metadata entry (release metadata, registered_at, registered_by) and, for a
    /// signed registration, `statement`, `signature` and `public_key` (hex). Files are
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
            do {
                _ = try Fingerprint.decode(blob, name: "registry entry \(release.reference)")
            } catch let error as FingerprintFileError {
                throw RegistryError.corruptEntry(reference: release.reference.description, reason: error.reason)
            }
            let document = ReleaseDocument(metadata: release.metadata, registeredAt: release.registeredAt, registeredBy: release.registeredBy,
                                           fingerprintSHA256: release.fingerprintSHA256.hex)
            var extras = [ReleaseDocument.metadataKey: try document.json()]
            if let signed = release.signature {
                extras.merge(SignatureMetadata.entries(for: signed)) { current, _ in current }
            }
            // The stored bytes as they are (not re-encoded): their digest is the one recorded and signed.
            let bytes = try Fingerprint.addingMetadata(extras, to: blob, name: "registry entry \(release.reference)")
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
