import Foundation
import GRDB

// MARK: - Seeding

extension Registry {
    /// Imports every fingerprint file of `directory` (the bundled `Fingerprints/`) if this
    /// registry has never been seeded and holds no release. Returns what was seeded, or
    /// `nil` when nothing was to be done. Safe when several processes start at once: the
    /// check and the inserts share one transaction.
    public func seedIfEmpty(from directory: String) throws -> SeedResult? {
        guard try read({ db in try Self.needsSeed(db) }) else { return nil }
        let files: [String]
        do {
            files = try Self.fingerprintFiles(in: [directory])
        } catch RegistryError.noFingerprintFiles {
            return nil
        }
        let items = try Self.decodeImports(files)
        return try write { db in
            guard try Self.needsSeed(db) else { return nil }
            var releases: [Release] = []
            for item in items {
                let id = try ReleaseStore.insert(item.prepared, in: db)
                if let release = try ReleaseStore.release(id: id, in: db) { releases.append(release) }
            }
            try LogStore.append(items.map { $0.prepared.logChange(.import) }, keyPath: logKeyPath, in: db)
            try db.execute(sql: "INSERT OR REPLACE INTO registry_info (key, value) VALUES ('seeded_at', ?), ('seeded_from', ?)",
                           arguments: [Timestamp.now(), directory])
            return SeedResult(directory: directory, releases: releases)
        }
    }

    private static func needsSeed(_ db: Database) throws -> Bool {
        let seeded = try String.fetchOne(db, sql: "SELECT value FROM registry_info WHERE key = 'seeded_at'")
        let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM releases") ?? 0
        return seeded == nil && count == 0
    }
}
