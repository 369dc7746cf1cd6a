import Fingerprinting
import Foundation
import GRDB
import ProvenanceCrypto

/// Row-level reads and writes of releases. Callers provide the transaction.
enum ReleaseStore {
    // MARK: - Writing

    /// Inserts a release with its blob, bases, files, digests and keys; returns its id.
    static func insert(_ release: PreparedRelease, in db: Database) throws -> Int64 {
        let fingerprint = release.fingerprint
        let metadata = release.metadata
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let architecture = String(decoding: try encoder.encode(fingerprint.structure), as: UTF8.self)
        try db.execute(sql: """
            INSERT INTO releases (name, version, org, license, released, url, notes, parameter_count, tensor_count,
                                  architecture, fingerprint_sha256, fingerprint_size, raw_root, canonical_root,
                                  registered_by, registered_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [
                metadata.name, metadata.version ?? "", metadata.org, metadata.license, metadata.released, metadata.url,
                metadata.notes, fingerprint.source.parameterCount, fingerprint.tensors.count, architecture,
                Data(release.sha256.bytes), release.bytes.count, Data(fingerprint.roots.raw.bytes),
                Data(fingerprint.roots.canonical.bytes), release.registeredBy, release.registeredAt,
            ])
        let id = db.lastInsertedRowID
        try db.execute(sql: "INSERT INTO fingerprint_blobs (release_id, bytes) VALUES (?, ?)", arguments: [id, Data(release.bytes)])

        for (position, text) in metadata.bases.enumerated() {
            let base = try ReleaseReference(parsing: text)
            let resolved = try latestID(of: base, in: db)
            try db.execute(sql: """
                INSERT INTO release_bases (release_id, position, base_name, base_version, base_release_id) VALUES (?, ?, ?, ?, ?)
                """, arguments: [id, position, base.name, base.version, resolved])
        }
        for (position, file) in fingerprint.source.files.enumerated() {
            try db.execute(sql: "INSERT INTO release_files (release_id, position, name, size, sha256) VALUES (?, ?, ?, ?, ?)",
                           arguments: [id, position, file.name, Int64(clamping: file.size), file.sha256.map { Data($0.bytes) }])
        }
        let digestStatement = try db.cachedStatement(sql: """
            INSERT INTO tensor_digests (release_id, kind, position, tensor_name, digest) VALUES (?, ?, ?, ?, ?)
            """)
        for (position, tensor) in fingerprint.tensors.enumerated() {
            try digestStatement.execute(arguments: [id, "raw", position, tensor.name, Data(tensor.sha256.bytes)])
            try digestStatement.execute(arguments: [id, "canonical", position, tensor.name, Data(tensor.canonical.sha256.bytes)])
        }
        let keyStatement = try db.cachedStatement(sql: "INSERT OR IGNORE INTO index_keys (key, kind, release_id) VALUES (?, ?, ?)")
        for key in fingerprint.indexKeys {
            try keyStatement.execute(arguments: [Int64(bitPattern: key.value), key.kind, id])
        }
        if let signed = release.signature {
            try db.execute(sql: """
                INSERT INTO release_signatures (release_id, key_id, public_key, statement, signature, signed_at) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [id, Data(signed.signerKeyID.bytes), Data(signed.publicKey.rawRepresentation),
                                 Data(signed.statement.encoded), Data(signed.signature.rawRepresentation), release.registeredAt])
        }
        // Earlier releases that declared this one as a base, before it was registered.
        try db.execute(sql: """
            UPDATE release_bases SET base_release_id = ?
            WHERE base_release_id IS NULL AND base_name = ? AND (base_version IS NULL OR base_version = ?)
            """, arguments: [id, metadata.name, metadata.version ?? ""])
        return id
    }

    /// Deletes a release; its rows in every other table go with it (foreign-key cascades),
    /// and releases that named it as a base keep the name.
    static func delete(id: Int64, in db: Database) throws {
        try db.execute(sql: "DELETE FROM releases WHERE id = ?", arguments: [id])
    }

    // MARK: - Reading

    static let releaseColumns = """
        id, name, version, org, license, released, url, notes, parameter_count, tensor_count, architecture,
        fingerprint_sha256, fingerprint_size, raw_root, canonical_root, registered_by, registered_at
        """

    /// Releases selected by `filter` (an SQL suffix over `releases`, e.g. `WHERE name = ?`).
    static func releases(in db: Database, filter: String = "", arguments: StatementArguments = [],
                         order: String = "ORDER BY name, version, id") throws -> [Release] {
        let rows = try Row.fetchAll(db, sql: "SELECT \(releaseColumns) FROM releases \(filter) \(order)", arguments: arguments)
        guard !rows.isEmpty else { return [] }
        let selection = "SELECT id FROM releases \(filter)"
        var bases: [Int64: [BaseModel]] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT release_id, base_name, base_version, base_release_id FROM release_bases
            WHERE release_id IN (\(selection)) ORDER BY release_id, position
            """, arguments: arguments) {
            bases[row["release_id"], default: []].append(BaseModel(name: row["base_name"], version: row["base_version"], releaseID: row["base_release_id"]))
        }
        var files: [Int64: [ReleaseFile]] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT release_id, name, size, sha256 FROM release_files
            WHERE release_id IN (\(selection)) ORDER BY release_id, position
            """, arguments: arguments) {
            let sha: Data? = row["sha256"]
            let size: Int64 = row["size"]
            files[row["release_id"], default: []].append(ReleaseFile(
                name: row["name"], size: UInt64(max(0, size)), sha256: sha.flatMap { SHA256Digest(bytes: $0) }))
        }
        var signatures: [Int64: SignedStatement] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT release_id, public_key, statement, signature FROM release_signatures
            WHERE release_id IN (\(selection)) ORDER BY release_id, key_id
            """, arguments: arguments) {
            let id: Int64 = row["release_id"]
            let publicKey: Data = row["public_key"], statement: Data = row["statement"], signature: Data = row["signature"]
            guard let signed = try? SignedStatement(encodedStatement: [UInt8](statement), publicKey: [UInt8](publicKey),
                                                    signature: [UInt8](signature)) else {
                throw RegistryError.corruptEntry(reference: "release id \(id)", reason: "its stored signature, statement or public key does not decode")
            }
            if signatures[id] == nil { signatures[id] = signed }
        }
        return try rows.map { row in
            let id: Int64 = row["id"]
            let name: String = row["name"]
            let version: String = row["version"]
            let reference = ReleaseReference(name: name, version: version.isEmpty ? nil : version)
            let releaseBases = bases[id] ?? []
            let metadata = ReleaseMetadata(
                name: name, version: reference.version, org: row["org"], license: row["license"], released: row["released"],
                url: row["url"], bases: releaseBases.map(\.reference.description), notes: row["notes"])
            let architectureText: String = row["architecture"]
            let architecture: ModelStructure
            do {
                architecture = try JSONDecoder().decode(ModelStructure.self, from: Data(architectureText.utf8))
            } catch {
                throw RegistryError.corruptEntry(reference: reference.description, reason: "its architecture JSON does not decode")
            }
            func digest(_ column: String) throws -> SHA256Digest {
                let data: Data = row[column]
                guard let digest = SHA256Digest(bytes: data) else {
                    throw RegistryError.corruptEntry(reference: reference.description, reason: "\(column) is not 32 bytes")
                }
                return digest
            }
            return Release(
                id: id, metadata: metadata, bases: releaseBases, files: files[id] ?? [],
                parameterCount: row["parameter_count"], tensorCount: row["tensor_count"], architecture: architecture,
                fingerprintSHA256: try digest("fingerprint_sha256"), fingerprintSize: row["fingerprint_size"],
                rawRoot: try digest("raw_root"), canonicalRoot: try digest("canonical_root"),
                registeredBy: row["registered_by"], registeredAt: row["registered_at"], signature: signatures[id])
        }
    }

    static func release(id: Int64, in db: Database) throws -> Release? {
        try releases(in: db, filter: "WHERE id = ?", arguments: [id]).first
    }

    static func releases(ids: [Int64], in db: Database) throws -> [Release] {
        guard !ids.isEmpty else { return [] }
        let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ",")
        return try releases(in: db, filter: "WHERE id IN (\(placeholders))", arguments: StatementArguments(ids))
    }

    /// The id of `NAME@VERSION`, or of the latest registered release named NAME.
    static func latestID(of reference: ReleaseReference, in db: Database) throws -> Int64? {
        if let version = reference.version {
            return try Int64.fetchOne(db, sql: "SELECT id FROM releases WHERE name = ? AND version = ?", arguments: [reference.name, version])
        }
        return try Int64.fetchOne(db, sql: "SELECT id FROM releases WHERE name = ? ORDER BY registered_at DESC, id DESC LIMIT 1",
                                  arguments: [reference.name])
    }

    /// Registered versions of `name` (`""` for none), latest registered first.
    static func versions(of name: String, in db: Database) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT version FROM releases WHERE name = ? ORDER BY registered_at DESC, id DESC", arguments: [name])
    }

    /// The stored fingerprint file bytes of a release, checked against the recorded digest.
    static func fingerprintBytes(of release: Release, in db: Database) throws -> [UInt8] {
        guard let data = try Data.fetchOne(db, sql: "SELECT bytes FROM fingerprint_blobs WHERE release_id = ?", arguments: [release.id]) else {
            throw RegistryError.corruptEntry(reference: release.reference.description, reason: "its fingerprint blob is missing")
        }
        let bytes = [UInt8](data)
        guard SHA256.hash(bytes) == release.fingerprintSHA256 else {
            throw RegistryError.corruptEntry(reference: release.reference.description, reason: "its fingerprint blob does not match fingerprint_sha256")
        }
        return bytes
    }
}
