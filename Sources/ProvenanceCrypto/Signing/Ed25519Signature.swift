/// An Ed25519 signature (RFC 8032): 64 bytes, `R || S`.
public struct Ed25519Signature: Hashable, Sendable, CustomStringConvertible {
    /// The length of every Ed25519 signature.
    public static let byteCount = 64

    /// The 64 signature bytes.
    public let rawRepresentation: [UInt8]

    init(unchecked bytes: [UInt8]) {
        rawRepresentation = bytes
    }

    /// Wraps 64 signature bytes; throws `badSignatureLength` for any other length.
    public init(rawRepresentation bytes: some Collection<UInt8>) throws(CryptoError) {
        guard bytes.count == Self.byteCount else {
            throw CryptoError(rule: .badSignatureLength(expected: Self.byteCount, got: bytes.count))
        }
        rawRepresentation = Array(bytes)
    }

    /// Parses 128 hexadecimal characters (either case).
    public init(hex: some StringProtocol) throws(CryptoError) {
        guard let bytes = Hex.decode(hex) else { throw CryptoError(rule: .invalidHex(what: "signature")) }
        try self.init(rawRepresentation: bytes)
    }

    /// Lower-case hexadecimal, 128 characters.
    public var hex: String { Hex.encode(rawRepresentation) }

    public var description: String { hex }
}
