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
        var length: UInt32 = 0
        guard EVP_DigestFinal_ex(context, &output, &length) == 1, length == 32 else {
            fatalError("EVP_DigestFinal_ex failed: \(lastErrorDescription())")
        }
        return SHA256Digest(unchecked: output)
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
