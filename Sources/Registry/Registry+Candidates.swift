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
    ///     A release also qualifies through its embedding probe alone when enough of its probe
    ///     bands are within a few bit flips of the query's (`IndexedLookup.probeVoteThreshold`:
    ///     2 of 4 bands up to ≈ 55 releases, 3 up to ≈ 3 900, 4 up to ≈ 360 000).
    public func candidates(for fingerprint: Fingerprint, limit: Int = 20, minimumKeyVotes: Int? = nil) throws -> [Candidate] {
        let lookup = IndexedLookup(fingerprint)
        return try read { db in
            var shares = try lookup.exactShares(in: db)
            try lookup.addKeyVotes(to: &shares, in: db)
            let releaseCount = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM releases") ?? 0
            let minimumKeyVotes = minimumKeyVotes ?? lookup.chanceVoteThreshold(releaseCount: releaseCount)
            // The probe route: enough bands of the embedding Gram agree up to a few bit flips
            // (a width-pruned or retrained copy whose matrices share no sketch key).
            let probeVotes = lookup.probeVoteThreshold(releaseCount: releaseCount) ?? Int.max
            let ranked = shares
                .filter {
                    $0.value.hasExactShares || $0.value.sketchKeyVotes + $0.value.probeKeyVotes >= minimumKeyVotes
                        || $0.value.probeKeyVotes + $0.value.nearProbeKeyVotes >= probeVotes
                }
                .sorted { Self.ranks($0.value, id: $0.key, before: $1.value, id: $1.key) }
                .prefix(max(0, limit))
            let releases = Dictionary(uniqueKeysWithValues: try ReleaseStore.releases(ids: ranked.map(\.key), in: db).map { ($0.id, $0) })
            return ranked.compactMap { id, share in
                releases[id].map {
                    Candidate(release: $0, identicalCanonicalRoot: share.identicalCanonicalRoot, identicalRawRoot: share.identicalRawRoot,
                              sharedRawTensors: share.sharedRawTensors, sharedCanonicalTensors: share.sharedCanonicalTensors,
                              sharedParameters: share.sharedParameters, informativeTensors: lookup.informativeTensorCount,
                              sketchKeyVotes: share.sketchKeyVotes, probeKeyVotes: share.probeKeyVotes,
                              nearProbeKeyVotes: share.nearProbeKeyVotes)
                }
            }
        }
    }

    private static func ranks(_ a: IndexedLookup.Shares, id idA: Int64, before b: IndexedLookup.Shares, id idB: Int64) -> Bool {
        let keyA = (a.identicalCanonicalRoot || a.identicalRawRoot ? 1 : 0, a.sharedParameters, max(a.sharedCanonicalTensors, a.sharedRawTensors),
                    a.sketchKeyVotes + a.probeKeyVotes, a.nearProbeKeyVotes)
        let keyB = (b.identicalCanonicalRoot || b.identicalRawRoot ? 1 : 0, b.sharedParameters, max(b.sharedCanonicalTensors, b.sharedRawTensors),
                    b.sketchKeyVotes + b.probeKeyVotes, b.nearProbeKeyVotes)
        if keyA != keyB { return keyA > keyB }
        return idA < idB
    }
}
