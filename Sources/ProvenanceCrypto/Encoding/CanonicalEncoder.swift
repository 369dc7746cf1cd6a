/// Builds the canonical byte encodings that get signed and hashed: fixed-width big-endian
/// integers and length-prefixed byte strings, nothing else, so every encoding is
/// reproducible byte for byte in any language.
public struct CanonicalEncoder: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []

    public init() {}

    /// Appends raw bytes with no length prefix (for fixed-size fields such as digests).
    public mutating func append(contentsOf raw: some Sequence<UInt8>) {
        bytes.append(contentsOf: raw)
    }

    /// Appends one byte.
    public mutating func append(_ value: UInt8) {
        bytes.append(value)
    }

    /// Appends 4 bytes, big-endian.
    public mutating func append(bigEndian value: UInt32) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends 8 bytes, big-endian.
    public mutating func append(bigEndian value: UInt64) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends a 4-byte big-endian length followed by the bytes.
    /// The caller has checked that the length fits its format's limit (always below 2³²).
    public mutating func appendLengthPrefixed(_ raw: some Collection<UInt8>) {
        precondition(UInt64(raw.count) <= UInt64(UInt32.max), "a length-prefixed field must be shorter than 4 GiB")
        append(bigEndian: UInt32(raw.count))
        bytes.append(contentsOf: raw)
    }

    /// Appends the UTF-8 bytes of `text` with a 4-byte big-endian length prefix.
    public mutating func appendLengthPrefixed(utf8 text: String) {
        appendLengthPrefixed(Array(text.utf8))
    }
}
