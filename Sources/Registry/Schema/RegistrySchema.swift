import GRDB

/// The registry's tables, created and evolved by versioned migrations.
///
/// Migrations are append-only: a released migration is never edited; later issues add new
/// ones (e.g. the append-only log table). See `docs/REGISTRY.md` for the schema.
enum RegistrySchema {
    /// `PRAGMA application_id` of a registry file: ASCII "PROV".
    static let applicationID: Int32 = 0x5052_4F56

    /// Every migration, in order. `logKeyPath` is the registry's log key file, which the
    /// log migration uses to sign the head of the log it starts for existing releases.
    static func migrator(logKeyPath: String) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-releases") { db in
            try db.execute(sql: version1)
            try db.execute(sql: "PRAGMA application_id = \(applicationID)")
        }
        migrator.registerMigration("v2-signatures-and-log") { db in
            try db.execute(sql: version2)
            try startLog(in: db, keyPath: logKeyPath)
        }
        return migrator
    }

    static let version1 = """
        -- Facts about the registry itself (e.g. when and from where it was seeded).
        CREATE TABLE registry_info (
            key   TEXT PRIMARY KEY NOT NULL,
            value TEXT NOT NULL
        ) WITHOUT ROWID;

        -- One row per release. The fingerprint file bytes live in fingerprint_blobs so that
        -- these rows stay small and listing never pages through megabytes of sketches.
        CREATE TABLE releases (
            id                 INTEGER PRIMARY KEY AUTOINCREMENT,
            name               TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 256 AND instr(name, '@') = 0),
            version            TEXT NOT NULL DEFAULT '',            -- '' when the release has no version
            org                TEXT,
            license            TEXT,
            released           TEXT CHECK (released IS NULL OR released GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
            url                TEXT,
            notes              TEXT,
            parameter_count    INTEGER NOT NULL CHECK (parameter_count >= 0),
            tensor_count       INTEGER NOT NULL CHECK (tensor_count >= 0),
            architecture       TEXT NOT NULL,                       -- JSON: the fingerprint's ModelStructure
            fingerprint_sha256 BLOB NOT NULL CHECK (length(fingerprint_sha256) = 32),
            fingerprint_size   INTEGER NOT NULL,
            raw_root           BLOB NOT NULL CHECK (length(raw_root) = 32),
            canonical_root     BLOB NOT NULL CHECK (length(canonical_root) = 32),
            registered_by      TEXT NOT NULL,
            registered_at      TEXT NOT NULL,                       -- UTC ISO-8601
            UNIQUE (name, version)
        );
        CREATE INDEX releases_by_canonical_root ON releases (canonical_root);
        CREATE INDEX releases_by_raw_root ON releases (raw_root);

        -- The fingerprint file (format of docs/FINGERPRINT_FORMAT.md, no extra metadata);
        -- SHA-256(bytes) = releases.fingerprint_sha256.
        CREATE TABLE fingerprint_blobs (
            release_id INTEGER PRIMARY KEY NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
            bytes      BLOB NOT NULL
        );

        -- Declared base models: a name (and version), resolved to a release when registered.
        CREATE TABLE release_bases (
            release_id      INTEGER NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
            position        INTEGER NOT NULL,
            base_name       TEXT NOT NULL,
            base_version    TEXT,                                   -- NULL: any version
            base_release_id INTEGER REFERENCES releases (id) ON DELETE SET NULL,
            PRIMARY KEY (release_id, position)
        ) WITHOUT ROWID;
        CREATE INDEX release_bases_by_name ON release_bases (base_name) WHERE base_release_id IS NULL;
        CREATE INDEX release_bases_by_base ON release_bases (base_release_id);

        -- The checkpoint's files; sha256 equals the Hugging Face LFS oid.
        CREATE TABLE release_files (
            release_id INTEGER NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
            position   INTEGER NOT NULL,
            name       TEXT NOT NULL,
            size       INTEGER NOT NULL,
            sha256     BLOB CHECK (sha256 IS NULL OR length(sha256) = 32),
            PRIMARY KEY (release_id, position)
        ) WITHOUT ROWID;
        CREATE INDEX release_files_by_sha256 ON release_files (sha256) WHERE sha256 IS NOT NULL;

        -- Every tensor's raw and canonical digest: one indexed look-up finds every release
        -- holding an identical tensor.
        CREATE TABLE tensor_digests (
            release_id  INTEGER NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
            kind        TEXT NOT NULL CHECK (kind IN ('raw', 'canonical')),
            position    INTEGER NOT NULL,                           -- index in the fingerprint's tensor list
            tensor_name TEXT NOT NULL,
            digest      BLOB NOT NULL CHECK (length(digest) = 32),
            PRIMARY KEY (release_id, kind, position)
        ) WITHOUT ROWID;
        CREATE INDEX tensor_digests_by_digest ON tensor_digests (digest, kind, release_id);

        -- LSH band keys (64-bit, stored as signed INTEGER bit patterns), clustered by key.
        CREATE TABLE index_keys (
            key        INTEGER NOT NULL,
            kind       TEXT NOT NULL,
            release_id INTEGER NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
            PRIMARY KEY (key, kind, release_id)
        ) WITHOUT ROWID;
        CREATE INDEX index_keys_by_release ON index_keys (release_id);

        -- Signed registrations (issue 7): a canonical statement, its Ed25519 signature and
        -- the signer's public key. Empty until signing is implemented.
        CREATE TABLE release_signatures (
            release_id INTEGER NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
            key_id     BLOB NOT NULL CHECK (length(key_id) = 32),  -- SHA-256 of the public key
            public_key BLOB NOT NULL,
            statement  BLOB NOT NULL,
            signature  BLOB NOT NULL,
            signed_at  TEXT,
            PRIMARY KEY (release_id, key_id)
        ) WITHOUT ROWID;
        """
}
