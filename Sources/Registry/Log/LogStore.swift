import Foundation
import GRDB
import ProvenanceCrypto
import TransparencyLog

/// Row-level reads and writes of the append-only log (`log_entries`, `signed_tree_heads`,
/// `log_state`). Callers provide the transaction, so a change and its log entry are
/// committed together or not at all.
enum LogStore {
    /// One registry change to record.
    struct Change {
        var kind: LogEntry.Kind
        var name: String
        var version: String
        /// The release's canonical root.
        var root: SHA256Digest
        var statementDigest: SHA256Digest?
        var signerKeyID: SHA256Digest?
    }

    /// One stored row of `log_entries`, as stored (nothing checked).
    struct StoredEntry {
        var sequence: Int64
        var bytes: [UInt8]
        var leafHash: [UInt8]
    }

    /// Milliseconds since the Unix epoch.
    static func now() -> UInt64 {
        UInt64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }

    // MARK: - Appending

    /// Appends one entry per change and stores a tree head for the new size signed with the
    /// key at `keyPath` (created on first use). Refuses to append when the log no longer
    /// reproduces its latest signed head (`log verify` then says what changed).
    static func append(_ changes: [Change], keyPath: String, in db: Database) throws {
        guard !changes.isEmpty else { return }
        let key = try LogKey.loadOrCreate(at: keyPath)
        try LogKey.pin(key.publicKey, keyPath: keyPath, in: db)
        var frontier = try frontier(in: db)
        if let latest = try latestHead(in: db), latest.treeHead.size == frontier.size, latest.treeHead.rootHash != frontier.rootHash {
            throw RegistryError.logCorrupt(reason: "the stored entries no longer give the root of the latest signed tree head (size \(latest.treeHead.size)); run `provenance log verify`")
        }
        let timestamp = now()
        let insert = try db.cachedStatement(sql: "INSERT INTO log_entries (sequence, entry, leaf_hash) VALUES (?, ?, ?)")
        for change in changes {
            let entry: LogEntry
            do {
                entry = try LogEntry(kind: change.kind, sequenceNumber: frontier.size, timestamp: timestamp, releaseName: change.name,
                                     releaseVersion: change.version, fingerprintRoot: change.root,
                                     statementDigest: change.statementDigest, signerKeyID: change.signerKeyID)
            } catch {
                throw RegistryError.invalidMetadata(field: "name", value: change.name, rule: error.description)
            }
            let bytes = entry.encoded
            let leaf = MerkleHash.leaf(bytes)
            try insert.execute(arguments: [Int64(frontier.size), Data(bytes), Data(leaf.bytes)])
            frontier.append(leafHash: leaf)
        }
        try save(frontier, in: db)
        try storeHead(SignedTreeHead(signing: frontier.treeHead, timestamp: timestamp, with: key), in: db)
    }

    static func storeHead(_ head: SignedTreeHead, in db: Database) throws {
        try db.execute(sql: "INSERT INTO signed_tree_heads (tree_size, head) VALUES (?, ?)",
                       arguments: [Int64(head.treeHead.size), Data(head.encoded)])
    }

    static func save(_ frontier: MerkleFrontier, in db: Database) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO log_state (id, frontier) VALUES (1, ?)", arguments: [Data(frontier.encoded)])
    }

    /// The frontier of the stored log: the cached one when it covers exactly the stored
    /// entries, else recomputed from the stored leaf hashes.
    static func frontier(in db: Database) throws -> MerkleFrontier {
        let count = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(sequence) + 1, 0) FROM log_entries") ?? 0
        if let data = try Data.fetchOne(db, sql: "SELECT frontier FROM log_state WHERE id = 1"),
           let cached = try? MerkleFrontier(encoded: [UInt8](data)), cached.size == UInt64(count) {
            return cached
        }
        return MerkleFrontier(leafHashes: try entries(in: db).map { try leafHash($0) })
    }

    // MARK: - Reading

    /// Every stored entry in sequence order.
    static func entries(in db: Database) throws -> [StoredEntry] {
        try Row.fetchAll(db, sql: "SELECT sequence, entry, leaf_hash FROM log_entries ORDER BY sequence").map { row in
            let entry: Data = row["entry"], leaf: Data = row["leaf_hash"]
            return StoredEntry(sequence: row["sequence"], bytes: [UInt8](entry), leafHash: [UInt8](leaf))
        }
    }

    static func leafHash(_ stored: StoredEntry) throws -> SHA256Digest {
        guard let digest = SHA256Digest(bytes: stored.leafHash) else {
            throw RegistryError.logCorrupt(reason: "entry \(stored.sequence) has a leaf hash of \(stored.leafHash.count) bytes")
        }
        return digest
    }

    /// Every stored head as (stored size, encoded bytes), by size.
    static func storedHeads(in db: Database) throws -> [(size: Int64, bytes: [UInt8])] {
        try Row.fetchAll(db, sql: "SELECT tree_size, head FROM signed_tree_heads ORDER BY tree_size").map { row in
            let head: Data = row["head"]
            return (row["tree_size"], [UInt8](head))
        }
    }

    /// The head with the largest size, decoded (signature not checked).
    static func latestHead(in db: Database) throws -> SignedTreeHead? {
        guard let data = try Data.fetchOne(db, sql: "SELECT head FROM signed_tree_heads ORDER BY tree_size DESC LIMIT 1") else { return nil }
        do {
            return try SignedTreeHead(encoded: [UInt8](data))
        } catch {
            throw RegistryError.logCorrupt(reason: "the latest signed tree head does not decode: \(error.description)")
        }
    }
}
