import Fingerprinting
import Foundation
import GRDB
import ProvenanceCrypto
@testable import Registry
import Testing

@Suite("Signed registrations: sign, export, import, verify, tamper")
struct SigningTests {
    static let publisherKey = try! Ed25519PrivateKey(rawRepresentation: [UInt8](repeating: 7, count: 32))
    static let otherKey = try! Ed25519PrivateKey(rawRepresentation: [UInt8](repeating: 9, count: 32))

    /// A registry holding signed A (with a base) and unsigned C, and the export of A.
    static func signedExport() throws -> (registry: Registry, file: String) {
        let registry = try RegistryFixtures.registry()
        var metadata = RegistryFixtures.metadata("org/model-a")
        metadata.bases = ["org/base@0.1"]
        _ = try registry.register(fingerprint: RegistryFixtures.fingerprintA, metadata: metadata, registeredBy: "publisher@acme",
                                  registeredAt: "2024-05-02T10:00:00Z", signingKey: publisherKey)
        _ = try registry.register(fingerprint: RegistryFixtures.fingerprintC, metadata: RegistryFixtures.metadata("bert-c", version: nil),
                                  registeredAt: "2024-05-03T10:00:00Z")
        let files = try registry.export(["org/model-a"], to: RegistryFixtures.temporaryDirectory("signed-export"))
        return (registry, files[0].path)
    }

    /// Expects `body` to fail verification of `subject` with `part`, and returns the message.
    @discardableResult
    static func expectFailure(_ part: VerificationFailure.Part, subject: String? = nil, sourceLocation: SourceLocation = #_sourceLocation,
                              _ body: () throws -> Void) -> String {
        do {
            try body()
            Issue.record("expected the \(part.rawValue) to be reported as altered, but verification passed", sourceLocation: sourceLocation)
        } catch RegistryError.verificationFailed(let failedSubject, let failure) {
            #expect(failure.part == part, "\(failure)", sourceLocation: sourceLocation)
            if let subject { #expect(failedSubject == subject, sourceLocation: sourceLocation) }
            return RegistryError.verificationFailed(subject: failedSubject, failure: failure).description
        } catch {
            Issue.record("expected verificationFailed(\(part.rawValue)), got \(error)", sourceLocation: sourceLocation)
        }
        return ""
    }

    @Test("register --sign stores a statement of the release; export carries it; import verifies and keeps it")
    func roundTrip() throws {
        let (source, file) = try Self.signedExport()
        let release = try source.release(named: "org/model-a@1.0")
        let signed = try #require(release.signature)
        try signed.verify(expectedSigner: Self.publisherKey.publicKey.keyID)
        let statement = signed.statement
        #expect(statement.text("format") == "provenance-registration/1")
        #expect(statement.text("release.name") == "org/model-a")
        #expect(statement.text("release.version") == "1.0")
        #expect(statement.text("release.org") == "test-org")
        #expect(statement.text("release.released") == "2024-05-01")
        #expect(statement.text("release.base_count") == "1")
        #expect(statement.text("release.base.0") == "org/base@0.1")
        #expect(statement.text("fingerprint.sha256") == release.fingerprintSHA256.hex)
        #expect(statement.text("fingerprint.raw_root") == release.rawRoot.hex)
        #expect(statement.text("fingerprint.canonical_root") == release.canonicalRoot.hex)
        #expect(statement.text("file_count") == String(release.files.count))
        #expect(statement.text("file.0.name") == release.files[0].name)
        #expect(statement.text("file.0.size") == String(release.files[0].size))
        #expect(statement.text("file.0.sha256") == release.files[0].sha256?.hex)
        #expect(statement.text("registered.at") == "2024-05-02T10:00:00Z")
        #expect(statement.text("registered.by") == "publisher@acme")
        #expect(statement.text("signer.key_id") == Self.publisherKey.publicKey.keyID.hex)
        #expect(try source.release(named: "bert-c").signature == nil)

        // The exported file carries the three parts as lower-case hex.
        let extras = try ExportedFileEditing.metadata(ExportedFileEditing.read(file))
        #expect(extras["statement"] == Hex.encode(statement.encoded))
        #expect(extras["signature"] == signed.signature.hex)
        #expect(extras["public_key"] == Self.publisherKey.publicKey.hex)
        let checked = try Registry.verifyExportedFile(file, expectedSigner: Self.publisherKey.publicKey.keyID)
        #expect(checked.signature == signed)
        #expect(checked.fingerprintSHA256 == release.fingerprintSHA256)

        let target = try RegistryFixtures.registry()
        let result = try target.import(paths: [file], expectedSigner: Self.publisherKey.publicKey.keyID)
        #expect(result.entries.map(\.outcome) == [.imported])
        let imported = try target.release(named: "org/model-a@1.0")
        #expect(imported.signature == signed)
        let verification = try target.verify("org/model-a@1.0", expectedSigner: Self.publisherKey.publicKey.keyID)
        #expect(verification.isSigned)
        #expect(verification.logInclusion?.entry.entry.statementDigest == statement.digest)
        // Exporting from the second registry gives the same bytes; importing again changes nothing.
        let again = try target.export(["org/model-a@1.0"], to: RegistryFixtures.temporaryDirectory("re-export"))
        #expect(try ExportedFileEditing.read(again[0].path) == ExportedFileEditing.read(file))
        #expect(try target.import(paths: [file]).entries.map(\.outcome) == [.unchanged])
    }

    @Test("Unsigned files stay importable and are reported unsigned; a required signer rejects them")
    func unsignedFiles() throws {
        let (source, _) = try Self.signedExport()
        let directory = RegistryFixtures.temporaryDirectory("unsigned")
        let file = try source.export(["bert-c"], to: directory)[0].path
        #expect(try ExportedFileEditing.metadata(ExportedFileEditing.read(file))["statement"] == nil)
        let verification = try Registry.verifyExportedFile(file)
        #expect(!verification.isSigned)
        Self.expectFailure(.signer, subject: file) { _ = try Registry.verifyExportedFile(file, expectedSigner: Self.publisherKey.publicKey.keyID) }
        let target = try RegistryFixtures.registry()
        Self.expectFailure(.signer) { _ = try target.import(paths: [file], expectedSigner: Self.publisherKey.publicKey.keyID) }
        #expect(try target.import(paths: [file]).entries.map(\.outcome) == [.imported])
        #expect(try target.release(named: "bert-c").signature == nil)
        #expect(try target.verify("bert-c").isSigned == false)
    }

    // MARK: - Every single-byte change of the signed parts

    /// The subject of A's signature, as an importer holds it.
    static func subjectA() throws -> (SignedStatement, SignatureCheck.Subject) {
        let (registry, _) = try signedExport()
        let release = try registry.release(named: "org/model-a@1.0")
        let subject = SignatureCheck.Subject(
            metadata: release.metadata, fingerprint: try registry.fingerprint(of: release), fingerprintSHA256: release.fingerprintSHA256,
            registeredAt: release.registeredAt, registeredBy: release.registeredBy, holder: "the file")
        return (try #require(release.signature), subject)
    }

    @Test("Every single-byte change of the statement, the signature or the public key is caught and attributed to that part")
    func everySingleByteChangeIsNamed() throws {
        let (signed, subject) = try Self.subjectA()
        let statement = signed.statement.encoded, signature = signed.signature.rawRepresentation, key = signed.publicKey.rawRepresentation
        // The untouched parts verify.
        _ = try SignatureCheck.verify(statement: statement, signature: signature, publicKey: key, subject: subject, expectedSigner: nil)

        var checked = 0
        for (part, bytes) in [(VerificationFailure.Part.statement, statement), (.signature, signature), (.publicKey, key)] {
            for index in bytes.indices {
                for mask: UInt8 in [0x01, 0x80] {
                    var altered = bytes
                    altered[index] ^= mask
                    do {
                        _ = try SignatureCheck.verify(
                            statement: part == .statement ? altered : statement, signature: part == .signature ? altered : signature,
                            publicKey: part == .publicKey ? altered : key, subject: subject, expectedSigner: nil)
                        Issue.record("a change of byte \(index) (^\(mask)) of the \(part.rawValue) was not detected")
                    } catch {
                        #expect(error.part == part, "byte \(index) ^ \(mask) of the \(part.rawValue): \(error)")
                    }
                    checked += 1
                }
            }
        }
        #expect(checked == 2 * (statement.count + 64 + 32))
    }

    @Test("A change to the statement, signature or public key in an exported file is rejected by import, naming the part", arguments: [
        ("statement", VerificationFailure.Part.statement), ("signature", .signature), ("public_key", .publicKey),
    ])
    func exportedPartTampered(key: String, part: VerificationFailure.Part) throws {
        let (_, file) = try Self.signedExport()
        let bytes = try ExportedFileEditing.read(file)
        let length = try #require(try ExportedFileEditing.metadata(bytes)[key]).count
        let target = try RegistryFixtures.registry()
        let tampered = RegistryFixtures.temporaryDirectory("tampered") + "/tampered.fingerprint.safetensors"
        // One hex digit at the start, the middle and the end, and a change of letter case.
        for index in [0, 1, length / 2, length - 1] {
            try ExportedFileEditing.write(try ExportedFileEditing.flipHexDigit(bytes, key: key, at: index), to: tampered)
            let message = Self.expectFailure(part, subject: tampered) { _ = try target.import(paths: [tampered]) }
            #expect(message.contains("the \(part.rawValue) was altered"), "\(message)")
            Self.expectFailure(part, subject: tampered) { _ = try Registry.verifyExportedFile(tampered) }
        }
        try ExportedFileEditing.write(try ExportedFileEditing.editMetadata(bytes, key: key) { $0.uppercased() }, to: tampered)
        Self.expectFailure(part) { _ = try target.import(paths: [tampered]) }
        // A removed part.
        try ExportedFileEditing.write(try ExportedFileEditing.renameMetadata(bytes, key: key, to: String(repeating: "x", count: key.count)), to: tampered)
        let message = Self.expectFailure(part) { _ = try target.import(paths: [tampered]) }
        #expect(message.contains("removed"))
        #expect(try target.count() == 0)
    }

    @Test("A changed fingerprint (statistic, tensor digest, sketch bytes) in a signed file is named as the fingerprint")
    func fingerprintTampered() throws {
        let (_, file) = try Self.signedExport()
        let bytes = try ExportedFileEditing.read(file)
        let target = try RegistryFixtures.registry()
        let tampered = RegistryFixtures.temporaryDirectory("tampered") + "/tampered.fingerprint.safetensors"

        // A statistic: the roots still agree with the tensor digests, only the signed digest catches it.
        let statistic = try ExportedFileEditing.editMetadata(bytes, key: "fingerprint") { document in
            Self.flipDigit(in: document, after: "\"mean\":")
        }
        try ExportedFileEditing.write(statistic, to: tampered)
        let message = Self.expectFailure(.fingerprint, subject: tampered) { _ = try target.import(paths: [tampered]) }
        #expect(message.contains("fingerprint.sha256"), "\(message)")

        // A tensor digest: the recomputed root no longer matches.
        let digest = try ExportedFileEditing.editMetadata(bytes, key: "fingerprint") { document in
            Self.flipDigit(in: document, after: "\"roleBasis\":\"[a-z]+\",\"sha256\":\"")
        }
        try ExportedFileEditing.write(digest, to: tampered)
        let rootMessage = Self.expectFailure(.fingerprint) { _ = try target.import(paths: [tampered]) }
        #expect(rootMessage.contains("root"), "\(rootMessage)")

        // One byte of a sketch (the data section): only the signed digest covers it.
        var sketch = bytes
        sketch[8 + ExportedFileEditing.headerLength(bytes) + 5] ^= 0x01
        try ExportedFileEditing.write(sketch, to: tampered)
        Self.expectFailure(.fingerprint) { _ = try target.import(paths: [tampered]) }
        #expect(try target.count() == 0)
    }

    @Test("Single-byte changes sampled across the whole signed fingerprint part are all rejected")
    func sampledFingerprintBytes() throws {
        let (_, file) = try Self.signedExport()
        let bytes = try ExportedFileEditing.read(file)
        let document = try ExportedFileEditing.valueRange(bytes, key: "fingerprint")
        let dataStart = 8 + ExportedFileEditing.headerLength(bytes)
        let positions = Array(stride(from: document.lowerBound, to: document.upperBound, by: max(1, document.count / 60)))
            + Array(stride(from: dataStart, to: bytes.count, by: max(1, (bytes.count - dataStart) / 60)))
        let tampered = RegistryFixtures.temporaryDirectory("sampled") + "/tampered.fingerprint.safetensors"
        for position in positions {
            var altered = bytes
            altered[position] ^= 0x01
            try ExportedFileEditing.write(altered, to: tampered)
            do {
                _ = try Registry.verifyExportedFile(tampered)
                Issue.record("a change of byte \(position) was not detected")
            } catch RegistryError.verificationFailed(_, let failure) {
                #expect(failure.part == .fingerprint, "byte \(position): \(failure)")
            } catch RegistryError.invalidFingerprintFile(let name, _) {
                #expect(name == tampered) // no longer decodes: rejected with the rule it breaks
            }
        }
    }

    @Test("Changed release metadata in a signed file is named as the release metadata")
    func releaseMetadataTampered() throws {
        let (_, file) = try Self.signedExport()
        let bytes = try ExportedFileEditing.read(file)
        let tampered = RegistryFixtures.temporaryDirectory("tampered") + "/tampered.fingerprint.safetensors"
        for (old, new) in [("test-org", "evil-org"), ("2024-05-02T10:00:00Z", "2023-05-02T10:00:00Z"), ("publisher@acme", "publisher@evil")] {
            try ExportedFileEditing.write(try ExportedFileEditing.editMetadata(bytes, key: "release") { $0.replacingOccurrences(of: old, with: new) }, to: tampered)
            let message = Self.expectFailure(.releaseMetadata, subject: tampered) { _ = try Registry.verifyExportedFile(tampered) }
            #expect(message.contains(old) && message.contains(new), "\(message)")
        }
    }

    @Test("A file re-signed with another key is rejected when the publisher's key is required; a swapped key alone is named")
    func wrongKey() throws {
        let (_, file) = try Self.signedExport()
        // An impostor registers the same release signed with their key.
        let impostor = try RegistryFixtures.registry()
        var metadata = RegistryFixtures.metadata("org/model-a")
        metadata.bases = ["org/base@0.1"]
        _ = try impostor.register(fingerprint: RegistryFixtures.fingerprintA, metadata: metadata, registeredBy: "publisher@acme",
                                  registeredAt: "2024-05-02T10:00:00Z", signingKey: Self.otherKey)
        let forged = try impostor.export(["org/model-a@1.0"], to: RegistryFixtures.temporaryDirectory("impostor"))[0].path
        #expect(try Registry.verifyExportedFile(forged).signature?.signerKeyID == Self.otherKey.publicKey.keyID)
        let message = Self.expectFailure(.signer, subject: forged) {
            _ = try Registry.verifyExportedFile(forged, expectedSigner: Self.publisherKey.publicKey.keyID)
        }
        #expect(message.contains(Self.otherKey.publicKey.keyID.hex) && message.contains(Self.publisherKey.publicKey.keyID.hex))
        let target = try RegistryFixtures.registry()
        Self.expectFailure(.signer) { _ = try target.import(paths: [forged], expectedSigner: Self.publisherKey.publicKey.keyID) }
        #expect(try target.count() == 0)

        // The genuine file with only its public key replaced by the impostor's.
        let swapped = try ExportedFileEditing.editMetadata(ExportedFileEditing.read(file), key: "public_key") { _ in Self.otherKey.publicKey.hex }
        let path = RegistryFixtures.temporaryDirectory("swapped") + "/swapped.fingerprint.safetensors"
        try ExportedFileEditing.write(swapped, to: path)
        Self.expectFailure(.publicKey) { _ = try Registry.verifyExportedFile(path) }
    }

    @Test("Edits of a signed release inside the registry database are caught by verify")
    func registryRowsTampered() throws {
        func tamperedRegistry(_ sql: String) throws -> Registry {
            let (registry, _) = try Self.signedExport()
            try registry.pool.write { db in try db.execute(sql: sql) }
            return registry
        }
        let reference = "org/model-a@1.0"
        Self.expectFailure(.signature, subject: reference) {
            _ = try tamperedRegistry("UPDATE release_signatures SET signature = zeroblob(64)").verify(reference)
        }
        Self.expectFailure(.releaseMetadata, subject: reference) {
            _ = try tamperedRegistry("UPDATE releases SET org = 'evil-org' WHERE name = 'org/model-a'").verify(reference)
        }
        Self.expectFailure(.releaseMetadata) {
            _ = try tamperedRegistry("UPDATE releases SET registered_at = '2020-01-01T00:00:00Z' WHERE name = 'org/model-a'").verify(reference)
        }
        Self.expectFailure(.fingerprint) {
            _ = try tamperedRegistry("UPDATE release_files SET sha256 = zeroblob(32)").verify(reference)
        }
        // One byte of the stored fingerprint blob (a sketch value at its end).
        let (registry, _) = try Self.signedExport()
        try registry.pool.write { db in
            let id = try #require(try Int64.fetchOne(db, sql: "SELECT id FROM releases WHERE name = 'org/model-a'"))
            var bytes = [UInt8](try #require(try Data.fetchOne(db, sql: "SELECT bytes FROM fingerprint_blobs WHERE release_id = ?", arguments: [id])))
            bytes[bytes.count - 1] ^= 1
            try db.execute(sql: "UPDATE fingerprint_blobs SET bytes = ? WHERE release_id = ?", arguments: [Data(bytes), id])
        }
        let message = Self.expectFailure(.fingerprint) { _ = try registry.verify(reference) }
        #expect(message.contains("does not match fingerprint_sha256"), "\(message)")
    }

    // MARK: - Key files

    @Test("Private keys are written with mode 0600 and never overwritten; the log key too")
    func keyFilePermissions() throws {
        let directory = RegistryFixtures.temporaryDirectory("keys")
        let output = try ProvenanceProcess.run(["keygen", "-o", directory + "/k"])
        #expect(output.status == 0, "\(output.standardError)")
        let privatePath = directory + "/k/provenance-signing-key.pem"
        #expect(try Self.mode(privatePath) == 0o600)
        #expect(try Self.mode(directory + "/k/provenance-signing-key.pub.pem") == 0o644)
        let key = try KeyFile.readPrivateKey(at: privatePath)
        #expect(output.standardOutput.contains(key.publicKey.keyID.hex))
        let before = try ExportedFileEditing.read(privatePath)
        let again = try ProvenanceProcess.run(["keygen", "-o", directory + "/k"])
        #expect(again.status == 2)
        #expect(again.standardError.contains("already exists"))
        #expect(try ExportedFileEditing.read(privatePath) == before)

        // The registry's log key appears with the first change, private to its owner.
        let registry = try RegistryFixtures.registry()
        #expect(!FileManager.default.fileExists(atPath: registry.logKeyPath))
        _ = try registry.register(fingerprint: RegistryFixtures.fingerprintB, metadata: RegistryFixtures.metadata("b"))
        #expect(try Self.mode(registry.logKeyPath) == 0o600)
        // A log key readable by others is refused, and nothing is written.
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: registry.logKeyPath)
        let counts = try RegistryFixtures.rowCounts(registry)
        #expect {
            try registry.register(fingerprint: RegistryFixtures.fingerprintC, metadata: RegistryFixtures.metadata("c"))
        } throws: { error in
            guard case RegistryError.logKey(let path, let reason) = error else { return false }
            return path == registry.logKeyPath && reason.contains("chmod 600")
        }
        #expect(try RegistryFixtures.rowCounts(registry) == counts)
    }

    /// `text` with the first decimal digit after the first match of `pattern` changed.
    static func flipDigit(in text: String, after pattern: String) -> String {
        guard let range = text.range(of: pattern, options: .regularExpression) else { return text }
        var characters = Array(text)
        var index = text.distance(from: text.startIndex, to: range.upperBound)
        while index < characters.count, !characters[index].isNumber { index += 1 }
        guard index < characters.count else { return text }
        characters[index] = characters[index] == "0" ? "1" : "0"
        return String(characters)
    }

    static func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return try #require(attributes[.posixPermissions] as? NSNumber).intValue & 0o777
    }
}
