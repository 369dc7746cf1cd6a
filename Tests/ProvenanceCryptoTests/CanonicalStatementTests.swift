import ProvenanceCrypto
import Testing

private func failureRule(_ body: () throws(CryptoError) -> Void) -> CryptoError.Rule? {
    do {
        try body()
        return nil
    } catch {
        return error.rule
    }
}

@Suite("Canonical statements and signed statements")
struct CanonicalStatementTests {
    @Test("known answer: the documented example encodes to exactly these bytes")
    func knownEncoding() throws {
        // docs/SIGNING_AND_LOG.md, "Example": fields given out of order.
        let statement = try CanonicalStatement(fields: [
            StatementField("release.name", text: "acme/m"),
            StatementField("format", text: "1"),
        ])
        let expected =
            "50524f56454e414e43452d53544154454d454e54" // "PROVENANCE-STATEMENT"
            + "01" // format version
            + "00000002" // two fields
            + "00000006" + "666f726d6174" // "format"
            + "00000001" + "31" // "1"
            + "0000000c" + "72656c656173652e6e616d65" // "release.name"
            + "00000006" + "61636d652f6d" // "acme/m"
        #expect(Hex.encode(statement.encoded) == expected)
        #expect(statement.fields.map(\.key) == ["format", "release.name"])
        #expect(statement.text("release.name") == "acme/m")
        #expect(statement.digest == SHA256.hash(statement.encoded))
        // Digest and RFC 8032 TEST 1 signature as computed by Python `cryptography`.
        #expect(statement.digest.hex == "9f225f5f5d734a56e40c228d178cd4c4263d49e39e656d27643b4c48c09df648")
        let key = try Ed25519PrivateKey(rawRepresentation: Hex.decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")!)
        #expect(SignedStatement(signing: statement, with: key).signature.hex
            == "7b25deed277f562a22c5d1005cdaaf6ab25b3f814386043488082c5bdb0d33a0ddee09e1bcbc59ed9b2deb15ad5692a033a42c2871999e690c1fea22c1a7400b")
    }

    @Test("field order does not matter; sorting is by key bytes (uppercase before lowercase)")
    func ordering() throws {
        let fields = [
            StatementField("b", text: "2"), StatementField("a.z", text: "1"), StatementField("B", text: "0"),
            StatementField("a", bytes: [0, 255]),
        ]
        let one = try CanonicalStatement(fields: fields)
        let two = try CanonicalStatement(fields: fields.reversed())
        #expect(one.encoded == two.encoded)
        #expect(one.fields.map(\.key) == ["B", "a", "a.z", "b"])
        #expect(one["a"] == [0, 255])
        #expect(one.fields[1].text == nil, "bytes that are not UTF-8 have no text form")
    }

    @Test("decoding accepts exactly canonical encodings and round-trips")
    func decodeRoundTrip() throws {
        let statement = try CanonicalStatement(textFields: ["release.name": "acme/model-7b", "release.version": "1.0", "empty": ""])
        let decoded = try CanonicalStatement(encoded: statement.encoded)
        #expect(decoded == statement)
        #expect(decoded.encoded == statement.encoded)
        let empty = try CanonicalStatement(fields: [])
        #expect(try CanonicalStatement(encoded: empty.encoded) == empty)
    }

    @Test("every truncation and every trailing byte is rejected")
    func truncation() throws {
        let encoded = try CanonicalStatement(textFields: ["k": "value", "other": "x"]).encoded
        for length in 0..<encoded.count {
            guard case .statementMalformed? = failureRule({ () throws(CryptoError) in _ = try CanonicalStatement(encoded: encoded.prefix(length)) }) else {
                Issue.record("truncation to \(length) bytes was accepted")
                continue
            }
        }
        guard case .statementMalformed(let reason)? = failureRule({ () throws(CryptoError) in _ = try CanonicalStatement(encoded: encoded + [0]) }) else {
            Issue.record("a trailing byte was accepted")
            return
        }
        #expect(reason.contains("unexpected bytes"))
    }

    @Test("non-canonical inputs are rejected: order, duplicates, bad keys, version, magic, huge lengths")
    func nonCanonical() throws {
        func encode(_ fields: [(String, String)], version: UInt8 = 1, magic: String = "PROVENANCE-STATEMENT") -> [UInt8] {
            var encoder = CanonicalEncoder()
            encoder.append(contentsOf: magic.utf8)
            encoder.append(version)
            encoder.append(bigEndian: UInt32(fields.count))
            for (key, value) in fields {
                encoder.appendLengthPrefixed(utf8: key)
                encoder.appendLengthPrefixed(utf8: value)
            }
            return encoder.bytes
        }
        #expect(try CanonicalStatement(encoded: encode([("a", "1"), ("b", "2")])).fields.count == 2)
        let cases: [(String, [UInt8])] = [
            ("unsorted", encode([("b", "2"), ("a", "1")])),
            ("duplicate", encode([("a", "1"), ("a", "2")])),
            ("space in key", encode([("a b", "1")])),
            ("empty key", encode([("", "1")])),
            ("non-ASCII key", encode([("é", "1")])),
            ("version 2", encode([("a", "1")], version: 2)),
            ("other magic", encode([("a", "1")], magic: "PROVENANCE-TREE-HEAD")),
            ("count beyond limit", Array("PROVENANCE-STATEMENT".utf8) + [1, 0xFF, 0xFF, 0xFF, 0xFF]),
            ("value length beyond input", Array("PROVENANCE-STATEMENT".utf8) + [1, 0, 0, 0, 1, 0, 0, 0, 1, 0x61, 0x7F, 0xFF, 0xFF, 0xFF]),
        ]
        for (name, bytes) in cases {
            guard case .statementMalformed? = failureRule({ () throws(CryptoError) in _ = try CanonicalStatement(encoded: bytes) }) else {
                Issue.record("\(name) was accepted")
                continue
            }
        }
    }

    @Test("building rejects invalid and repeated keys")
    func buildErrors() {
        #expect(failureRule { () throws(CryptoError) in _ = try CanonicalStatement(fields: [StatementField("a", text: "1"), StatementField("a", text: "2")]) }
            == .statementDuplicateKey("a"))
        guard case .statementInvalidKey(key: "with space", _)? = failureRule({ () throws(CryptoError) in
            _ = try CanonicalStatement(fields: [StatementField("with space", text: "1")])
        }) else {
            Issue.record("a key with a space was accepted")
            return
        }
        guard case .statementInvalidKey? = failureRule({ () throws(CryptoError) in
            _ = try CanonicalStatement(fields: [StatementField(String(repeating: "k", count: 257), text: "1")])
        }) else {
            Issue.record("a 257-byte key was accepted")
            return
        }
    }

    @Test("signed statement: verifies; each single-byte change of statement, signature or key is caught; wrong signer named")
    func signedStatement() throws {
        let key = try Ed25519PrivateKey.generate()
        let statement = try CanonicalStatement(textFields: [
            "release.name": "acme/model-7b", "fingerprint.root": String(repeating: "ab", count: 32), "registered.at": "1767225600000",
        ])
        let signed = SignedStatement(signing: statement, with: key)
        try signed.verify()
        try signed.verify(expectedSigner: key.publicKey.keyID)

        // Reassembled from the raw parts a file carries.
        let reassembled = try SignedStatement(
            encodedStatement: statement.encoded, publicKey: key.publicKey.rawRepresentation,
            signature: signed.signature.rawRepresentation)
        try reassembled.verify()

        var rejected = 0
        for position in statement.encoded.indices {
            var bytes = statement.encoded
            bytes[position] ^= 0x01
            // Either the altered bytes are no longer canonical, or the signature fails.
            let outcome = failureRule { () throws(CryptoError) in
                try SignedStatement(encodedStatement: bytes, publicKey: key.publicKey.rawRepresentation,
                                    signature: signed.signature.rawRepresentation).verify()
            }
            #expect(outcome != nil, "statement byte \(position)")
            if outcome != nil { rejected += 1 }
        }
        #expect(rejected == statement.encoded.count)
        for position in signed.signature.rawRepresentation.indices {
            var bytes = signed.signature.rawRepresentation
            bytes[position] ^= 0x01
            let tampered = SignedStatement(statement: statement, publicKey: key.publicKey, signature: try Ed25519Signature(rawRepresentation: bytes))
            #expect(failureRule { () throws(CryptoError) in try tampered.verify() } == .signatureMismatch, "signature byte \(position)")
        }
        for position in key.publicKey.rawRepresentation.indices {
            var bytes = key.publicKey.rawRepresentation
            bytes[position] ^= 0x01
            guard let otherKey = try? Ed25519PublicKey(rawRepresentation: bytes) else { continue }
            let tampered = SignedStatement(statement: statement, publicKey: otherKey, signature: signed.signature)
            #expect(failureRule { () throws(CryptoError) in try tampered.verify() } == .signatureMismatch, "key byte \(position)")
        }

        let impostor = try Ed25519PrivateKey.generate()
        let forged = SignedStatement(signing: statement, with: impostor)
        try forged.verify()  // validly signed, but by someone else:
        #expect(failureRule { () throws(CryptoError) in try forged.verify(expectedSigner: key.publicKey.keyID) }
            == .unexpectedSigner(expectedKeyID: key.publicKey.keyID, foundKeyID: impostor.publicKey.keyID))
    }
}
