import Fingerprinting
import GRDB

// MARK: - Reading releases

extension Registry {
    /// Every release, by name then version.
    public func list() throws -> [Release] {
        try read { db in try ReleaseStore.releases(in: db) }
    }

    /// Number of registered releases.
    public func count() throws -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM releases") ?? 0 }
    }

    /// The release `NAME@VERSION`, or for `NAME` alone the latest registered version
    /// (see `releases(named:)` for all of them).
    public func release(named reference: String) throws -> Release {
        try release(ReleaseReference(parsing: reference))
    }

    /// The release `reference` names (without a version: the latest registered).
    public func release(_ reference: ReleaseReference) throws -> Release {
        try read { db in try Self.resolve(reference, in: db) }
    }

    /// Every registered version of `name`, latest registered first.
    public func releases(named name: String) throws -> [Release] {
        try read { db in
            try ReleaseStore.releases(in: db, filter: "WHERE name = ?", arguments: [name], order: "ORDER BY registered_at DESC, id DESC")
        }
    }

    /// The stored fingerprint of `release`, checked against its recorded SHA-256.
    public func fingerprint(of release: Release) throws -> Fingerprint {
        let bytes = try read { db in try ReleaseStore.fingerprintBytes(of: release, in: db) }
        do {
            return try Fingerprint.decode(bytes, name: "registry entry \(release.reference)").fingerprint
        } catch let error as FingerprintFileError {
            throw RegistryError.corruptEntry(reference: release.reference.description, reason: error.reason)
        }
    }

    static func resolve(_ reference: ReleaseReference, in db: Database) throws -> Release {
        guard let id = try ReleaseStore.latestID(of: reference, in: db), let release = try ReleaseStore.release(id: id, in: db) else {
            let versions = try ReleaseStore.versions(of: reference.name, in: db)
            throw RegistryError.notFound(reference: reference.description,
                                         otherVersions: versions.map { $0.isEmpty ? reference.name : "\(reference.name)@\($0)" })
        }
        return release
    }
}
