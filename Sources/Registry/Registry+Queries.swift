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

// MARK: - Removing

extension Registry {
    /// Removes `NAME@VERSION` (or `NAME` when only one version is registered) with all its
    /// rows, in one transaction. Releases that named it as a base keep the name.
    @discardableResult
    public func remove(_ reference: String) throws -> Release {
        let parsed = try ReleaseReference(parsing: reference)
        return try write { db in
            if parsed.version == nil {
                let versions = try ReleaseStore.versions(of: parsed.name, in: db)
                if versions.count > 1 {
                    throw RegistryError.ambiguous(name: parsed.name, versions: versions.map { $0.isEmpty ? "(no version)" : $0 })
                }
            }
            let release = try Self.resolve(parsed, in: db)
            try ReleaseStore.delete(id: release.id, in: db)
            return release
        }
    }
}

// MARK: - Candidates

extension Registry {
    /// Registered releases that `fingerprint` may derive from, found only through indexes:
    /// identical roots, exactly shared tensor digests (raw or canonical, informative tensors
    /// only) and shared LSH band keys. Ranked: identical weights, then exactly shared
    /// parameters and tensors, then key votes.
    ///
    /// - Parameters:
    ///   - limit: the most candidates to return.
    ///   - minimumKeyVotes: releases with no exact share need at least this many shared keys.
    ///     `nil` (the default) picks the fewest votes that chance collisions between unrelated
    ///     models of the query's architecture reach in fewer than 0.05 of the registry's
    ///     releases on average (2 for small registries; 4 for 10 000 MiniLM-sized ones).
    public func candidates(for fingerprint: Fingerprint, limit: Int = 20, minimumKeyVotes: Int? = nil) throws -> [Candidate] {
        let lookup = IndexedLookup(fingerprint)
        return try read { db in
            var shares = try lookup.exactShares(in: db)
            try lookup.addKeyVotes(to: &shares, in: db)
            let releaseCount = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM releases") ?? 0
            let minimumKeyVotes = minimumKeyVotes ?? lookup.chanceVoteThreshold(releaseCount: releaseCount)
            let ranked = shares
                .filter { $0.value.hasExactShares || $0.value.sketchKeyVotes + $0.value.probeKeyVotes >= minimumKeyVotes }
                .sorted { Self.ranks($0.value, id: $0.key, before: $1.value, id: $1.key) }
                .prefix(max(0, limit))
            let releases = Dictionary(uniqueKeysWithValues: try ReleaseStore.releases(ids: ranked.map(\.key), in: db).map { ($0.id, $0) })
            return ranked.compactMap { id, share in
                releases[id].map {
                    Candidate(release: $0, identicalCanonicalRoot: share.identicalCanonicalRoot, identicalRawRoot: share.identicalRawRoot,
                              sharedRawTensors: share.sharedRawTensors, sharedCanonicalTensors: share.sharedCanonicalTensors,
                              sharedParameters: share.sharedParameters, informativeTensors: lookup.informativeTensorCount,
                              sketchKeyVotes: share.sketchKeyVotes, probeKeyVotes: share.probeKeyVotes)
                }
            }
        }
    }

    private static func ranks(_ a: IndexedLookup.Shares, id idA: Int64, before b: IndexedLookup.Shares, id idB: Int64) -> Bool {
        let keyA = (a.identicalCanonicalRoot || a.identicalRawRoot ? 1 : 0, a.sharedParameters, max(a.sharedCanonicalTensors, a.sharedRawTensors),
                    a.sketchKeyVotes + a.probeKeyVotes)
        let keyB = (b.identicalCanonicalRoot || b.identicalRawRoot ? 1 : 0, b.sharedParameters, max(b.sharedCanonicalTensors, b.sharedRawTensors),
                    b.sketchKeyVotes + b.probeKeyVotes)
        if keyA != keyB { return keyA > keyB }
        return idA < idB
    }
}
