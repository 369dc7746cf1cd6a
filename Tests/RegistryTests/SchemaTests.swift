import Foundation
import GRDB
@testable import Registry
import Synchronization
import Testing

@Suite("Registry schema and opening")
struct SchemaTests {
    @Test("A new path gets its directories, WAL mode, foreign keys and every migration")
    func migratesNewFile() throws {
        let path = RegistryFixtures.temporaryDirectory() + "/a/b/registry.sqlite"
        let registry = try Registry.open(path: path)
        #expect(FileManager.default.fileExists(atPath: path))
        let (journal, foreignKeys, applicationID, migrations, tables) = try registry.pool.read { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA foreign_keys"),
             try Int32.fetchOne(db, sql: "PRAGMA application_id"),
             try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations"),
             Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")))
        }
        #expect(journal == "wal")
        #expect(foreignKeys == 1)
        #expect(applicationID == RegistrySchema.applicationID)
        #expect(migrations == RegistrySchema.migrator(logKeyPath: registry.logKeyPath).migrations)
        for table in ["releases", "fingerprint_blobs", "release_bases", "release_files", "tensor_digests", "index_keys", "release_signatures",
                      "log_entries", "signed_tree_heads", "log_state"] {
            #expect(tables.contains(table), "missing table \(table)")
        }
        #expect(try registry.count() == 0)
    }

    @Test("An existing empty file is migrated, and reopening changes nothing")
    func migratesEmptyFileAndReopens() throws {
        let path = RegistryFixtures.temporaryDirectory() + "/registry.sqlite"
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        let first = try Registry.open(path: path)
        _ = try first.register(fingerprint: RegistryFixtures.fingerprintA, metadata: RegistryFixtures.metadata("a"))
        let before = try RegistryFixtures.rowCounts(first)
        let second = try Registry.open(path: path)
        #expect(try RegistryFixtures.rowCounts(second) == before)
        #expect(try second.list().map(\.name) == ["a"])
    }

    @Test("Many connections creating one new registry at once all open it")
    func concurrentFirstOpen() throws {
        // Two connections that both read a new rollback-journal file and then both need the
        // exclusive lock for `PRAGMA journal_mode = WAL` would deadlock, so SQLite answers
        // one of them SQLITE_BUSY at once, without its busy handler. CI once failed this way
        // with six processes registering into one new registry.
        let openers = 8
        for round in 0..<40 {
            let path = RegistryFixtures.temporaryDirectory("first-open-\(round)") + "/registry.sqlite"
            let failures = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: openers) { _ in
                do {
                    _ = try Registry.open(path: path)
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
            #expect(failures.withLock { $0 }.isEmpty, "round \(round)")
            #expect(try Registry.open(path: path).count() == 0)
        }
    }

    @Test("A file that is not SQLite is refused without being changed")
    func refusesNonSQLite() throws {
        let path = RegistryFixtures.temporaryDirectory() + "/model.safetensors"
        let bytes = Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 37) })
        #expect(FileManager.default.createFile(atPath: path, contents: bytes))
        #expect {
            try Registry.open(path: path)
        } throws: { error in
            guard case RegistryError.notARegistry(let file, _) = error else { return false }
            return file == path
        }
        #expect(FileManager.default.contents(atPath: path) == bytes)
    }

    @Test("Another application's SQLite database is refused")
    func refusesForeignDatabase() throws {
        let path = RegistryFixtures.temporaryDirectory() + "/other.sqlite"
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in try db.execute(sql: "CREATE TABLE customers (id INTEGER PRIMARY KEY)") }
        #expect {
            try Registry.open(path: path)
        } throws: { error in
            guard case RegistryError.notARegistry(_, let reason) = error else { return false }
            return reason.contains("customers")
        }
    }

    @Test("A registry migrated by a newer build is refused with the unknown migration named")
    func refusesNewerSchema() throws {
        let path = RegistryFixtures.temporaryDirectory() + "/registry.sqlite"
        let registry = try Registry.open(path: path)
        try registry.pool.write { db in try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v9-future')") }
        #expect(throws: RegistryError.newerSchema(path: path, unknownMigrations: ["v9-future"])) {
            try Registry.open(path: path)
        }
    }

    @Test("A later migration can add a table to a populated registry")
    func laterMigrationAddsTable() throws {
        let registry = try RegistryFixtures.registry()
        _ = try registry.register(fingerprint: RegistryFixtures.fingerprintA, metadata: RegistryFixtures.metadata("a"))
        var migrator = RegistrySchema.migrator(logKeyPath: registry.logKeyPath)
        migrator.registerMigration("v9-later-test") { db in
            try db.execute(sql: """
                CREATE TABLE registry_log (sequence INTEGER PRIMARY KEY, entry BLOB NOT NULL,
                                           release_id INTEGER REFERENCES releases (id) ON DELETE SET NULL);
                CREATE TRIGGER registry_log_append_only BEFORE UPDATE ON registry_log
                BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
                """)
        }
        try migrator.migrate(registry.pool)
        try registry.pool.write { db in
            try db.execute(sql: "INSERT INTO registry_log (sequence, entry, release_id) SELECT 0, x'01', id FROM releases")
        }
        #expect(throws: DatabaseError.self) {
            try registry.pool.write { db in try db.execute(sql: "UPDATE registry_log SET entry = x'02'") }
        }
        #expect(try registry.list().map(\.name) == ["a"])
        // This build does not know v9: it refuses rather than misreading the file.
        #expect(throws: RegistryError.self) { try Registry.open(path: registry.path) }
    }

    @Test("Default path: --registry, then PROVENANCE_REGISTRY, then XDG_DATA_HOME, then ~/.local/share")
    func defaultPath() {
        let environment = ["PROVENANCE_REGISTRY": "/env/r.sqlite", "XDG_DATA_HOME": "/xdg", "HOME": "/home/u"]
        #expect(Registry.defaultPath(explicit: "/explicit.sqlite", environment: environment) == "/explicit.sqlite")
        #expect(Registry.defaultPath(environment: environment) == "/env/r.sqlite")
        #expect(Registry.defaultPath(environment: ["XDG_DATA_HOME": "/xdg", "HOME": "/home/u"]) == "/xdg/provenance/registry.sqlite")
        #expect(Registry.defaultPath(environment: ["XDG_DATA_HOME": "relative", "HOME": "/home/u"]) == "/home/u/.local/share/provenance/registry.sqlite")
        #expect(Registry.defaultPath(environment: ["PROVENANCE_REGISTRY": "", "HOME": "/home/u"]) == "/home/u/.local/share/provenance/registry.sqlite")
    }
}
