/// Reads a canonical encoding strictly: every read is bounds-checked against the input
/// before anything is allocated, and `finish()` rejects trailing bytes.
public struct CanonicalDecoder: Sendable {
    private let bytes: [UInt8]
    /// The offset of the next unread byte.
    public private(set) var offset = 0

    public init(_ bytes: some Collection<UInt8>) {
        self.bytes = Array(bytes)
    }

    /// Bytes not yet read.
    public var remaining: Int { bytes.count - offset }

    /// Reads `count` raw bytes.
    public mutating func read(count: Int, _ field: String) throws(CanonicalDecodingError) -> [UInt8] {
        guard count >= 0, count <= remaining else {
            throw CanonicalDecodingError(offset: offset, reason: "\(field) needs \(count) bytes but only \(remaining) remain")
        }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    /// Reads one byte.
    public mutating func readUInt8(_ field: String) throws(CanonicalDecodingError) -> UInt8 {
        try read(count: 1, field)[0]
    }

    /// Reads a 4-byte big-endian integer.
    public mutating func readUInt32(_ field: String) throws(CanonicalDecodingError) -> UInt32 {
        try read(count: 4, field).reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// Reads an 8-byte big-endian integer.
    public mutating func readUInt64(_ field: String) throws(CanonicalDecodingError) -> UInt64 {
        try read(count: 8, field).reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// Reads a 4-byte big-endian length, checks it against `limit` and the remaining input,
    /// then reads that many bytes.
    public mutating func readLengthPrefixed(_ field: String, limit: Int) throws(CanonicalDecodingError) -> [UInt8] {
        let start = offset
        let length = try readUInt32("the length of \(field)")
        guard UInt64(length) <= UInt64(limit) else {
            throw CanonicalDecodingError(offset: start, reason: "\(field) declares \(length) bytes, above the limit of \(limit)")
        }
        return try read(count: Int(length), field)
    }

    /// Reads a length-prefixed field that must be valid UTF-8.
    public mutating func readLengthPrefixedUTF8(_ field: String, limit: Int) throws(CanonicalDecodingError) -> String {
        let start = offset
        let raw = try readLengthPrefixed(field, limit: limit)
        // Decoding replaces invalid sequences with U+FFFD, so a round trip detects them
        // (portable where `String(validating:)` is not yet available).
        let text = String(decoding: raw, as: UTF8.self)
        guard text.utf8.elementsEqual(raw) else {
            throw CanonicalDecodingError(offset: start, reason: "\(field) is not valid UTF-8")
        }
        return text
    }

    /// Reads `expected.count` bytes and checks they equal `expected`.
    public mutating func expect(_ expected: [UInt8], _ field: String) throws(CanonicalDecodingError) {
        let start = offset
        guard try read(count: expected.count, field) == expected else {
            throw CanonicalDecodingError(offset: start, reason: "\(field) is wrong")
        }
    }

    /// Throws unless every byte has been read.
    public func finish() throws(CanonicalDecodingError) {
        guard remaining == 0 else {
            throw CanonicalDecodingError(offset: offset, reason: "\(remaining) unexpected bytes follow the last field")
        }
    }
}

/// A canonical encoding could not be decoded: where and why.
public struct CanonicalDecodingError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Byte offset in the input where the problem starts.
    public var offset: Int
    /// What is wrong, as a clause ("the tree size needs 8 bytes but only 3 remain").
    public var reason: String

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "\(reason) (at byte \(offset))" }
}
