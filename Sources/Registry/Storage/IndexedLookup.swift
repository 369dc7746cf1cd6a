import Fingerprinting
import Foundation
import GRDB
import ProvenanceCrypto

/// Index look-ups for one query fingerprint: root equality, exact tensor digests and LSH
/// band keys. Every query is an index probe (`releases_by_*_root`, `tensor_digests_by_digest`,
/// the `index_keys` primary key); no stored fingerprint is read.
struct IndexedLookup {
    /// Per-release counts of what matched.
    struct Shares {
        var identicalCanonicalRoot = false
        var identicalRawRoot = false
        var sharedRawTensors = 0
        var sharedCanonicalTensors = 0
        var sharedParameters = 0
        var sketchKeyVotes = 0
        var probeKeyVotes = 0
        /// Probe bands where the release's key is one of the query's multi-probe neighbours.
        var nearProbeKeyVotes = 0

        var hasExactShares: Bool {
            identicalCanonicalRoot || identicalRawRoot || sharedCanonicalTensors > 0 || sharedRawTensors > 0
        }
    }

    private struct QueryTensor {
        var raw: SHA256Digest
        var canonical: SHA256Digest
        var elements: Int
    }

    let fingerprint: Fingerprint
    private let informative: [QueryTensor]
    /// Keys of the probe Gram's band values within `probeDistance` bit flips (not the exact ones).
    private let nearProbeKeys: Set<UInt64>

    /// Bit flips per probe band that the multi-probe look-up tolerates: 697 of the 65 536 band
    /// values, so an unrelated release collides in a band with probability ≈ 0.011, while a
    /// registered model whose Gram cosine with the query's is 0.87 (a quarter of the hidden
    /// width pruned) shares a band with probability ≈ 0.73.
    static let probeDistance = 3

    /// Statement parameters per `IN (…)` list (well under SQLite's limit).
    static let batchSize = 500

    init(_ fingerprint: Fingerprint) {
        self.fingerprint = fingerprint
        informative = fingerprint.tensors.filter(Self.isInformative).map {
            QueryTensor(raw: $0.sha256, canonical: $0.canonical.sha256, elements: $0.shape.reduce(1, *))
        }
        let t = ProbeBasis.tokenCount
        if fingerprint.probe.kind == .embedding, fingerprint.probe.gram.count == t * t,
           fingerprint.indexKeys.contains(where: { $0.kind == "probe" }) {
            nearProbeKeys = Set(LocalitySensitiveKeys.nearProbeKeys(
                gram: fingerprint.probe.gram, seed: PublicSeed(fingerprint.header.seed), distance: Self.probeDistance))
        } else {
            nearProbeKeys = []
        }
    }

    /// Tensors whose identity is evidence: not integer/boolean buffers (position ids, masks)
    /// and not constant (untrained norms and biases are identical across unrelated models).
    static func isInformative(_ tensor: TensorFingerprint) -> Bool {
        if tensor.role == .buffer { return false }
        if let statistics = tensor.statistics {
            if statistics.count <= 1 { return false }
            if statistics.nans == 0, statistics.infinities == 0, statistics.minimum == statistics.maximum { return false }
        }
        return true
    }

    var informativeTensorCount: Int { informative.count }

    /// Roots and exact tensor digests.
    func exactShares(in db: Database) throws -> [Int64: Shares] {
        var shares: [Int64: Shares] = [:]
        let canonicalRoot = Data(fingerprint.roots.canonical.bytes), rawRoot = Data(fingerprint.roots.raw.bytes)
        for row in try Row.fetchAll(db, sql: Self.rootSQL, arguments: [canonicalRoot, rawRoot, canonicalRoot, rawRoot]) {
            let id: Int64 = row["id"]
            shares[id, default: Shares()].identicalCanonicalRoot = row["same_canonical"]
            shares[id, default: Shares()].identicalRawRoot = row["same_raw"]
        }
        let rawMatches = try releasesHolding(informative.map(\.raw), kind: "raw", in: db)
        let canonicalMatches = try releasesHolding(informative.map(\.canonical), kind: "canonical", in: db)
        for (id, digests) in rawMatches {
            shares[id, default: Shares()].sharedRawTensors = informative.filter { digests.contains($0.raw) }.count
        }
        for (id, digests) in canonicalMatches {
            let shared = informative.filter { digests.contains($0.canonical) }
            shares[id, default: Shares()].sharedCanonicalTensors = shared.count
            shares[id, default: Shares()].sharedParameters = shared.reduce(0) { $0 + $1.elements }
        }
        return shares
    }

    /// Adds LSH votes (query keys the release also has, per kind) to `shares`.
    func addKeyVotes(to shares: inout [Int64: Shares], in db: Database) throws {
        let queryKeys = Set(fingerprint.indexKeys)
        let values = Array(Set(queryKeys.map { Int64(bitPattern: $0.value) } + nearProbeKeys.map { Int64(bitPattern: $0) }))
        for start in stride(from: 0, to: values.count, by: Self.batchSize) {
            let batch = Array(values[start..<min(values.count, start + Self.batchSize)])
            for row in try Row.fetchAll(db, sql: Self.keySQL(count: batch.count), arguments: StatementArguments(batch)) {
                let key: Int64 = row["key"]
                let kind: String = row["kind"]
                let id: Int64 = row["release_id"]
                guard queryKeys.contains(IndexKey(kind: kind, value: UInt64(bitPattern: key))) else {
                    if kind == "probe", nearProbeKeys.contains(UInt64(bitPattern: key)) { shares[id, default: Shares()].nearProbeKeyVotes += 1 }
                    continue
                }
                if kind == "probe" {
                    shares[id, default: Shares()].probeKeyVotes += 1
                } else {
                    shares[id, default: Shares()].sketchKeyVotes += 1
                }
            }
        }
    }

    // MARK: - Chance collisions

    /// The fewest LSH votes that chance collisions give fewer than `falseAlarms` of
    /// `releaseCount` unrelated releases, on average (at least 2).
    ///
    /// Keys collide by chance only within one (kind, shape class, band) cell, with
    /// probability 2⁻¹⁶ per pair of 16-bit band values. A release of the query's architecture
    /// holds as many keys per cell as the query (`n`), so its chance votes are about
    /// Poisson(λ) with λ = Σ n² / 2¹⁶ over the query's cells (≈ 0.15 for all-MiniLM-L6-v2).
    func chanceVoteThreshold(releaseCount: Int, falseAlarms: Double = 0.05) -> Int {
        var cells: [String: Int] = [:]
        // Keys of tensors, of expert groups (whose view is one member's matrix) and of fused parts.
        let keyed: [((rows: Int, cols: Int)?, [UInt64])] = fingerprint.tensors.map { ($0.matrixView, $0.lshKeys) }
            + fingerprint.expertGroups.map { (fingerprint.tensors[$0.members[0]].matrixView, $0.lshKeys) }
            + fingerprint.fusedParts.map { ((rows: $0.rows, cols: $0.cols), $0.lshKeys) }
        for (view, keys) in keyed where !keys.isEmpty {
            guard let (rows, cols) = view else { continue }
            let shapeClass = "\(max(rows, cols))x\(min(rows, cols))"
            for position in keys.indices {
                cells["sketch \(shapeClass) \(position % LocalitySensitiveKeys.bands)", default: 0] += 1
            }
        }
        for (position, _) in fingerprint.indexKeys.filter({ $0.kind == "probe" }).enumerated() {
            cells["probe \(position % LocalitySensitiveKeys.bands)", default: 0] += 1
        }
        let lambda = cells.values.reduce(0.0) { $0 + Double($1 * $1) } / 65536
        return Self.fewestVotes(lambda: lambda, upTo: 64, releaseCount: releaseCount, falseAlarms: falseAlarms) ?? 64
    }

    /// The fewest votes k in 2…`maximum` with `releaseCount` · P(X ≥ k) ≤ `falseAlarms` for
    /// X ~ Poisson(`lambda`), or `nil` if none.
    static func fewestVotes(lambda: Double, upTo maximum: Int, releaseCount: Int, falseAlarms: Double) -> Int? {
        let releases = Double(max(1, releaseCount))
        for votes in 2...maximum {
            // P(X ≥ votes), summed from its first term.
            var term = exp(-lambda)
            for j in 1...votes { term *= lambda / Double(j) }
            var tail = 0.0
            for j in votes..<(votes + 60) {
                tail += term
                term *= lambda / Double(j + 1)
            }
            if releases * tail <= falseAlarms { return votes }
        }
        return nil
    }

    /// The fewest probe votes (exact or multi-probe neighbours, one per band) that chance
    /// collisions give fewer than `falseAlarms` of `releaseCount` unrelated releases, on
    /// average (at least 2); `nil` when even every band would not be enough (very large
    /// registries) or the query has no probe keys.
    ///
    /// A release holds one probe key per band, so an unrelated one matches a band with
    /// probability (neighbours + 1) / 2¹⁶ and its votes are about Poisson(λ) with λ = bands ×
    /// that (≈ 0.043 at distance 3).
    func probeVoteThreshold(releaseCount: Int, falseAlarms: Double = 0.05) -> Int? {
        guard !nearProbeKeys.isEmpty else { return nil }
        let bands = LocalitySensitiveKeys.bands
        let lambda = Double(bands) * Double(nearProbeKeys.count / bands + 1) / 65536
        return Self.fewestVotes(lambda: lambda, upTo: bands, releaseCount: releaseCount, falseAlarms: falseAlarms)
    }

    // MARK: - Statements (each answered from an index; see the query-plan test)

    static let rootSQL = """
        SELECT id, canonical_root = ? AS same_canonical, raw_root = ? AS same_raw FROM releases
        WHERE canonical_root = ? OR raw_root = ?
        """

    /// `count` digests, then the kind.
    static func digestSQL(count: Int) -> String {
        "SELECT DISTINCT digest, release_id FROM tensor_digests WHERE digest IN (\(placeholders(count))) AND kind = ?"
    }

    static func keySQL(count: Int) -> String {
        "SELECT key, kind, release_id FROM index_keys WHERE key IN (\(placeholders(count)))"
    }

    private static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ",")
    }

    /// For each release holding any of `digests` (of `kind`), which of them it holds.
    private func releasesHolding(_ digests: [SHA256Digest], kind: String, in db: Database) throws -> [Int64: Set<SHA256Digest>] {
        let unique = Array(Set(digests))
        var result: [Int64: Set<SHA256Digest>] = [:]
        for start in stride(from: 0, to: unique.count, by: Self.batchSize) {
            let batch = unique[start..<min(unique.count, start + Self.batchSize)]
            var arguments = StatementArguments(batch.map { Data($0.bytes) })
            arguments += [kind]
            for row in try Row.fetchAll(db, sql: Self.digestSQL(count: batch.count), arguments: arguments) {
                let data: Data = row["digest"]
                guard let digest = SHA256Digest(bytes: data) else { continue }
                result[row["release_id"], default: []].insert(digest)
            }
        }
        return result
    }
}
