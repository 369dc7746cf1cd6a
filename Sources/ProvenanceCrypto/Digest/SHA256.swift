/// Incremental SHA-256 through OpenSSL EVP.
///
/// A reference type so that hashing state can live inside accumulators that are
/// passed around; it is not `Sendable`: one hasher belongs to one task at a time.
public final class SHA256 {
    private let context: DigestContextHandle

    /// A fresh hasher.
    public init() {
        context = OpenSSL.newSHA256Context()
    }

    private init(context: DigestContextHandle) {
        self.context = context
    }

    deinit {
        OpenSSL.free(context)
    }

    /// Feeds bytes.
    public func update(_ bytes: UnsafeRawBufferPointer) {
        OpenSSL.update(context, bytes)
    }

    /// Feeds the bytes of a contiguous collection.
    public func update(_ bytes: some ContiguousBytes) {
        bytes.withUnsafeBytes { OpenSSL.update(context, $0) }
    }

    /// Feeds a 64-bit integer as 8 big-endian bytes.
    public func update(bigEndian value: UInt64) {
        withUnsafeBytes(of: value.bigEndian) { OpenSSL.update(context, $0) }
    }

    /// Feeds the UTF-8 bytes of a string.
    public func update(utf8 text: String) {
        var text = text
        text.withUTF8 { OpenSSL.update(context, UnsafeRawBufferPointer($0)) }
    }

    /// Returns the digest of everything fed so far and resets the hasher.
    public func finalize() -> SHA256Digest {
        let digest = OpenSSL.finalize(context)
        OpenSSL.resetSHA256Context(context)
        return digest
    }

    /// Writes the digest of everything fed so far into the first 32 bytes of `output` and
    /// resets the hasher; for hot loops that keep digests in flat buffers.
    public func finalize(into output: UnsafeMutableRawBufferPointer) {
        OpenSSL.finalize(context, into: output)
        OpenSSL.resetSHA256Context(context)
    }

    /// A copy of the current state, so a running digest can be read without stopping.
    public func copy() -> SHA256 {
        SHA256(context: OpenSSL.copy(context))
    }

    /// The digest of one buffer.
    public static func hash(_ bytes: some ContiguousBytes) -> SHA256Digest {
        let hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// The digest of a string's UTF-8 bytes.
    public static func hash(utf8 text: String) -> SHA256Digest {
        let hasher = SHA256()
        hasher.update(utf8: text)
        return hasher.finalize()
    }

    /// The linked OpenSSL version, for reports and benchmarks.
    public static var implementationVersion: String { OpenSSL.versionString }
}

/// Byte containers that expose their storage (Foundation-free stand-in for `ContiguousBytes`).
public protocol ContiguousBytes {
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Array: ContiguousBytes where Element == UInt8 {}
extension ArraySlice: ContiguousBytes where Element == UInt8 {}
extension UnsafeRawBufferPointer: ContiguousBytes {
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(self)
    }
}
