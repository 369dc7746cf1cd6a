// The only file in this module that touches OpenSSL's C API directly.

import COpenSSL

/// An `EVP_MD_CTX *` owned by a `SHA256` hasher.
typealias DigestContextHandle = OpaquePointer

/// The SHA-256 implementation fetched once per process.
///
/// `EVP_MD_fetch` is explicit about the provider and avoids the implicit
/// fetch that `EVP_sha256()` performs on every `EVP_DigestInit_ex`.
/// `nonisolated(unsafe)`: a fetched `EVP_MD` is immutable and documented as thread-safe to share.
nonisolated(unsafe) private let sha256Method: OpaquePointer = {
    guard let method = EVP_MD_fetch(nil, "SHA256", nil) else {
        fatalError("OpenSSL has no SHA256 implementation: \(OpenSSL.lastErrorDescription())")
    }
    return method
}()

enum OpenSSL {
    static func newSHA256Context() -> DigestContextHandle {
        guard let context = EVP_MD_CTX_new() else {
            fatalError("EVP_MD_CTX_new failed: out of memory")
        }
        guard EVP_DigestInit_ex(context, sha256Method, nil) == 1 else {
            fatalError("EVP_DigestInit_ex(SHA256) failed: \(lastErrorDescription())")
        }
        return context
    }

    static func resetSHA256Context(_ context: DigestContextHandle) {
        guard EVP_DigestInit_ex(context, sha256Method, nil) == 1 else {
            fatalError("EVP_DigestInit_ex(SHA256) failed: \(lastErrorDescription())")
        }
    }

    static func update(_ context: DigestContextHandle, _ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        guard EVP_DigestUpdate(context, base, bytes.count) == 1 else {
            fatalError("EVP_DigestUpdate failed: \(lastErrorDescription())")
        }
    }

    static func finalize(_ context: DigestContextHandle) -> SHA256Digest {
        var output = [UInt8](repeating: 0, count: 32)
        output.withUnsafeMutableBytes { finalize(context, into: $0) }
        return SHA256Digest(unchecked: output)
    }

    /// Writes the 32 digest bytes to the start of `output` (which holds at least 32 bytes).
    static func finalize(_ context: DigestContextHandle, into output: UnsafeMutableRawBufferPointer) {
        precondition(output.count >= 32, "a SHA-256 digest needs 32 bytes of output space")
        var length: UInt32 = 0
        let bytes = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
        guard EVP_DigestFinal_ex(context, bytes, &length) == 1, length == 32 else {
            fatalError("EVP_DigestFinal_ex failed: \(lastErrorDescription())")
        }
    }

    static func copy(_ context: DigestContextHandle) -> DigestContextHandle {
        guard let copy = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new failed: out of memory") }
        guard EVP_MD_CTX_copy_ex(copy, context) == 1 else {
            fatalError("EVP_MD_CTX_copy_ex failed: \(lastErrorDescription())")
        }
        return copy
    }

    static func free(_ context: DigestContextHandle) {
        EVP_MD_CTX_free(context)
    }

    /// The text of the most recent OpenSSL error on this thread, or a placeholder.
    static func lastErrorDescription() -> String {
        let code = ERR_get_error()
        guard code != 0 else { return "no OpenSSL error queued" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The OpenSSL version string, e.g. "OpenSSL 3.0.19 1 Jul 2025".
    static var versionString: String {
        String(cString: OpenSSL_version(numericCast(OPENSSL_VERSION)))
    }
}

// MARK: - Ed25519 handles

/// An `EVP_PKEY *`.
typealias KeyHandle = OpaquePointer
/// An `EVP_PKEY_CTX *`.
typealias KeyContextHandle = OpaquePointer
/// A `BIO *`.
typealias BIOHandle = OpaquePointer

/// Owns an `EVP_PKEY` and frees it when the last reference goes away.
///
/// `@unchecked Sendable`: the key is never modified after creation, and OpenSSL allows
/// concurrent read-only use (signing, verifying, exporting) of one `EVP_PKEY`.
final class OwnedKey: @unchecked Sendable {
    let handle: KeyHandle

    init(taking handle: KeyHandle) {
        self.handle = handle
    }

    deinit {
        EVP_PKEY_free(handle)
    }
}

/// Owns an `EVP_PKEY_CTX` for the duration of one operation.
private final class OwnedKeyContext {
    let handle: KeyContextHandle

    init(taking handle: KeyContextHandle) {
        self.handle = handle
    }

    deinit {
        EVP_PKEY_CTX_free(handle)
    }
}

/// Owns an `EVP_MD_CTX` used for one sign or verify operation.
private final class OwnedDigestContext {
    let handle: DigestContextHandle

    init() {
        guard let context = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new failed: out of memory") }
        handle = context
    }

    deinit {
        EVP_MD_CTX_free(handle)
    }
}

/// Owns a `BIO`; memory BIOs only.
private final class OwnedBIO {
    let handle: BIOHandle

    init(taking handle: BIOHandle) {
        self.handle = handle
    }

    deinit {
        BIO_free(handle)
    }
}

/// A password callback that never supplies a password, so OpenSSL fails on an
/// encrypted key instead of prompting on the terminal.
private let refusePassword: @convention(c) (UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?) -> Int32 = { _, _, _, _ in
    0
}

// MARK: - Ed25519 operations

extension OpenSSL {
    static let ed25519KeyLength = 32
    static let ed25519SignatureLength = 64
    /// Longest PEM text accepted; an Ed25519 PEM key is under 200 bytes.
    static let pemLengthLimit = 64 * 1024

    /// A fresh Ed25519 key pair from OpenSSL's default random generator.
    static func generateEd25519Key() throws(CryptoError) -> OwnedKey {
        guard let rawContext = EVP_PKEY_CTX_new_from_name(nil, "ED25519", nil) else {
            throw openSSLError("EVP_PKEY_CTX_new_from_name(ED25519)")
        }
        let context = OwnedKeyContext(taking: rawContext)
        guard EVP_PKEY_keygen_init(context.handle) == 1 else { throw openSSLError("EVP_PKEY_keygen_init") }
        var key: KeyHandle?
        guard EVP_PKEY_keygen(context.handle, &key) == 1, let key else { throw openSSLError("EVP_PKEY_keygen") }
        return OwnedKey(taking: key)
    }

    /// The Ed25519 private key whose RFC 8032 32-byte secret is `seed`.
    static func ed25519PrivateKey(seed: [UInt8]) throws(CryptoError) -> OwnedKey {
        guard seed.count == ed25519KeyLength else {
            throw CryptoError(rule: .badKeyLength(role: .privateKey, expected: ed25519KeyLength, got: seed.count))
        }
        guard let key = EVP_PKEY_new_raw_private_key_ex(nil, "ED25519", nil, seed, seed.count) else {
            throw openSSLError("EVP_PKEY_new_raw_private_key_ex")
        }
        return OwnedKey(taking: key)
    }

    /// The Ed25519 public key with RFC 8032 32-byte encoding `raw`.
    static func ed25519PublicKey(raw: [UInt8]) throws(CryptoError) -> OwnedKey {
        guard raw.count == ed25519KeyLength else {
            throw CryptoError(rule: .badKeyLength(role: .publicKey, expected: ed25519KeyLength, got: raw.count))
        }
        guard let key = EVP_PKEY_new_raw_public_key_ex(nil, "ED25519", nil, raw, raw.count) else {
            throw openSSLError("EVP_PKEY_new_raw_public_key_ex")
        }
        return OwnedKey(taking: key)
    }

    /// The 32-byte public key of an Ed25519 key (private or public).
    static func rawPublicKey(_ key: OwnedKey) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: ed25519KeyLength)
        var length = output.count
        guard EVP_PKEY_get_raw_public_key(key.handle, &output, &length) == 1, length == ed25519KeyLength else {
            fatalError("EVP_PKEY_get_raw_public_key failed on an Ed25519 key: \(drainErrors())")
        }
        return output
    }

    /// The 32-byte secret seed of an Ed25519 private key.
    static func rawPrivateKey(_ key: OwnedKey) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: ed25519KeyLength)
        var length = output.count
        guard EVP_PKEY_get_raw_private_key(key.handle, &output, &length) == 1, length == ed25519KeyLength else {
            fatalError("EVP_PKEY_get_raw_private_key failed on an Ed25519 private key: \(drainErrors())")
        }
        return output
    }

    /// The unencrypted PKCS#8 PEM text ("BEGIN PRIVATE KEY") of a private key.
    static func privateKeyPEM(_ key: OwnedKey) -> String {
        writePEM("PEM_write_bio_PrivateKey") { bio in
            PEM_write_bio_PrivateKey(bio, key.handle, nil, nil, 0, nil, nil)
        }
    }

    /// The SubjectPublicKeyInfo PEM text ("BEGIN PUBLIC KEY") of a key.
    static func publicKeyPEM(_ key: OwnedKey) -> String {
        writePEM("PEM_write_bio_PUBKEY") { bio in
            PEM_write_bio_PUBKEY(bio, key.handle)
        }
    }

    /// Parses the first PEM private key in `pem` and checks that it is Ed25519.
    static func readPrivateKeyPEM(_ pem: [UInt8]) throws(CryptoError) -> OwnedKey {
        let key = try readPEM(pem, role: .privateKey) { bio in
            PEM_read_bio_PrivateKey(bio, nil, refusePassword, nil)
        }
        try requireEd25519(key)
        return key
    }

    /// Parses the first PEM public key (SPKI) in `pem` and checks that it is Ed25519.
    static func readPublicKeyPEM(_ pem: [UInt8]) throws(CryptoError) -> OwnedKey {
        let key = try readPEM(pem, role: .publicKey) { bio in
            PEM_read_bio_PUBKEY(bio, nil, refusePassword, nil)
        }
        try requireEd25519(key)
        return key
    }

    /// The 64-byte Ed25519 signature (pure Ed25519, no pre-hash) of `message`.
    static func sign(_ key: OwnedKey, message: UnsafeRawBufferPointer) -> [UInt8] {
        let context = OwnedDigestContext()
        // A NULL digest selects pure Ed25519; OpenSSL hashes internally with SHA-512.
        guard EVP_DigestSignInit(context.handle, nil, nil, nil, key.handle) == 1 else {
            fatalError("EVP_DigestSignInit failed on an Ed25519 private key: \(drainErrors())")
        }
        var signature = [UInt8](repeating: 0, count: ed25519SignatureLength)
        var length = signature.count
        let status = withMessagePointer(message) { bytes, count in
            EVP_DigestSign(context.handle, &signature, &length, bytes, count)
        }
        guard status == 1, length == ed25519SignatureLength else {
            fatalError("EVP_DigestSign failed on an Ed25519 private key: \(drainErrors())")
        }
        return signature
    }

    /// Whether `signature` is a valid Ed25519 signature of `message` under `key`.
    static func verify(_ key: OwnedKey, signature: [UInt8], message: UnsafeRawBufferPointer) -> Bool {
        guard signature.count == ed25519SignatureLength else { return false }
        let context = OwnedDigestContext()
        guard EVP_DigestVerifyInit(context.handle, nil, nil, nil, key.handle) == 1 else {
            _ = drainErrors()
            return false
        }
        let status = withMessagePointer(message) { bytes, count in
            EVP_DigestVerify(context.handle, signature, signature.count, bytes, count)
        }
        if status != 1 { _ = drainErrors() }
        return status == 1
    }

    // MARK: - Helpers

    /// Calls `body` with a non-null pointer even for an empty message.
    private static func withMessagePointer<R>(
        _ message: UnsafeRawBufferPointer, _ body: (UnsafePointer<UInt8>, Int) -> R
    ) -> R {
        if let base = message.baseAddress, message.count > 0 {
            return body(base.assumingMemoryBound(to: UInt8.self), message.count)
        }
        var empty: UInt8 = 0
        return withUnsafePointer(to: &empty) { body($0, 0) }
    }

    private static func requireEd25519(_ key: OwnedKey) throws(CryptoError) {
        guard EVP_PKEY_is_a(key.handle, "ED25519") == 1 else {
            let name = EVP_PKEY_get0_type_name(key.handle).map { String(cString: $0) } ?? "unknown"
            throw CryptoError(rule: .wrongKeyType(expected: "Ed25519", found: name))
        }
    }

    private static func readPEM(
        _ pem: [UInt8], role: CryptoError.KeyRole, _ read: (BIOHandle) -> KeyHandle?
    ) throws(CryptoError) -> OwnedKey {
        guard pem.count <= pemLengthLimit else {
            throw CryptoError(rule: .invalidPEM(expected: role, detail: "\(pem.count) bytes is longer than any Ed25519 key (limit \(pemLengthLimit))"))
        }
        if role == .privateKey, containsASCII(pem, "ENCRYPTED PRIVATE KEY") || containsASCII(pem, "Proc-Type: 4,ENCRYPTED") {
            throw CryptoError(rule: .encryptedPrivateKey)
        }
        guard !pem.isEmpty else {
            throw CryptoError(rule: .invalidPEM(expected: role, detail: "it is empty"))
        }
        let key: KeyHandle? = pem.withUnsafeBytes { buffer in
            guard let rawBIO = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else { return nil }
            let bio = OwnedBIO(taking: rawBIO)
            return read(bio.handle)
        }
        guard let key else {
            var detail = drainErrors()
            if role == .publicKey, containsASCII(pem, "PRIVATE KEY-----") {
                detail = "it holds a private key; pass the public key file"
            } else if role == .privateKey, containsASCII(pem, "PUBLIC KEY-----") {
                detail = "it holds a public key; pass the private key file"
            }
            throw CryptoError(rule: .invalidPEM(expected: role, detail: detail))
        }
        return OwnedKey(taking: key)
    }

    private static func writePEM(_ operation: String, _ write: (BIOHandle) -> Int32) -> String {
        guard let rawBIO = BIO_new(BIO_s_mem()) else { fatalError("BIO_new failed: out of memory") }
        let bio = OwnedBIO(taking: rawBIO)
        guard write(bio.handle) == 1 else { fatalError("\(operation) failed on an Ed25519 key: \(drainErrors())") }
        let pending = BIO_ctrl_pending(bio.handle)
        var text = [UInt8](repeating: 0, count: pending)
        let read = BIO_read(bio.handle, &text, Int32(pending))
        guard read == Int32(pending) else { fatalError("BIO_read returned \(read) of \(pending) PEM bytes") }
        return String(decoding: text, as: UTF8.self)
    }

    private static func containsASCII(_ haystack: [UInt8], _ needle: String) -> Bool {
        let pattern = Array(needle.utf8)
        guard haystack.count >= pattern.count else { return false }
        for start in 0...(haystack.count - pattern.count) where haystack[start] == pattern[0] {
            if haystack[start..<(start + pattern.count)].elementsEqual(pattern) { return true }
        }
        return false
    }

    private static func openSSLError(_ operation: String) -> CryptoError {
        CryptoError(rule: .openSSL(operation: operation, message: drainErrors()))
    }

    /// The reason text of the most recent queued OpenSSL error, clearing the queue so a
    /// failed parse or verification leaves nothing behind for the next call.
    static func drainErrors() -> String {
        let code = ERR_peek_last_error()
        ERR_clear_error()
        guard code != 0 else { return "no detail from OpenSSL" }
        if let reason = ERR_reason_error_string(code) { return String(cString: reason) }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
