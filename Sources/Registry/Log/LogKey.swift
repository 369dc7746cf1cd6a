import Foundation
import GRDB
import ProvenanceCrypto

/// The registry's log key: the Ed25519 key that signs its tree heads.
///
/// The private key is a PEM file next to the registry, `<registry>.log-key.pem`, mode 0600,
/// created on first use (the first logged change). It is deliberately not inside the
/// database: a registry file can then be copied, backed up or shared for reading without
/// handing out the power to sign tree heads, and someone who can edit the database but not
/// read the key file cannot sign a rewritten history. The public key is pinned in the
/// database (`registry_info.log_public_key`, hex) by the first signed head, so verifying
/// needs no key file and a swapped key file is refused.
enum LogKey {
    /// `registry_info` key of the pinned public key (64 hex characters).
    static let infoKey = "log_public_key"

    /// The key file of the registry at `registryPath`.
    static func path(forRegistry registryPath: String) -> String {
        registryPath + ".log-key.pem"
    }

    /// Reads the key file, creating it (mode 0600, never overwriting) if it does not exist.
    /// A key file readable or writable by group or others is refused.
    static func loadOrCreate(at path: String) throws -> Ed25519PrivateKey {
        if !FileManager.default.fileExists(atPath: path) {
            do {
                let key = try Ed25519PrivateKey.generate()
                try KeyFile.writePrivateKey(key, to: path)
                return key
            } catch let error where error.rule == .fileExists {
                // Another process created it first: use theirs.
            } catch {
                throw RegistryError.logKey(path: path, reason: RegistryError.clause(error.description))
            }
        }
        if let mode = (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? NSNumber,
           mode.intValue & 0o077 != 0 {
            throw RegistryError.logKey(path: path, reason: "it is accessible to other users (mode \(String(mode.intValue, radix: 8))); make it private with chmod 600")
        }
        do {
            return try KeyFile.readPrivateKey(at: path)
        } catch {
            throw RegistryError.logKey(path: path, reason: RegistryError.clause(error.description))
        }
    }

    /// The pinned public key, or `nil` before the first signed head.
    static func pinned(in db: Database) throws -> Ed25519PublicKey? {
        guard let text = try String.fetchOne(db, sql: "SELECT value FROM registry_info WHERE key = ?", arguments: [infoKey]) else {
            return nil
        }
        guard let key = try? Ed25519PublicKey(hex: text), text.utf8.count == 64 else {
            throw RegistryError.logCorrupt(reason: "registry_info.\(infoKey) is not a 64-character hexadecimal Ed25519 public key")
        }
        return key
    }

    /// Pins `key` if no key is pinned; throws if another key is.
    static func pin(_ key: Ed25519PublicKey, keyPath: String, in db: Database) throws {
        if let pinned = try pinned(in: db) {
            guard pinned == key else {
                throw RegistryError.logKey(path: keyPath, reason: "it holds key \(key.keyID.hex), but this registry's log is signed by key \(pinned.keyID.hex); restore the original key file")
            }
            return
        }
        try db.execute(sql: "INSERT INTO registry_info (key, value) VALUES (?, ?)", arguments: [infoKey, key.hex])
    }
}
