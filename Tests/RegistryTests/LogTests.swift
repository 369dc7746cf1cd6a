import MerkleReference
import Fingerprinting
import Foundation
import GRDB
import ProvenanceCrypto
@testable import Registry
import Testing
import TransparencyLog

@Suite("The append-only registry log")
struct LogTests {
    /// A registry with one of every change: register A, register B (signed), replace A,
    /// remove B, import two files. Returns it with the head after each change.
    static func history() throws -> (registry: Registry, heads: [SignedTreeHead]) {
        let registry = try RegistryFixtures.registry()
        var heads: [SignedTreeHead] = []
        func record() throws { heads.append(try #require(try registry.log().head)) }
        _ = try registry.register(fingerprint: RegistryFixtures.fingerprintA, metadata: RegistryFixtures.metadata("a"))
        try record()
        _ = try registry.register(fingerprint: RegistryFixtures.fingerprintB, metadata: RegistryFixtures.metadata("b"), signingKey: SigningTests.publisherKey)
        try record()
        _ = try registry.register(fingerprint: RegistryFixtures.fingerprintD, metadata: RegistryFixtures.metadata("a"), replace: true)
        try record()
        try registry.remove("b@1.0")
        try record()
        let (_, directory, _) = try ExchangeTests.exported()
        _ = try registry.import(paths: [directory])
        try record()
        return (registry, heads)
    }

    @Test("Every change appends entries of its kind in the same transaction, and a signed head per change")
    func entriesPerChange() throws {
        let (registry, heads) = try Self.history()
        let snapshot = try registry.log()
        #expect(snapshot.entries.map(\.entry.kind) == [.register, .register, .replace, .remove, .import, .import])
        #expect(snapshot.entries.map(\.sequence) == [0, 1, 2, 3, 4, 5])
        #expect(snapshot.entries.map { Registry.label($0.entry) } == ["a@1.0", "b@1.0", "a@1.0", "b@1.0", "bert-c", "org/model-a@1.0"])
        #expect(heads.map(\.treeHead.size) == [1, 2, 3, 4, 6])
        #expect(snapshot.entries[2].entry.fingerprintRoot == RegistryFixtures.fingerprintD.roots.canonical)
        // The signed registration is recorded with its statement and signer; the remove too.
        let b = snapshot.entries[1].entry
        #expect(b.signerKeyID == SigningTests.publisherKey.publicKey.keyID)
        #expect(b.statementDigest != nil && snapshot.entries[3].entry.statementDigest == b.statementDigest)
        #expect(snapshot.entries[0].entry.statementDigest == nil)
        // Stored heads = one per change, all verifying with the pinned key.
        let key = try #require(snapshot.publicKey)
        #expect(try KeyFile.readPrivateKey(at: registry.logKeyPath).publicKey == key)
        for head in heads { try head.verify(with: key) }
        let audit = try registry.auditLog()
        #expect(audit.isIntact, "\(audit.problems)")
        #expect(audit.entryCount == 6 && audit.headCount == 5)
        // An import that changes nothing appends nothing.
        let (_, directory, _) = try ExchangeTests.exported()
        _ = try registry.import(paths: [directory])
        #expect(try registry.log().entries.count == 6)
    }

    @Test("Inclusion proofs of every registered release check out with an independent RFC 6962 verifier")
    func inclusionProofsIndependentlyChecked() throws {
        let (registry, _) = try Self.history()
        let key = try #require(try registry.log().publicKey).rawRepresentation
        for release in try registry.list() {
            let inclusion = try registry.inclusionProof(for: release.reference.description)
            let head = try #require(ReferenceTreeHead(inclusion.head.encoded))
            #expect(head.isSigned(by: key))
            let leaf = ReferenceMerkle.leafHash(inclusion.entry.encoded)
            let path = inclusion.proof.hashes.map(\.bytes)
            #expect(ReferenceMerkle.verifyInclusion(Int(inclusion.proof.leafIndex), head.size, leaf: leaf, proof: path, root: head.root),
                    "\(release.reference)")
            // The entry is this release's latest registration: name and root at their documented offsets.
            let entry = inclusion.entry.encoded
            let nameLength = Int(entry[38..<42].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
            #expect(String(decoding: entry[42..<(42 + nameLength)], as: UTF8.self) == release.name)
            let trailing = (inclusion.entry.entry.statementDigest == nil ? 1 : 33) + (inclusion.entry.entry.signerKeyID == nil ? 1 : 33)
            #expect(Array(entry[(entry.count - trailing - 32)..<(entry.count - trailing)]) == release.canonicalRoot.bytes)
            // A proof for another leaf, or an altered path, does not verify independently either.
            if !path.isEmpty {
                var altered = path
                altered[0][0] ^= 1
                #expect(!ReferenceMerkle.verifyInclusion(Int(inclusion.proof.leafIndex), head.size, leaf: leaf, proof: altered, root: head.root))
            }
        }
        #expect(throws: RegistryError.self) { try registry.inclusionProof(for: "b@1.0") } // removed
    }

    @Test("Consistency proofs from every earlier head check out with an independent RFC 6962 verifier")
    func consistencyProofsIndependentlyChecked() throws {
        let (registry, heads) = try Self.history()
        let key = try #require(try registry.log().publicKey).rawRepresentation
        for old in heads {
            let result = try registry.consistencyProof(from: old)
            #expect(result.isConsistent, "\(result.problem ?? "")")
            let proof = try #require(result.proof)
            let oldHead = try #require(ReferenceTreeHead(old.encoded))
            let newHead = try #require(ReferenceTreeHead(result.newHead.encoded))
            #expect(oldHead.isSigned(by: key) && newHead.isSigned(by: key))
            #expect(ReferenceMerkle.verifyConsistency(oldHead.size, newHead.size, oldRoot: oldHead.root, newRoot: newHead.root,
                                                      proof: proof.hashes.map(\.bytes)), "from size \(oldHead.size)")
        }
        // A head signed by another log's key, or with an altered signature, is refused.
        let (other, _) = try Self.history()
        let foreign = try #require(try other.log().head)
        #expect(throws: RegistryError.self) { try registry.consistencyProof(from: foreign) }
        var bytes = heads[1].encoded
        bytes[bytes.count - 1] ^= 1
        #expect(throws: RegistryError.self) { try registry.consistencyProof(from: SignedTreeHead(encoded: bytes)) }
    }

    @Test("`log proof --json` and `log consistency --json` print proofs another tool can check")
    func commandLineProofs() throws {
        let (registry, heads) = try Self.history()
        let output = try ProvenanceProcess.run(["log", "proof", "org/model-a@1.0", "--json", "--registry", registry.path])
        #expect(output.status == 0, "\(output.standardError)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8)) as? [String: Any])
        let entry = try #require(json["entry"] as? [String: Any])
        let head = try #require(json["signed_tree_head"] as? [String: Any])
        let entryBytes = try Self.hexField(entry, "encoded")
        let headBytes = try Self.hexField(head, "encoded")
        let publicKey = try Self.hexField(head, "public_key")
        let path = try #require(json["audit_path"] as? [String]).map { Hex.decode($0)! }
        let parsed = try #require(ReferenceTreeHead(headBytes))
        #expect(parsed.isSigned(by: publicKey))
        #expect(publicKey == (try registry.log().publicKey?.rawRepresentation))
        #expect(ReferenceMerkle.verifyInclusion(try #require(json["leaf_index"] as? Int), parsed.size,
                                                leaf: ReferenceMerkle.leafHash(entryBytes), proof: path, root: parsed.root))
        #expect(entry["leaf_hash"] as? String == Hex.encode(ReferenceMerkle.leafHash(entryBytes)))

        let consistency = try ProvenanceProcess.run(["log", "consistency", Hex.encode(heads[0].encoded), "--json", "--registry", registry.path])
        #expect(consistency.status == 0, "\(consistency.standardError)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(consistency.standardOutput.utf8)) as? [String: Any])
        let newHeadObject = try #require(result["new_head"] as? [String: Any])
        let newHead = try #require(ReferenceTreeHead(try Self.hexField(newHeadObject, "encoded")))
        let proof = try #require(result["proof"] as? [String]).map { Hex.decode($0)! }
        #expect(ReferenceMerkle.verifyConsistency(1, newHead.size, oldRoot: heads[0].treeHead.rootHash.bytes, newRoot: newHead.root, proof: proof))
        #expect(result["consistent"] as? Bool == true)
    }

    static func hexField(_ object: [String: Any], _ key: String) throws -> [UInt8] {
        let text = try #require(object[key] as? String, "no \(key)")
        return try #require(Hex.decode(text), "\(key) is not hex")
    }

    // MARK: - Direct database edits

    /// Runs raw SQL against the registry file through a separate connection, as an attacker
    /// with the file would (dropping the append-only triggers first).
    static func tamper(_ registry: Registry, _ sql: String) throws {
        try tamper(registry) { db in try db.execute(sql: sql) }
    }

    static func tamper(_ registry: Registry, _ body: (Database) throws -> Void) throws {
        let queue = try DatabaseQueue(path: registry.path)
        try queue.write { db in
            for trigger in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger'") {
                try db.execute(sql: "DROP TRIGGER \(trigger)")
            }
            try body(db)
        }
    }

    /// Sets byte `offset` of column `column` in the row of `table` where `key` = `value`.
    static func setByte(_ db: Database, table: String, column: String, key: String, value: Int64, offset: Int, to byte: UInt8) throws {
        try changeByte(db, table: table, column: column, key: key, value: value, offset: offset) { _ in byte }
    }

    /// Flips every bit of one byte: always a change, whatever the byte was.
    static func flipByte(_ db: Database, table: String, column: String, key: String, value: Int64, offset: Int) throws {
        try changeByte(db, table: table, column: column, key: key, value: value, offset: offset) { ~$0 }
    }

    static func changeByte(_ db: Database, table: String, column: String, key: String, value: Int64, offset: Int,
                           _ change: (UInt8) -> UInt8) throws {
        var bytes = [UInt8](try #require(try Data.fetchOne(db, sql: "SELECT \(column) FROM \(table) WHERE \(key) = ?", arguments: [value])))
        bytes[offset] = change(bytes[offset])
        try db.execute(sql: "UPDATE \(table) SET \(column) = ? WHERE \(key) = ?", arguments: [Data(bytes), value])
    }

    /// Renames the release of entry 1 from "b" to "c" (its name starts at byte 42).
    static func renameEntry1(_ db: Database) throws {
        try setByte(db, table: "log_entries", column: "entry", key: "sequence", value: 1, offset: 42, to: UInt8(ascii: "c"))
    }

    static func problems(_ registry: Registry) throws -> [LogProblem] {
        try Registry.open(path: registry.path).auditLog().problems
    }

    @Test("The append-only triggers refuse accidental edits through SQL")
    func triggers() throws {
        let (registry, _) = try Self.history()
        #expect(throws: DatabaseError.self) { try registry.pool.write { db in try db.execute(sql: "UPDATE log_entries SET entry = x'00' WHERE sequence = 0") } }
        #expect(throws: DatabaseError.self) { try registry.pool.write { db in try db.execute(sql: "DELETE FROM log_entries WHERE sequence = 5") } }
        #expect(throws: DatabaseError.self) { try registry.pool.write { db in try db.execute(sql: "DELETE FROM signed_tree_heads") } }
        #expect(try registry.auditLog().isIntact)
    }

    @Test("An edited entry is found, with its position, whether or not its leaf hash was updated too")
    func editedEntry() throws {
        let (registry, _) = try Self.history()
        // Rename the release in entry 1, leaving the stored leaf hash.
        try Self.tamper(registry, Self.renameEntry1)
        var problems = try Self.problems(registry)
        #expect(problems.contains { $0.kind == .leafHashMismatch && $0.sequence == 1 }, "\(problems)")
        #expect(problems.contains { $0.kind == .headRootMismatch && $0.sequence == 1 && $0.message.contains("entry 1 was edited") }, "\(problems)")

        // A careful attacker recomputes the leaf hash: the signed heads still catch it.
        let (second, _) = try Self.history()
        try Self.tamper(second, Self.renameEntry1)
        let bytes = try #require(try second.pool.read { db in try Data.fetchOne(db, sql: "SELECT entry FROM log_entries WHERE sequence = 1") })
        try Self.tamper(second, "UPDATE log_entries SET leaf_hash = x'\(MerkleHash.leaf([UInt8](bytes)).hex)' WHERE sequence = 1")
        problems = try Self.problems(second)
        #expect(!problems.contains { $0.kind == .leafHashMismatch }, "\(problems)")
        #expect(problems.contains { $0.kind == .headRootMismatch && $0.sequence == 1 }, "\(problems)")
    }

    @Test("Reordered entries are found and named")
    func reorderedEntries() throws {
        let (registry, _) = try Self.history()
        // Swap rows 1 and 2 (entry and leaf hash), keeping the sequence column.
        try Self.tamper(registry, """
            CREATE TEMP TABLE swapped AS SELECT sequence, entry, leaf_hash FROM log_entries WHERE sequence IN (1, 2);
            UPDATE log_entries SET entry = (SELECT entry FROM swapped WHERE swapped.sequence = 3 - log_entries.sequence),
                                   leaf_hash = (SELECT leaf_hash FROM swapped WHERE swapped.sequence = 3 - log_entries.sequence)
            WHERE sequence IN (1, 2);
            """)
        let problems = try Self.problems(registry)
        #expect(problems.filter { $0.kind == .reorderedEntry }.compactMap(\.sequence) == [1, 2], "\(problems)")
        #expect(problems.contains { $0.kind == .headRootMismatch && $0.sequence == 1 }, "\(problems)")
    }

    @Test("A deleted entry is found: in the middle, and at the end (with its head)")
    func deletedEntries() throws {
        let (registry, _) = try Self.history()
        try Self.tamper(registry, "DELETE FROM log_entries WHERE sequence = 3")
        var problems = try Self.problems(registry)
        #expect(problems.contains { $0.kind == .missingEntries && $0.sequence == 3 && $0.message.contains("entry 3 is missing") }, "\(problems)")
        #expect(problems.contains { $0.kind == .headBeyondLog }, "\(problems)")

        // Deleting the last entry and the head that signed it: the registered release no
        // longer has an entry.
        let (second, _) = try Self.history()
        try Self.tamper(second, "DELETE FROM log_entries WHERE sequence = 5; DELETE FROM signed_tree_heads WHERE tree_size = 6;")
        problems = try Self.problems(second)
        #expect(problems.contains { $0.kind == .releaseNotLogged && $0.message.contains("org/model-a@1.0") }, "\(problems)")
        // Deleting a release's rows without the log: the log still says it is registered.
        let (third, _) = try Self.history()
        try Self.tamper(third, "DELETE FROM releases WHERE name = 'bert-c'")
        problems = try Self.problems(third)
        #expect(problems.map(\.kind) == [.loggedReleaseMissing] && problems[0].sequence == 4, "\(problems)")
    }

    @Test("Rows added or changed beside the log, and altered heads, are found")
    func sideChanges() throws {
        // A release inserted straight into the database.
        let (registry, _) = try Self.history()
        try registry.pool.write { db in
            let prepared = try PreparedRelease(fingerprint: RegistryFixtures.fingerprintB, metadata: RegistryFixtures.metadata("sneaky"),
                                               registeredBy: "x", registeredAt: "2020-01-01T00:00:00Z")
            _ = try ReleaseStore.insert(prepared, in: db)
        }
        var problems = try Self.problems(registry)
        #expect(problems.map(\.kind) == [.releaseNotLogged] && problems[0].message.contains("sneaky@1.0"), "\(problems)")

        // A release's root changed in place.
        let (second, _) = try Self.history()
        try Self.tamper(second, "UPDATE releases SET canonical_root = zeroblob(32) WHERE name = 'a'")
        problems = try Self.problems(second)
        #expect(problems.map(\.kind) == [.releaseDiffersFromLog] && problems[0].sequence == 2, "\(problems)")

        // An entry appended without the key, and a head whose signature was altered.
        let (third, _) = try Self.history()
        try Self.tamper(third) { db in
            try db.execute(sql: "INSERT INTO log_entries (sequence, entry, leaf_hash) SELECT 6, entry, leaf_hash FROM log_entries WHERE sequence = 5")
            try Self.flipByte(db, table: "signed_tree_heads", column: "head", key: "tree_size", value: 2, offset: 164)
        }
        problems = try Self.problems(third)
        #expect(problems.contains { $0.kind == .unsignedEntries && $0.sequence == 6 }, "\(problems)")
        #expect(problems.contains { $0.kind == .reorderedEntry && $0.sequence == 6 }, "\(problems)")
        #expect(problems.contains { $0.kind == .invalidHead && $0.message.contains("size 2") }, "\(problems)")

        // The pinned key replaced (to re-sign a rewritten history) no longer matches the key file or the heads.
        let (fourth, _) = try Self.history()
        try Self.tamper(fourth, "UPDATE registry_info SET value = '\(SigningTests.otherKey.publicKey.hex)' WHERE key = 'log_public_key'")
        problems = try Self.problems(fourth)
        #expect(problems.contains { $0.kind == .logKey }, "\(problems)")
        #expect(problems.filter { $0.kind == .invalidHead }.count == 5, "\(problems)")
    }

    @Test("`log verify` exits 1 and names the problem after a direct edit; 0 before")
    func commandLineVerify() throws {
        let (registry, _) = try Self.history()
        let clean = try ProvenanceProcess.run(["log", "verify", "--registry", registry.path])
        #expect(clean.status == 0, "\(clean.standardError)")
        #expect(clean.standardOutput.contains("log intact: 6 entries, 5 signed tree heads"))
        try Self.tamper(registry, "DELETE FROM log_entries WHERE sequence = 2")
        let tampered = try ProvenanceProcess.run(["log", "verify", "--registry", registry.path])
        #expect(tampered.status == 1)
        #expect(tampered.standardError.contains("Log entry 2 is missing"), "\(tampered.standardError)")
    }

    @Test("A consistency check against a head from before a rewrite fails")
    func consistencyAfterRewrite() throws {
        let (registry, heads) = try Self.history()
        // Rewrite history and re-sign every head with the stolen log key: only an old head
        // kept elsewhere shows the rewrite.
        let key = try KeyFile.readPrivateKey(at: registry.logKeyPath)
        try Self.tamper(registry, Self.renameEntry1)
        let rows = try registry.pool.read { db in try Row.fetchAll(db, sql: "SELECT sequence, entry FROM log_entries ORDER BY sequence") }
        var leaves: [SHA256Digest] = []
        var statements: [String] = ["DELETE FROM signed_tree_heads", "DELETE FROM log_state"]
        for row in rows {
            let leaf = MerkleHash.leaf([UInt8](row["entry"] as Data))
            leaves.append(leaf)
            statements.append("UPDATE log_entries SET leaf_hash = x'\(leaf.hex)' WHERE sequence = \(row["sequence"] as Int64)")
        }
        let rewritten = SignedTreeHead(signing: MerkleTree(leafHashes: leaves).treeHead, timestamp: LogStore.now(), with: key)
        statements.append("INSERT INTO signed_tree_heads (tree_size, head) VALUES (6, x'\(Hex.encode(rewritten.encoded))')")
        try Self.tamper(registry, statements.joined(separator: ";\n"))
        let result = try Registry.open(path: registry.path).consistencyProof(from: heads[1])
        #expect(!result.isConsistent)
        #expect(result.problem?.contains("rewritten") == true, "\(result.problem ?? "")")
        // The first head (before entry 1) is still consistent: the rewrite came later.
        #expect(try Registry.open(path: registry.path).consistencyProof(from: heads[0]).isConsistent)
    }

    // MARK: - Migration

    @Test("Migrating a registry that predates the log starts it with an entry per release and a signed head")
    func migrationStartsLog() throws {
        let path = RegistryFixtures.temporaryDirectory() + "/old.sqlite"
        let queue = try DatabaseQueue(path: path)
        try RegistrySchema.migrator(logKeyPath: path + ".log-key.pem").migrate(queue, upTo: "v1-releases")
        try queue.write { db in
            for (name, fingerprint) in [("first", RegistryFixtures.fingerprintA), ("second", RegistryFixtures.fingerprintC)] {
                let prepared = try PreparedRelease(fingerprint: fingerprint, metadata: RegistryFixtures.metadata(name),
                                                   registeredBy: "old", registeredAt: "2023-01-01T00:00:00Z")
                _ = try ReleaseStore.insert(prepared, in: db)
            }
        }
        try queue.close()
        #expect(!FileManager.default.fileExists(atPath: path + ".log-key.pem"))

        let registry = try Registry.open(path: path)
        let snapshot = try registry.log()
        #expect(snapshot.entries.map(\.entry.kind) == [.register, .register])
        #expect(snapshot.entries.map(\.entry.releaseName) == ["first", "second"])
        #expect(snapshot.entries[1].entry.fingerprintRoot == RegistryFixtures.fingerprintC.roots.canonical)
        #expect(snapshot.head?.treeHead.size == 2)
        #expect(try SigningTests.mode(registry.logKeyPath) == 0o600)
        #expect(try registry.auditLog().isIntact)
        _ = try registry.inclusionProof(for: "second@1.0")
        // Later changes append to it.
        try registry.remove("first@1.0")
        #expect(try registry.log().entries.map(\.entry.kind) == [.register, .register, .remove])
        #expect(try registry.auditLog().isIntact)
    }

    @Test("A swapped log key file is refused rather than used to sign")
    func swappedKeyFile() throws {
        let (registry, _) = try Self.history()
        try FileManager.default.removeItem(atPath: registry.logKeyPath)
        try KeyFile.writePrivateKey(SigningTests.otherKey, to: registry.logKeyPath)
        let counts = try RegistryFixtures.rowCounts(registry)
        #expect {
            try registry.remove("a@1.0")
        } throws: { error in
            guard case RegistryError.logKey(_, let reason) = error else { return false }
            return reason.contains("restore the original key file")
        }
        #expect(try RegistryFixtures.rowCounts(registry) == counts)
    }
}
