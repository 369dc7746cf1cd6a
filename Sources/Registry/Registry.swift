import Foundation
import GRDB

/// A SQLite registry of model releases and their fingerprints.
///
/// One registry file may be used by several processes at once: it runs in WAL mode (readers
/// never block the writer), every write is one IMMEDIATE transaction, lock waits use a busy
/// timeout and whole transactions are retried when SQLite still reports `SQLITE_BUSY`.
/// A process killed mid-write leaves the registry as it was before the transaction.
///
/// Every change (register, replace, remove, import, seeding) appends an entry to an
/// append-only Merkle log in the same transaction, and the registry's Ed25519 key signs the
/// new tree head (docs/SIGNING_AND_LOG.md).
///
/// All methods throw `RegistryError` for registry problems; fingerprint files that cannot
/// be decoded surface as `RegistryError.invalidFingerprintFile`.
public final class Registry: Sendable {
    /// The registry file.
    public let path: String
    /// The private key that signs the log's tree heads: `<path>.log-key.pem`, mode 0600,
    /// created on the first logged change (docs/SIGNING_AND_LOG.md explains why it is a
    /// file next to the registry rather than a row inside it).
    public let logKeyPath: String
    let pool: DatabasePool

    /// How long one statement waits for another process's lock before SQLite gives up.
    static let busyTimeout: TimeInterval = 10
    /// How many times a whole write transaction is attempted while the registry is busy.
    static let writeAttempts = 6

    private init(path: String, pool: DatabasePool) {
        self.path = path
        self.pool = pool
        logKeyPath = LogKey.path(forRegistry: path)
    }

    /// Opens (creating it and its directories if needed) and migrates the registry at `path`.
    public static func open(path: String) throws -> Registry {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory), isDirectory.boolValue {
            throw RegistryError.cannotOpen(path: path, reason: "it is a directory")
        }
        let parent = (absolute as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw RegistryError.cannotOpen(path: path, reason: "its directory \(parent) cannot be created (\(error.localizedDescription))")
        }

        let registry = try connect(path: path)
        try registry.migrate()
        return registry
    }

    // MARK: - Opening

    /// Opens the pool and checks the file is a registry. Switching a new file to WAL mode
    /// and the first read of a file another process is still creating can report
    /// `SQLITE_BUSY` without waiting for the busy timeout (SQLite does not call the busy
    /// handler there), so the whole opening is retried with back-off.
    private static func connect(path: String) throws -> Registry {
        var configuration = Configuration()
        configuration.label = "provenance-registry"
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(busyTimeout)
        for attempt in 1...writeAttempts {
            do {
                let registry = Registry(path: path, pool: try DatabasePool(path: path, configuration: configuration))
                try registry.checkIdentity()
                return registry
            } catch let error as DatabaseError where isBusy(error) && attempt < writeAttempts {
                Thread.sleep(forTimeInterval: backoff(attempt))
            } catch let error as DatabaseError {
                throw isBusy(error) ? RegistryError.busy(path: path, attempts: attempt) : openingError(error, path: path)
            } catch let error as RegistryError {
                throw error
            } catch {
                throw RegistryError.cannotOpen(path: path, reason: "\(error)")
            }
        }
        throw RegistryError.busy(path: path, attempts: writeAttempts)
    }

    /// Throws `RegistryError.notARegistry` for a foreign SQLite file; SQLite errors are
    /// rethrown as they are, for `connect` to retry or map.
    private func checkIdentity() throws {
        let (applicationID, tables): (Int32, [String]) = try pool.read { db in
            (try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0,
             try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"))
        }
        if applicationID != 0, applicationID != RegistrySchema.applicationID {
            throw RegistryError.notARegistry(path: path, reason: "its SQLite application_id is \(applicationID), not provenance's")
        }
        if applicationID == 0, !tables.isEmpty, !tables.contains("grdb_migrations") {
            throw RegistryError.notARegistry(path: path, reason: "it is an SQLite database holding other tables (\(tables.prefix(3).joined(separator: ", ")))")
        }
    }

    /// Applies pending migrations. Several processes may open a new registry at once: each
    /// migration runs in its own IMMEDIATE transaction, and a process that loses the race
    /// (its migration fails because another process applied it) re-reads the schema.
    private func migrate() throws {
        let migrator = RegistrySchema.migrator(logKeyPath: logKeyPath)
        for attempt in 1...Self.writeAttempts {
            do {
                let (superseded, complete) = try pool.read { db in
                    (try migrator.hasBeenSuperseded(db), try migrator.hasCompletedMigrations(db))
                }
                if superseded {
                    let applied = try pool.read { db in try migrator.appliedIdentifiers(db) }
                    throw RegistryError.newerSchema(path: path, unknownMigrations: applied.subtracting(migrator.migrations).sorted())
                }
                if complete { return }
                try migrator.migrate(pool)
                return
            } catch let error as DatabaseError {
                if attempt == Self.writeAttempts { throw mapped(error) }
                Thread.sleep(forTimeInterval: Self.backoff(attempt))
            }
        }
    }

    static func openingError(_ error: DatabaseError, path: String) -> RegistryError {
        switch error.resultCode {
        case .SQLITE_NOTADB:
            return .notARegistry(path: path, reason: "it is not an SQLite database")
        case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_READONLY:
            return .cannotOpen(path: path, reason: error.message ?? "\(error.resultCode)")
        default:
            return .database(path: path, message: databaseMessage(error))
        }
    }

    /// SQLite's message with its extended result code and the statement that failed, so
    /// that a report of an unexpected database error says where it came from.
    static func databaseMessage(_ error: DatabaseError) -> String {
        var message = "\(error.message ?? "error") (SQLite code \(error.extendedResultCode.rawValue)"
        if let sql = error.sql { message += " in `\(sql)`" }
        return message + ")"
    }

    // MARK: - Transactions

    /// Runs `body` in one IMMEDIATE write transaction, retrying the whole transaction while
    /// other processes keep the registry busy. Errors thrown by `body` roll it back.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        try retryingWhileBusy { try pool.write(body) }
    }

    /// Runs `body` in one read transaction (a consistent snapshot).
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        try retryingWhileBusy { try pool.read(body) }
    }

    /// Retries `operation` with back-off while SQLite reports the database busy or locked.
    private func retryingWhileBusy<T>(_ operation: () throws -> T) throws -> T {
        for attempt in 1...Self.writeAttempts {
            do {
                return try operation()
            } catch let error as DatabaseError where Self.isBusy(error) {
                if attempt == Self.writeAttempts { throw RegistryError.busy(path: path, attempts: attempt) }
                Thread.sleep(forTimeInterval: Self.backoff(attempt))
            } catch {
                throw mapped(error)
            }
        }
        throw RegistryError.busy(path: path, attempts: Self.writeAttempts)
    }

    static func isBusy(_ error: DatabaseError) -> Bool {
        error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED
    }

    /// 50 ms, 100 ms, 200 ms, … with jitter so that competing processes spread out.
    static func backoff(_ attempt: Int) -> TimeInterval {
        0.05 * Double(1 << min(attempt - 1, 6)) * Double.random(in: 0.75...1.25)
    }

    func mapped(_ error: any Error) -> any Error {
        guard let error = error as? DatabaseError else { return error }
        if Self.isBusy(error) { return RegistryError.busy(path: path, attempts: 1) }
        return RegistryError.database(path: path, message: Self.databaseMessage(error))
    }
}
