/// A set of named values in one canonical byte encoding: what a publisher signs.
///
/// The encoding (specified in docs/SIGNING_AND_LOG.md) is
/// `"PROVENANCE-STATEMENT" || 0x01 || u32 count || (u32 keyLength || key || u32 valueLength || value)*`
/// with fields sorted by the bytes of their keys, keys unique, integers big-endian. Any
/// input is either rejected or decodes to the one statement whose encoding it is, so a
/// verifier in any language checks the signature over exactly the bytes it received.
public struct CanonicalStatement: Hashable, Sendable {
    /// The 20 ASCII bytes every encoded statement starts with (domain separation: a
    /// statement signature can never be mistaken for a tree-head or log-entry signature).
    public static let magic: [UInt8] = Array("PROVENANCE-STATEMENT".utf8)
    /// The format version byte that follows the magic.
    public static let formatVersion: UInt8 = 1
    /// Longest field name, in bytes.
    public static let keyLengthLimit = 256
    /// Longest field value, in bytes.
    public static let valueLengthLimit = 16 * 1024 * 1024
    /// Most fields in one statement.
    public static let fieldCountLimit = 65_536

    /// The fields, sorted by key bytes.
    public let fields: [StatementField]
    /// The canonical encoding: the exact bytes that are signed.
    public let encoded: [UInt8]

    /// Validates the fields, sorts them by key and encodes them.
    /// Throws for an invalid or repeated key, or a value or count above the limits.
    public init(fields unsorted: some Sequence<StatementField>) throws(CryptoError) {
        let sorted = unsorted.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        guard sorted.count <= Self.fieldCountLimit else {
            throw CryptoError(rule: .statementTooLarge(what: "a field count", size: sorted.count, limit: Self.fieldCountLimit))
        }
        var previous: String?
        for field in sorted {
            try Self.validate(key: field.key)
            if let previous, previous.utf8.elementsEqual(field.key.utf8) {
                throw CryptoError(rule: .statementDuplicateKey(field.key))
            }
            guard field.value.count <= Self.valueLengthLimit else {
                throw CryptoError(rule: .statementTooLarge(what: "field '\(field.key)' a value length", size: field.value.count, limit: Self.valueLengthLimit))
            }
            previous = field.key
        }
        fields = sorted
        var encoder = CanonicalEncoder()
        encoder.append(contentsOf: Self.magic)
        encoder.append(Self.formatVersion)
        encoder.append(bigEndian: UInt32(sorted.count))
        for field in sorted {
            encoder.appendLengthPrefixed(utf8: field.key)
            encoder.appendLengthPrefixed(field.value)
        }
        encoded = encoder.bytes
    }

    /// A statement of text fields, e.g. `["release.name": "acme/model-7b"]`.
    public init(textFields: [String: String]) throws(CryptoError) {
        try self.init(fields: textFields.map { StatementField($0.key, text: $0.value) })
    }

    /// SHA-256 of `encoded`: the statement digest recorded in log entries.
    public var digest: SHA256Digest { SHA256.hash(encoded) }

    /// The value of field `key`, if present.
    public subscript(key: String) -> [UInt8]? {
        fields.first { $0.key == key }?.value
    }

    /// The value of field `key` as text, if present and valid UTF-8.
    public func text(_ key: String) -> String? {
        fields.first { $0.key == key }?.text
    }

    static func validate(key: String) throws(CryptoError) {
        let bytes = key.utf8
        guard !bytes.isEmpty else { throw CryptoError(rule: .statementInvalidKey(key: key, reason: "it is empty")) }
        guard bytes.count <= keyLengthLimit else {
            throw CryptoError(rule: .statementInvalidKey(key: key, reason: "it is \(bytes.count) bytes long, above the limit of \(keyLengthLimit)"))
        }
        guard bytes.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw CryptoError(rule: .statementInvalidKey(key: key, reason: "only printable ASCII without spaces (0x21–0x7E) is allowed"))
        }
    }
}

// MARK: - Decoding

extension CanonicalStatement {
    /// Decodes a canonical encoding, rejecting anything that is not exactly the encoding of
    /// its fields: wrong magic or version, unsorted or repeated keys, invalid keys, lengths
    /// beyond the input or the limits, trailing bytes.
    public init(encoded input: some Collection<UInt8>) throws(CryptoError) {
        var decoder = CanonicalDecoder(input)
        var fields: [StatementField] = []
        do throws(CanonicalDecodingError) {
            try decoder.expect(Self.magic, "the \"PROVENANCE-STATEMENT\" prefix")
            let version = try decoder.readUInt8("the format version")
            guard version == Self.formatVersion else {
                throw CanonicalDecodingError(offset: decoder.offset - 1, reason: "format version \(version) is not supported (expected \(Self.formatVersion))")
            }
            let count = try decoder.readUInt32("the field count")
            guard UInt64(count) <= UInt64(Self.fieldCountLimit) else {
                throw CanonicalDecodingError(offset: decoder.offset - 4, reason: "\(count) fields exceed the limit of \(Self.fieldCountLimit)")
            }
            var previousKey: [UInt8]?
            for index in 0..<Int(count) {
                let keyStart = decoder.offset
                let key = try decoder.readLengthPrefixed("the name of field \(index)", limit: Self.keyLengthLimit)
                let name = String(decoding: key, as: UTF8.self)
                if let previousKey, !previousKey.lexicographicallyPrecedes(key) {
                    let rule = previousKey == key ? "is repeated" : "is out of order (fields are sorted by the bytes of their names)"
                    throw CanonicalDecodingError(offset: keyStart, reason: "field '\(name)' \(rule)")
                }
                do throws(CryptoError) {
                    try Self.validate(key: name)
                } catch {
                    throw CanonicalDecodingError(offset: keyStart, reason: "field \(index) has an invalid name")
                }
                let value = try decoder.readLengthPrefixed("the value of field '\(name)'", limit: Self.valueLengthLimit)
                fields.append(StatementField(name, bytes: value))
                previousKey = key
            }
            try decoder.finish()
        } catch {
            throw CryptoError(rule: .statementMalformed(reason: error.description))
        }
        self.fields = fields
        encoded = Array(input)
    }
}
