import ProvenanceCrypto

// MARK: - Canonical encoding

extension LogEntry {
    /// The canonical encoding: the bytes the Merkle leaf commits to.
    public var encoded: [UInt8] {
        var encoder = CanonicalEncoder()
        encoder.append(contentsOf: Self.magic)
        encoder.append(Self.formatVersion)
        encoder.append(kind.rawValue)
        encoder.append(bigEndian: sequenceNumber)
        encoder.append(bigEndian: timestamp)
        encoder.appendLengthPrefixed(utf8: releaseName)
        encoder.appendLengthPrefixed(utf8: releaseVersion)
        encoder.append(contentsOf: fingerprintRoot.bytes)
        for optional in [statementDigest, signerKeyID] {
            if let digest = optional {
                encoder.append(1)
                encoder.append(contentsOf: digest.bytes)
            } else {
                encoder.append(0)
            }
        }
        return encoder.bytes
    }

    /// Decodes a canonical encoding strictly: every byte is checked (magic, version, known
    /// kind, lengths within the input and the limits, valid UTF-8, flags 0 or 1, no trailing
    /// bytes), so any input is rejected or is exactly `encoded` of the result.
    public init(encoded input: some Collection<UInt8>) throws(LogError) {
        var decoder = CanonicalDecoder(input)
        let kind: Kind, sequenceNumber: UInt64, timestamp: UInt64, name: String, version: String
        let root: SHA256Digest, statement: SHA256Digest?, signer: SHA256Digest?
        do throws(CanonicalDecodingError) {
            try decoder.expect(Self.magic, "the \"PROVENANCE-LOG-ENTRY\" prefix")
            let formatVersion = try decoder.readUInt8("the format version")
            guard formatVersion == Self.formatVersion else {
                throw CanonicalDecodingError(offset: decoder.offset - 1, reason: "format version \(formatVersion) is not supported (expected \(Self.formatVersion))")
            }
            let kindByte = try decoder.readUInt8("the kind")
            guard let decodedKind = Kind(rawValue: kindByte) else {
                throw CanonicalDecodingError(offset: decoder.offset - 1, reason: "kind \(kindByte) is not one of 1 register, 2 replace, 3 remove, 4 import")
            }
            kind = decodedKind
            sequenceNumber = try decoder.readUInt64("the sequence number")
            timestamp = try decoder.readUInt64("the timestamp")
            name = try decoder.readLengthPrefixedUTF8("the release name", limit: Self.textLengthLimit)
            version = try decoder.readLengthPrefixedUTF8("the release version", limit: Self.textLengthLimit)
            root = SHA256Digest(bytes: try decoder.read(count: 32, "the fingerprint root digest"))!
            statement = try Self.readOptionalDigest(&decoder, "the statement digest")
            signer = try Self.readOptionalDigest(&decoder, "the signer key id")
            try decoder.finish()
        } catch {
            throw .malformed(what: "log entry", reason: error.description)
        }
        // Field rules (non-empty name) are checked by the memberwise initializer.
        try self.init(
            kind: kind, sequenceNumber: sequenceNumber, timestamp: timestamp, releaseName: name,
            releaseVersion: version, fingerprintRoot: root, statementDigest: statement, signerKeyID: signer)
    }

    private static func readOptionalDigest(_ decoder: inout CanonicalDecoder, _ field: String) throws(CanonicalDecodingError) -> SHA256Digest? {
        let flag = try decoder.readUInt8("the presence flag of \(field)")
        switch flag {
        case 0: return nil
        case 1: return SHA256Digest(bytes: try decoder.read(count: 32, field))!
        default: throw CanonicalDecodingError(offset: decoder.offset - 1, reason: "the presence flag of \(field) is \(flag), not 0 or 1")
        }
    }
}
