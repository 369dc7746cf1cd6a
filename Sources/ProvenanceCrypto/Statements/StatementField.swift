/// One named value of a `CanonicalStatement`.
///
/// Keys are 1–256 bytes of printable ASCII without spaces (`0x21`–`0x7E`), for example
/// `release.name` or `file.model.safetensors.sha256`; values are arbitrary bytes, usually
/// UTF-8 text.
public struct StatementField: Hashable, Sendable {
    /// The field name.
    public let key: String
    /// The field value, exactly as signed.
    public let value: [UInt8]

    /// A field with a byte value.
    public init(_ key: String, bytes: some Sequence<UInt8>) {
        self.key = key
        value = Array(bytes)
    }

    /// A field whose value is the UTF-8 encoding of `text` (no normalization, no terminator).
    public init(_ key: String, text: String) {
        self.init(key, bytes: text.utf8)
    }

    /// The value as text, or `nil` if it is not valid UTF-8.
    public var text: String? {
        let decoded = String(decoding: value, as: UTF8.self)
        return decoded.utf8.elementsEqual(value) ? decoded : nil
    }
}
