import Fingerprinting
import Foundation
import GRDB
import ProvenanceCrypto
@testable import Registry
import SyntheticModels
import Testing

@Suite("Export, import and seeding")
struct ExchangeTests {
    /// A registry holding A (with a base) and C, and their exported files.
    static func exported() throws -> (registry: Registry, directory: String, files: [ExportedFile]) {
        let registry = try RegistryFixtures.registry()
        var metadata = RegistryFixtures.metadata("org/model-a")
        metadata.bases = ["org/base@0.1"]
        _ = try registry.register(fingerprint: RegistryFixtures.fingerprintA, metadata: metadata, registeredBy: "pub@host",
                                  registeredAt: "2024-05-02T10:00:00Z")
        _ = try registry.register(fingerprint: RegistryFixtures.fingerprintC, metadata: RegistryFixtures.metadata("bert-c", version: nil),
                                  registeredBy: "pub@host", registeredAt: "2024-05-03T10:00:00Z")
        let directory = RegistryFixtures.temporaryDirectory("export")
        let files = try registry.exportAll(to: directory)
        return (registry, directory, files)
    }

    /// Every stored row of a release except ids, for comparing registries.
    static func snapshot(_ registry: Registry) throws -> [String] {
        try registry.pool.read { db in
            var lines: [String] = []
            for release in try ReleaseStore.releases(in: db) {
                var copy = release
                copy.id = 0
                copy.bases = copy.bases.map { BaseModel(name: $0.name, version: $0.version, releaseID: nil) }
                lines.append("\(copy)")
                lines.append(SHA256.hash(try ReleaseStore.fingerprintBytes(of: release, in: db)).hex)
                lines += try Row.fetchAll(db, sql: "SELECT kind, position, tensor_name, hex(digest) FROM tensor_digests WHERE release_id = ? ORDER BY kind, position",
                                          arguments: [release.id]).map(\.description)
                lines += try Row.fetchAll(db, sql: "SELECT key, kind FROM index_keys WHERE release_id = ? ORDER BY key, kind",
                                          arguments: [release.id]).map(\.description)
            }
            return lines
        }
    }

    @Test("export → import gives identical entries; importing again changes nothing")
    func roundTrip() throws {
        let (source, directory, files) = try Self.exported()
        #expect(files.map { ($0.path as NSString).lastPathComponent }.sorted()
                == ["bert-c.fingerprint.safetensors", "org__model-a@1.0.fingerprint.safetensors"])
        let target = try RegistryFixtures.registry()
        let result = try target.import(paths: [directory])
        #expect(result.entries.map(\.outcome) == [.imported, .imported])
        #expect(try Self.snapshot(target) == Self.snapshot(source))
        for release in try source.list() {
            let imported = try target.release(named: release.reference.description)
            #expect(try target.fingerprint(of: imported).encoded() == source.fingerprint(of: release).encoded())
            #expect(imported.registeredAt == release.registeredAt)
            #expect(imported.registeredBy == "pub@host")
        }
        let again = try target.import(paths: files.map(\.path))
        #expect(again.entries.map(\.outcome) == [.unchanged, .unchanged])
        #expect(again.changedCount == 0)

        // The exported file is a fingerprint file any reader of the format can decode.
        let (fingerprint, extras) = try Fingerprint.read(from: files[0].path)
        #expect(fingerprint.tensors.count > 0)
        #expect(extras["release"]?.contains("\"registered_by\":\"pub@host\"") == true)
        // Exports are deterministic.
        let second = RegistryFixtures.temporaryDirectory("export")
        let rewritten = try source.exportAll(to: second)
        for (a, b) in zip(files, rewritten) {
            #expect(FileManager.default.contents(atPath: a.path) == FileManager.default.contents(atPath: b.path))
        }
    }

    /// Ways to damage an exported file, and what the error must mention.
    enum Damage: String, CaseIterable, Sendable {
        case digestFlipped, formatVersionChanged, truncated, releaseDateInvalid, releaseMissing, keyAdded
        case sketchByteFlipped, statisticEdited, fingerprintDigestMissing

        var expectedReason: String {
            switch self {
            case .digestFlipped: "root"
            case .formatVersionChanged: "format version 7 is not supported"
            case .truncated: "not valid safetensors"
            case .releaseDateInvalid: "released"
            case .releaseMissing: "no \"release\" metadata"
            case .keyAdded: "sketch index keys differ"
            case .sketchByteFlipped, .statisticEdited: "fingerprint part was altered or corrupted"
            case .fingerprintDigestMissing: "no fingerprint_sha256"
            }
        }
    }

    static func damage(_ bytes: [UInt8], _ damage: Damage) throws -> [UInt8] {
        let headerLength = Int(bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        var header = String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self)
        var body = Array(bytes[(8 + headerLength)...])
        func replaceOnce(_ pattern: String, _ transform: (String) -> String) throws {
            let range = try #require(header.range(of: pattern, options: .regularExpression), "pattern \(pattern) not found")
            header.replaceSubrange(range, with: transform(String(header[range])))
        }
        switch damage {
        case .digestFlipped:
            // One hex digit of a tensor's raw digest, inside the JSON document (same length).
            try replaceOnce("roleBasis\\\\\":\\\\\"[a-z]+\\\\\",\\\\\"sha256\\\\\":\\\\\"[0-9a-f]") { match in
                let last = match.last!
                return String(match.dropLast()) + (last == "0" ? "1" : "0")
            }
        case .formatVersionChanged:
            try replaceOnce("\"format_version\":\"1\"") { _ in "\"format_version\":\"7\"" }
        case .truncated:
            return Array(bytes.prefix(bytes.count - 100))
        case .releaseDateInvalid:
            try replaceOnce("released\\\\\":\\\\\"2024-05-01") { $0.replacingOccurrences(of: "2024-05-01", with: "2024-02-30") }
        case .releaseMissing:
            try replaceOnce("\"release\":") { _ in "\"rel_ase\":" }
        case .sketchByteFlipped:
            // One bit of the first sketch value: nothing in the JSON refers to it.
            body[1] ^= 0x01
        case .statisticEdited:
            // One digit of one tensor's element count, inside the JSON document (same length).
            try replaceOnce("count\\\\\":[1-9]") { match in
                let last = match.last!
                return String(match.dropLast()) + (last == "9" ? "8" : String(Character(Unicode.Scalar(last.asciiValue! + 1))))
            }
        case .fingerprintDigestMissing:
            try replaceOnce("fingerprint_sha256") { _ in "fingerprint_sha25x" }
        case .keyAdded:
            // Change one hex digit of one index key (same length): the key set no longer matches the tensors'.
            try replaceOnce("\\\\\"kind\\\\\":\\\\\"sketch\\\\\",\\\\\"value\\\\\":\\\\\"[0-9a-f]") { match in
                let last = match.last!
                return String(match.dropLast()) + (last == "0" ? "1" : "0")
            }
        }
        let newHeader = Array(header.utf8)
        #expect(newHeader.count == headerLength)
        var length = UInt64(newHeader.count).littleEndian
        return withUnsafeBytes(of: &length, Array.init) + newHeader + body
    }

    @Test("A damaged file is rejected with its name and the rule, and nothing is imported", arguments: Damage.allCases)
    func rejectsDamagedFile(_ damage: Damage) throws {
        let (_, directory, files) = try Self.exported()
        let good = try #require(files.first { $0.release.name == "bert-c" })
        let victim = try #require(files.first { $0.release.name == "org/model-a" })
        let bytes = [UInt8](try #require(FileManager.default.contents(atPath: victim.path)))
        let damagedPath = directory + "/damaged.fingerprint.safetensors"
        try Data(Self.damage(bytes, damage)).write(to: URL(fileURLWithPath: damagedPath))

        let target = try RegistryFixtures.registry()
        let before = try RegistryFixtures.rowCounts(target)
        #expect {
            try target.import(paths: [good.path, damagedPath])
        } throws: { error in
            guard case RegistryError.invalidFingerprintFile(let file, let reason) = error else { return false }
            return file == damagedPath && reason.contains(damage.expectedReason)
        }
        #expect(try RegistryFixtures.rowCounts(target) == before)
        #expect(try target.count() == 0)
    }

    @Test("an MoE entry signed in format version 1 (before expert tables) exports as stored and imports with its signature")
    func legacyEncoding() throws {
        let model = ModelGenerator.mixtureOfExperts(
            ModelGenerator.generate(TransformerSpec(family: .llama, vocabSize: 256, hiddenSize: 64, intermediateSize: 32, layerCount: 1, headCount: 4), seed: 730),
            experts: 4, seed: 731)
        let fingerprint = try RegistryFixtures.fingerprint(model)
        let legacy = try fingerprint.encoded(expertTables: false)
        #expect(legacy != (try fingerprint.encoded()))
        // What an earlier build stored: the version-1 bytes, signed as they are.
        let registry = try RegistryFixtures.registry()
        var prepared = try PreparedRelease(fingerprint: fingerprint, metadata: RegistryFixtures.metadata("org/moe"),
                                           registeredBy: "pub@host", registeredAt: "2024-05-02T10:00:00Z")
        prepared.keepEncoding(legacy)
        prepared.signature = try RegistrationStatement.sign(prepared, with: SigningTests.publisherKey)
        try registry.write { db in
            _ = try ReleaseStore.insert(prepared, in: db)
            try LogStore.append([prepared.logChange(.register)], keyPath: registry.logKeyPath, in: db)
        }
        #expect(try registry.verify("org/moe@1.0").fingerprintSHA256 == SHA256.hash(legacy))
        let files = try registry.exportAll(to: RegistryFixtures.temporaryDirectory("legacy"))
        let exported = try ExportedFingerprint(file: try #require(files.first).path, limit: Registry.maximumFileSize)
        #expect(exported.fingerprintPartSHA256 == SHA256.hash(legacy))
        let target = try RegistryFixtures.registry()
        _ = try target.import(paths: files.map(\.path), expectedSigner: SigningTests.publisherKey.publicKey.keyID)
        let stored = try target.read { db in try ReleaseStore.fingerprintBytes(of: try #require(try ReleaseStore.releases(in: db).first), in: db) }
        #expect(stored == legacy)
        #expect(try target.verify("org/moe@1.0").fingerprintSHA256 == SHA256.hash(legacy))
    }

    @Test("A conflicting entry fails the whole import unless replace is asked for")
    func conflicts() throws {
        let (_, _, files) = try Self.exported()
        let target = try RegistryFixtures.registry()
        _ = try target.register(fingerprint: RegistryFixtures.fingerprintB, metadata: RegistryFixtures.metadata("org/model-a"))
        let before = try RegistryFixtures.rowCounts(target)
        #expect {
            try target.import(paths: files.map(\.path))
        } throws: { error in
            guard case RegistryError.importConflict(_, let reference, _) = error else { return false }
            return reference == "org/model-a@1.0"
        }
        #expect(try RegistryFixtures.rowCounts(target) == before)
        let replaced = try target.import(paths: files.map(\.path), replace: true)
        #expect(Set(replaced.entries.map(\.outcome)) == [.imported, .replaced])
        #expect(try target.release(named: "org/model-a@1.0").canonicalRoot == RegistryFixtures.fingerprintA.roots.canonical)
    }

    @Test("The same release twice in one import is refused")
    func duplicateWithinImport() throws {
        let (_, _, files) = try Self.exported()
        let copy = RegistryFixtures.temporaryDirectory() + "/copy.fingerprint.safetensors"
        try FileManager.default.copyItem(atPath: files[0].path, toPath: copy)
        let target = try RegistryFixtures.registry()
        #expect(throws: RegistryError.self) { try target.import(paths: [files[0].path, copy]) }
        #expect(try target.count() == 0)
    }

    @Test("Seeding fills a new registry once and never again")
    func seeding() throws {
        let (_, directory, files) = try Self.exported()
        let registry = try RegistryFixtures.registry()
        let seeded = try #require(try registry.seedIfEmpty(from: directory))
        #expect(seeded.releases.count == files.count)
        #expect(try registry.count() == files.count)
        #expect(try registry.seedIfEmpty(from: directory) == nil)
        for release in try registry.list() { try registry.remove(release.reference.description) }
        // Emptied by the user: not re-seeded behind their back.
        #expect(try registry.seedIfEmpty(from: directory) == nil)
        #expect(try registry.count() == 0)
        // A registry that already holds releases is not seeded.
        let other = try RegistryFixtures.registry()
        _ = try other.register(fingerprint: RegistryFixtures.fingerprintB, metadata: RegistryFixtures.metadata("b"))
        #expect(try other.seedIfEmpty(from: directory) == nil)
        #expect(try other.count() == 1)
    }

    @Test("A directory without fingerprint files is an error for import")
    func emptyDirectory() throws {
        let registry = try RegistryFixtures.registry()
        let empty = RegistryFixtures.temporaryDirectory()
        #expect(throws: RegistryError.noFingerprintFiles(path: empty)) { try registry.import(paths: [empty]) }
        #expect(try registry.seedIfEmpty(from: empty) == nil)
    }
}
