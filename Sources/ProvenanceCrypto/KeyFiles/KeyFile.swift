/// Reading and writing Ed25519 keys as PEM files.
///
/// Private keys are written with mode 0600 and never overwrite an existing file; reads
/// check the file size before allocating and name the file in every error.
public enum KeyFile {
    /// Largest key file read; an Ed25519 PEM key is under 200 bytes.
    public static let sizeLimit: UInt64 = 64 * 1024

    /// Writes `key` as unencrypted PKCS#8 PEM to a new file with mode 0600.
    /// Throws `fileExists` if anything is already at `path`.
    public static func writePrivateKey(_ key: Ed25519PrivateKey, to path: String) throws(CryptoError) {
        try POSIXFiles.createNewFile(at: path, contents: Array(key.pemRepresentation.utf8), mode: 0o600)
    }

    /// Writes `key` as SPKI PEM to a new file with mode 0644.
    /// Throws `fileExists` if anything is already at `path`.
    public static func writePublicKey(_ key: Ed25519PublicKey, to path: String) throws(CryptoError) {
        try POSIXFiles.createNewFile(at: path, contents: Array(key.pemRepresentation.utf8), mode: 0o644)
    }

    /// Writes both halves of a key pair (private 0600, public 0644). Refuses before writing
    /// anything if either path exists; if the public key cannot be written, the private key
    /// file just created is removed again, so the pair is written completely or not at all.
    public static func writeKeyPair(_ key: Ed25519PrivateKey, privateKeyPath: String, publicKeyPath: String) throws(CryptoError) {
        for path in [privateKeyPath, publicKeyPath] where POSIXFiles.exists(path) {
            throw CryptoError(file: path, rule: .fileExists)
        }
        try writePrivateKey(key, to: privateKeyPath)
        do throws(CryptoError) {
            try writePublicKey(key.publicKey, to: publicKeyPath)
        } catch {
            POSIXFiles.remove(privateKeyPath)
            throw error
        }
    }

    /// Reads an Ed25519 private key from a PKCS#8 PEM file.
    public static func readPrivateKey(at path: String) throws(CryptoError) -> Ed25519PrivateKey {
        let bytes = try POSIXFiles.readSmallFile(at: path, limit: sizeLimit)
        do throws(CryptoError) {
            return try Ed25519PrivateKey(pemBytes: bytes)
        } catch {
            throw CryptoError(file: path, rule: error.rule)
        }
    }

    /// Reads an Ed25519 public key from an SPKI PEM file.
    public static func readPublicKey(at path: String) throws(CryptoError) -> Ed25519PublicKey {
        let bytes = try POSIXFiles.readSmallFile(at: path, limit: sizeLimit)
        do throws(CryptoError) {
            return try Ed25519PublicKey(pemBytes: bytes)
        } catch {
            throw CryptoError(file: path, rule: error.rule)
        }
    }
}
