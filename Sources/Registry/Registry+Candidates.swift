import Fingerprinting
import GRDB

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
