import ProvenanceCrypto
import Testing
import TransparencyLog

private let newYear2026: UInt64 = 1_767_225_600_000

private func decodeError(_ bytes: [UInt8]) -> LogError? {
    do {
        _ = try LogEntry(encoded: bytes)
        return nil
    } catch {
        return error
    }
}

/// Entries as a registry would log them: one of each kind, signed and unsigned.
private func sampleLog(count: Int) throws -> [LogEntry] {
    try (0..<count).map { index in
        let kind = LogEntry.Kind.allCases[index % 4]
        let signed = index % 3 != 0
        return try LogEntry(
            kind: kind, sequenceNumber: UInt64(index), timestamp: newYear2026 + UInt64(index) * 1000,
            releaseName: "org\(index % 5)/model-\(index)", releaseVersion: index % 2 == 0 ? "1.\(index)" : "",
            fingerprintRoot: SHA256.hash(utf8: "fingerprint \(index)"),
            statementDigest: signed ? SHA256.hash(utf8: "statement \(index)") : nil,
            signerKeyID: signed ? SHA256.hash(utf8: "key \(index % 2)") : nil)
    }
}

@Suite("Log entries: canonical encoding and tamper evidence")
struct LogEntryTests {
    @Test("known answer: the encoding and leaf hash match an independent implementation (Python)")
    func knownAnswer() throws {
        let entry = try LogEntry(
            kind: .register, sequenceNumber: 0, timestamp: newYear2026, releaseName: "acme/model-7b", releaseVersion: "1.0",
            fingerprintRoot: SHA256Digest(bytes: Array(0..<32))!,
            statementDigest: SHA256Digest(hex: "9f225f5f5d734a56e40c228d178cd4c4263d49e39e656d27643b4c48c09df648")!,
            signerKeyID: SHA256Digest(hex: "21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9")!)
        let expected =
            "50524f56454e414e43452d4c4f472d454e545259" // "PROVENANCE-LOG-ENTRY"
            + "01" + "01" // version, kind register
            + "0000000000000000" // sequence number
            + "0000019b76daa800" // timestamp
            + "0000000d" + "61636d652f6d6f64656c2d3762" // "acme/model-7b"
            + "00000003" + "312e30" // "1.0"
            + "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" // fingerprint root
            + "01" + "9f225f5f5d734a56e40c228d178cd4c4263d49e39e656d27643b4c48c09df648" // statement digest
            + "01" + "21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9" // signer key id
        #expect(Hex.encode(entry.encoded) == expected)
        #expect(entry.leafHash.hex == "2564f7636530dca75fbf10ac493a180c23658b8792cbdfac7fe4c316753d9b0a")
        #expect(entry.leafHash == SHA256.hash([0x00] + entry.encoded))
    }

    @Test("every kind and optional-field combination round-trips exactly")
    func roundTrip() throws {
        for entry in try sampleLog(count: 24) {
            let decoded = try LogEntry(encoded: entry.encoded)
            #expect(decoded == entry)
            #expect(decoded.encoded == entry.encoded)
        }
        let unicode = try LogEntry(kind: .import, sequenceNumber: .max, timestamp: .max, releaseName: "café/模型", releaseVersion: "v2 β",
                                   fingerprintRoot: SHA256.hash(utf8: "x"))
        #expect(try LogEntry(encoded: unicode.encoded) == unicode)
    }

    @Test("decoding is strict: every truncation, trailing bytes, unknown kind, bad flag, bad UTF-8, empty name, huge length")
    func strictDecoding() throws {
        let entry = try sampleLog(count: 2)[1]
        let encoded = entry.encoded
        for length in 0..<encoded.count {
            #expect(decodeError(Array(encoded.prefix(length))) != nil, "truncation to \(length) bytes")
        }
        #expect(decodeError(encoded + [0]) != nil)

        var badKind = encoded
        badKind[21] = 5
        guard case .malformed(_, let reason)? = decodeError(badKind) else {
            Issue.record("kind 5 was accepted")
            return
        }
        #expect(reason.contains("kind 5"))

        var badFlag = encoded
        badFlag[encoded.count - 33 - 33] = 2  // the statement-digest flag
        #expect(decodeError(badFlag) != nil)

        let nameStart = 38 + 4
        var badUTF8 = encoded
        badUTF8[nameStart] = 0xFF
        guard case .malformed(_, let utf8Reason)? = decodeError(badUTF8) else {
            Issue.record("invalid UTF-8 was accepted")
            return
        }
        #expect(utf8Reason.contains("not valid UTF-8"))

        var hugeLength = encoded
        hugeLength.replaceSubrange(38..<42, with: [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(decodeError(hugeLength) != nil)

        var emptyName = Array(encoded[0..<38]) + [0, 0, 0, 0]
        emptyName += encoded[(42 + entry.releaseName.utf8.count)...]
        #expect(decodeError(emptyName) == .invalidField(what: "log entry", field: "release name", reason: "it is empty"))
    }

    @Test("building rejects an empty name and over-long text")
    func buildErrors() {
        let root = SHA256.hash(utf8: "r")
        #expect(throws: LogError.invalidField(what: "log entry", field: "release name", reason: "it is empty")) {
            try LogEntry(kind: .register, sequenceNumber: 0, timestamp: 0, releaseName: "", releaseVersion: "", fingerprintRoot: root)
        }
        #expect(throws: LogError.self) {
            try LogEntry(kind: .register, sequenceNumber: 0, timestamp: 0, releaseName: "n",
                         releaseVersion: String(repeating: "v", count: LogEntry.textLengthLimit + 1), fingerprintRoot: root)
        }
    }

    @Test("a log of entries: editing, reordering or deleting any entry changes the root and breaks its proofs")
    func tamperEvidentLog() throws {
        let entries = try sampleLog(count: 23)
        let tree = MerkleTree(leafHashes: entries.map(\.leafHash))
        let head = tree.treeHead
        for (index, entry) in entries.enumerated() {
            try tree.inclusionProof(leafIndex: UInt64(index)).verify(leafHash: entry.leafHash, treeHead: head)
        }
        // Edit one field of one entry, as a direct database edit would.
        for index in entries.indices {
            var edited = entries
            let original = entries[index]
            edited[index] = try LogEntry(
                kind: original.kind, sequenceNumber: original.sequenceNumber, timestamp: original.timestamp - 1,
                releaseName: original.releaseName, releaseVersion: original.releaseVersion, fingerprintRoot: original.fingerprintRoot,
                statementDigest: original.statementDigest, signerKeyID: original.signerKeyID)
            #expect(MerkleTree.rootHash(ofLeafHashes: edited.map(\.leafHash)) != head.rootHash, "backdated entry \(index)")
            let proof = try tree.inclusionProof(leafIndex: UInt64(index))
            #expect(throws: LogError.self) { try proof.verify(leafHash: edited[index].leafHash, treeHead: head) }
        }
        // Reorder two entries.
        var reordered = entries
        reordered.swapAt(3, 4)
        #expect(MerkleTree.rootHash(ofLeafHashes: reordered.map(\.leafHash)) != head.rootHash)
        // Delete one entry and append another to keep the size: the old head is no longer a prefix.
        var rewritten = entries
        rewritten.remove(at: 7)
        rewritten.append(try sampleLog(count: 24)[23])
        let rewrittenTree = MerkleTree(leafHashes: rewritten.map(\.leafHash))
        #expect(rewrittenTree.rootHash != head.rootHash)
        let oldHead = try tree.treeHead(treeSize: 10)
        #expect(throws: LogError.self) { try rewrittenTree.consistencyProof(oldSize: 10).verify(old: oldHead, new: rewrittenTree.treeHead) }
        // Honest growth stays consistent.
        var grown = tree
        grown.append(leafHash: try sampleLog(count: 24)[23].leafHash)
        try grown.consistencyProof(oldSize: head.size).verify(old: head, new: grown.treeHead)
    }
}
