import ProvenanceCrypto
import Testing
import TransparencyLog

/// RFC 8032 TEST 1 secret key: deterministic signatures for known-answer tests.
private let test1Seed = Hex.decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")!

/// The tree of the 8 Certificate Transparency test entries has this root.
private let ctRoot8 = SHA256Digest(hex: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")!

/// 2026-01-01T00:00:00Z in milliseconds.
private let newYear2026: UInt64 = 1_767_225_600_000

@Suite("Signed tree heads")
struct SignedTreeHeadTests {
    @Test("known answer: signed bytes and signature match an independent implementation (Python `cryptography`)")
    func knownAnswer() throws {
        let key = try Ed25519PrivateKey(rawRepresentation: test1Seed)
        let head = SignedTreeHead(signing: TreeHead(size: 8, rootHash: ctRoot8), timestamp: newYear2026, with: key)
        #expect(head.keyID.hex == "21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9")
        let expectedSigned =
            "50524f56454e414e43452d545245452d48454144" // "PROVENANCE-TREE-HEAD"
            + "01" // version
            + "21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9" // key id
            + "0000000000000008" // size
            + "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328" // root
            + "0000019b76daa800" // timestamp
        #expect(Hex.encode(head.signedBytes) == expectedSigned)
        #expect(head.signedBytes.count == SignedTreeHead.signedByteCount)
        #expect(head.signature.hex == "112a237e1b5e6c6c46de2dced5f1489616ab0f215d845cc61a8f08d166ba519a691f00e4ba88fcf930963371340b505fd030bcfa4d4428431ce6c5d5c0f9b109")
        #expect(head.encoded.count == 165)
        try head.verify(with: key.publicKey)
    }

    @Test("sign, encode, decode, verify round trip")
    func roundTrip() throws {
        let key = try Ed25519PrivateKey.generate()
        let head = SignedTreeHead(signing: sampleTree.treeHead, timestamp: newYear2026 + 1, with: key)
        let decoded = try SignedTreeHead(encoded: head.encoded)
        #expect(decoded == head)
        try decoded.verify(with: key.publicKey)
        #expect(decoded.treeHead == sampleTree.treeHead)
        #expect(decoded.timestamp == newYear2026 + 1)
    }

    @Test("every single-byte change of the encoded head is detected (by decoding or by the signature)")
    func tamper() throws {
        let key = try Ed25519PrivateKey.generate()
        let head = SignedTreeHead(signing: sampleTree.treeHead, timestamp: newYear2026, with: key)
        let encoded = head.encoded
        for position in encoded.indices {
            for flip: UInt8 in [0x01, 0x80] {
                var bytes = encoded
                bytes[position] ^= flip
                let outcome: LogError?
                do {
                    try SignedTreeHead(encoded: bytes).verify(with: key.publicKey)
                    outcome = nil
                } catch {
                    outcome = error
                }
                #expect(outcome != nil, "byte \(position) ^ \(flip) went undetected")
            }
        }
        // Changing a field and keeping the signature fails with a clear error.
        let bigger = SignedTreeHead(treeHead: TreeHead(size: head.treeHead.size + 1, rootHash: head.treeHead.rootHash),
                                    timestamp: head.timestamp, keyID: head.keyID, signature: head.signature)
        #expect(throws: LogError.treeHeadSignatureInvalid(size: head.treeHead.size + 1)) { try bigger.verify(with: key.publicKey) }
        let later = SignedTreeHead(treeHead: head.treeHead, timestamp: head.timestamp + 1, keyID: head.keyID, signature: head.signature)
        #expect(throws: LogError.treeHeadSignatureInvalid(size: head.treeHead.size)) { try later.verify(with: key.publicKey) }
    }

    @Test("a head signed by another key is rejected, even if it claims the log's key id")
    func wrongKey() throws {
        let logKey = try Ed25519PrivateKey.generate()
        let otherKey = try Ed25519PrivateKey.generate()
        let head = SignedTreeHead(signing: sampleTree.treeHead, timestamp: newYear2026, with: otherKey)
        #expect(throws: LogError.treeHeadKeyMismatch(expected: logKey.publicKey.keyID, found: otherKey.publicKey.keyID)) {
            try head.verify(with: logKey.publicKey)
        }
        let forgedID = SignedTreeHead(treeHead: head.treeHead, timestamp: head.timestamp, keyID: logKey.publicKey.keyID, signature: head.signature)
        #expect(throws: LogError.treeHeadSignatureInvalid(size: head.treeHead.size)) { try forgedID.verify(with: logKey.publicKey) }
    }

    @Test("decoding is strict: length, prefix, version")
    func strictDecoding() throws {
        let key = try Ed25519PrivateKey.generate()
        let encoded = SignedTreeHead(signing: .empty, timestamp: 0, with: key).encoded
        for bytes in [Array(encoded.dropLast()), encoded + [0], [], Array(encoded.prefix(101))] {
            guard case .malformed(what: "signed tree head", _)? = decodeError(bytes) else {
                Issue.record("\(bytes.count) bytes were accepted")
                continue
            }
        }
        var version2 = encoded
        version2[20] = 2
        guard case .malformed(_, let reason)? = decodeError(version2) else {
            Issue.record("version 2 was accepted")
            return
        }
        #expect(reason.contains("format version 2 is not supported"))
        var otherMagic = encoded
        otherMagic.replaceSubrange(0..<20, with: "PROVENANCE-STATEMENT".utf8)
        #expect(decodeError(otherMagic) != nil)
    }

    private func decodeError(_ bytes: [UInt8]) -> LogError? {
        do {
            _ = try SignedTreeHead(encoded: bytes)
            return nil
        } catch {
            return error
        }
    }
}
