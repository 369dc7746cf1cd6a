import Foundation
import GRDB
import ProvenanceCrypto
import TransparencyLog

// MARK: - v2: signed registrations and the append-only log

extension RegistrySchema {
    static let version2 = """
        -- The append-only log (docs/SIGNING_AND_LOG.md): one row per registry change, written
        -- in the same transaction as the change. `entry` is the LogEntry encoding (the Merkle
        -- leaf input); `leaf_hash` = SHA-256(0x00 || entry). sequence = leaf index, from 0.
        CREATE TABLE log_entries (
            sequence  INTEGER PRIMARY KEY CHECK (sequence >= 0),
            entry     BLOB NOT NULL,
            leaf_hash BLOB NOT NULL CHECK (length(leaf_hash) = 32)
        );

        -- One signed tree head per change: the 165-byte transport encoding of a
        -- SignedTreeHead for the log's size after the change, signed by the registry's key.
        CREATE TABLE signed_tree_heads (
            tree_size INTEGER PRIMARY KEY CHECK (tree_size > 0),
            head      BLOB NOT NULL CHECK (length(head) = 165)
        );

        -- The log's right edge (MerkleFrontier encoding), so appending and signing cost
        -- O(log n). A cache: `log verify` recomputes everything from log_entries.
        CREATE TABLE log_state (
            id       INTEGER PRIMARY KEY CHECK (id = 1),
            frontier BLOB NOT NULL
        );

        -- Guards against accidental edits through SQL; an attacker can drop them, which is
        -- what the signed tree heads and `log verify` are for.
        CREATE TRIGGER log_entries_append_only_update BEFORE UPDATE ON log_entries
        BEGIN SELECT RAISE(ABORT, 'log_entries is append-only'); END;
        CREATE TRIGGER log_entries_append_only_delete BEFORE DELETE ON log_entries
        BEGIN SELECT RAISE(ABORT, 'log_entries is append-only'); END;
        CREATE TRIGGER signed_tree_heads_append_only_update BEFORE UPDATE ON signed_tree_heads
        BEGIN SELECT RAISE(ABORT, 'signed_tree_heads is append-only'); END;
        CREATE TRIGGER signed_tree_heads_append_only_delete BEFORE DELETE ON signed_tree_heads
        BEGIN SELECT RAISE(ABORT, 'signed_tree_heads is append-only'); END;

        -- Signed registrations (the table reserved by v1) are looked up by signer.
        CREATE INDEX release_signatures_by_key ON release_signatures (key_id);
        """

    /// Starts the log of a registry that existed before it: one `register` entry per
    /// release, in id (registration) order, stamped with the migration time, and a tree
    /// head signed by the registry's key (created now if needed). Nothing for an empty registry.
    static func startLog(in db: Database, keyPath: String) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO registry_info (key, value) VALUES ('log_started_at', ?)", arguments: [Timestamp.now()])
        var changes: [LogStore.Change] = []
        for row in try Row.fetchAll(db, sql: """
            SELECT r.name, r.version, r.canonical_root,
                   (SELECT statement FROM release_signatures s WHERE s.release_id = r.id ORDER BY key_id LIMIT 1) AS statement,
                   (SELECT key_id FROM release_signatures s WHERE s.release_id = r.id ORDER BY key_id LIMIT 1) AS key_id
            FROM releases r ORDER BY r.id
            """) {
            let root: Data = row["canonical_root"]
            let statement: Data? = row["statement"]
            let keyID: Data? = row["key_id"]
            guard let rootDigest = SHA256Digest(bytes: root) else {
                throw RegistryError.corruptEntry(reference: row["name"], reason: "canonical_root is not 32 bytes")
            }
            changes.append(LogStore.Change(
                kind: .register, name: row["name"], version: row["version"], root: rootDigest,
                statementDigest: statement.map { SHA256.hash([UInt8]($0)) }, signerKeyID: keyID.flatMap { SHA256Digest(bytes: $0) }))
        }
        try LogStore.append(changes, keyPath: keyPath, in: db)
        if !changes.isEmpty {
            try db.execute(sql: "INSERT OR REPLACE INTO registry_info (key, value) VALUES ('log_backfilled_releases', ?)",
                           arguments: [String(changes.count)])
        }
    }
}
