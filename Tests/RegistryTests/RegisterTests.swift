import Checkpoints
import Fingerprinting
import Foundation
import GRDB
@testable import Registry
import Testing

@Suite("Registering, listing, showing and removing")
struct RegisterTests {
    @Test("register → list → show → fingerprint → remove")
    func lifecycle() throws {
        let registry = try RegistryFixtures.registry()
        var metadata = RegistryFixtures.metadata("acme/llama-a")
        metadata.bases = ["meta/llama@2"]
        let result = try registry.register(fingerprint: RegistryFixtures.fingerprintA, metadata: metadata, registeredBy: "alice@lab")
        #expect(result.replaced == nil)
        #expect(result.findings.isEmpty)
        let release = result.release
        #expect(release.metadata == metadata)
        #expect(release.registeredBy == "alice@lab")
        #expect(Timestamp.isValid(release.registeredAt))
        #expect(release.canonicalRoot == RegistryFixtures.fingerprintA.roots.canonical)
        #expect(release.rawRoot == RegistryFixtures.fingerprintA.roots.raw)
        #expect(release.parameterCount == RegistryFixtures.llamaA.parameterCount)
        #expect(release.tensorCount == RegistryFixtures.llamaA.tensors.count)
        #expect(release.architecture == RegistryFixtures.fingerprintA.structure)
        #expect(release.files.map(\.name) == ["model.safetensors"])
        #expect(release.files[0].sha256 == RegistryFixtures.fingerprintA.source.files[0].sha256)
        #expect(release.bases == [BaseModel(name: "meta/llama", version: "2", releaseID: nil)])

        _ = try registry.register(fingerprint: RegistryFixtures.fingerprintC, metadata: RegistryFixtures.metadata("bert-c", version: nil))
        #expect(try registry.list().map(\.reference.description) == ["acme/llama-a@1.0", "bert-c"])
        #expect(try registry.release(named: "acme/llama-a@1.0") == release)
        #expect(try registry.release(named: "acme/llama-a") == release)

        let stored = try registry.fingerprint(of: release)
        #expect(try stored.encoded() == RegistryFixtures.fingerprintA.encoded())
        let expectedBytes = try RegistryFixtures.fingerprintA.encoded()
        #expect(release.fingerprintSize == expectedBytes.count)

        let counts = try RegistryFixtures.rowCounts(registry)
        let tensorsA = RegistryFixtures.fingerprintA.tensors.count, tensorsC = RegistryFixtures.fingerprintC.tensors.count
        #expect(counts["tensor_digests"] == 2 * (tensorsA + tensorsC))
        #expect(counts["index_keys"] == RegistryFixtures.fingerprintA.indexKeys.count + RegistryFixtures.fingerprintC.indexKeys.count)

        let removed = try registry.remove("acme/llama-a@1.0")
        #expect(removed.id == release.id)
        #expect(try registry.list().map(\.name) == ["bert-c"])
        let after = try RegistryFixtures.rowCounts(registry)
        #expect(after["tensor_digests"] == 2 * tensorsC)
        #expect(after["index_keys"] == RegistryFixtures.fingerprintC.indexKeys.count)
        #expect(after["fingerprint_blobs"] == 1)
        #expect(after["release_bases"] == 0)
        #expect(throws: RegistryError.notFound(reference: "acme/llama-a@1.0", otherVersions: [])) {
            try registry.release(named: "acme/llama-a@1.0")
        }
    }

    @Test("A duplicate name+version is refused; replace swaps the entry in one step")
    func duplicatesAndReplace() throws {
        let registry = try RegistryFixtures.registry()
        let first = try registry.register(fingerprint: RegistryFixtures.fingerprintA, metadata: RegistryFixtures.metadata("m"))
        let before = try RegistryFixtures.rowCounts(registry)
        #expect {
            try registry.register(fingerprint: RegistryFixtures.fingerprintB, metadata: RegistryFixtures.metadata("m"))
        } throws: { error in
            guard case RegistryError.duplicateRelease(let reference, let id, _) = error else { return false }
            return reference == "m@1.0" && id == first.release.id
        }
        #expect(try RegistryFixtures.rowCounts(registry) == before)

        let replaced = try registry.register(fingerprint: RegistryFixtures.fingerprintB, metadata: RegistryFixtures.metadata("m"), replace: true)
        #expect(replaced.replaced?.id == first.release.id)
        #expect(replaced.release.id != first.release.id)
        #expect(replaced.release.canonicalRoot == RegistryFixtures.fingerprintB.roots.canonical)
        #expect(try registry.list().count == 1)
        let orphans = try registry.pool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tensor_digests WHERE release_id = ?", arguments: [first.release.id])
        }
        #expect(orphans == 0)
        // Another version of the same name is a different release.
        _ = try registry.register(fingerprint: RegistryFixtures.fingerprintA, metadata: RegistryFixtures.metadata("m", version: "2.0"))
        #expect(try registry.releases(named: "m").map { $0.version } == ["2.0", "1.0"])
    }

    @Test("Identical weights under another name are reported, as are exactly shared tensors")
    func reportsIdenticalWeights() throws {
        let registry = try RegistryFixtures.registry()
        let original = try registry.register(fingerprint: RegistryFixtures.fingerprintA, metadata: RegistryFixtures.metadata("original")).release
        _ = try registry.register(fingerprint: RegistryFixtures.fingerprintC, metadata: RegistryFixtures.metadata("unrelated"))

        // The same weights renamed and stored in another order: identical canonical root.
        let renamed = try RegistryFixtures.fingerprint(RegistryFixtures.llamaA, rename: { "renamed." + $0 }, reverse: true)
        let copy = try registry.register(fingerprint: renamed, metadata: RegistryFixtures.metadata("copycat"))
        #expect(copy.findings.count == 1)
        let finding = try #require(copy.findings.first)
        #expect(finding.release.id == original.id)
        #expect(finding.identicalWeights)
        #expect(finding.identicalBytes)
        #expect(finding.description.contains("identical weights are already registered as original@1.0"))

        // Two layers copied into an otherwise independent model: a partial share, not identity.
        let graft = RegistryFixtures.grafted(RegistryFixtures.llamaB, layers: [0, 1], from: RegistryFixtures.llamaA)
        let partial = try registry.register(fingerprint: try RegistryFixtures.fingerprint(graft), metadata: RegistryFixtures.metadata("graft"))
        let shared = partial.findings.map { ($0.release.name, $0.identicalWeights, $0.sharedTensors) }
        // Layers hold 7 weight matrices each (the norms are constant ones: not evidence).
        #expect(shared.map(\.0).sorted() == ["copycat", "original"])
        #expect(shared.allSatisfy { !$0.1 && $0.2 == 14 })
    }

    @Test("Declared bases resolve to registered releases, now or when registered later")
    func resolvesBases() throws {
        let registry = try RegistryFixtures.registry()
        let base = try registry.register(fingerprint: RegistryFixtures.fingerprintA, metadata: RegistryFixtures.metadata("base")).release
        var childMetadata = RegistryFixtures.metadata("child")
        childMetadata.bases = ["base", "later@2", "never"]
        let child = try registry.register(fingerprint: RegistryFixtures.fingerprintB, metadata: childMetadata).release
        #expect(child.bases.map(\.releaseID) == [base.id, nil, nil])

        let later = try registry.register(fingerprint: RegistryFixtures.fingerprintC, metadata: RegistryFixtures.metadata("later", version: "2")).release
        #expect(try registry.release(named: "child").bases.map(\.releaseID) == [base.id, later.id, nil])

        try registry.remove("base")
        let orphan = try registry.release(named: "child")
        #expect(orphan.bases.map(\.releaseID) == [nil, later.id, nil])
        #expect(orphan.metadata.bases == ["base", "later@2", "never"])
    }

    @Test("Without a version: show picks the latest registered, remove refuses to guess")
    func versionlessReferences() throws {
        let registry = try RegistryFixtures.registry()
        _ = try registry.register(fingerprint: RegistryFixtures.fingerprintA, metadata: RegistryFixtures.metadata("m", version: "1"),
                                  registeredAt: "2024-01-01T00:00:00Z")
        _ = try registry.register(fingerprint: RegistryFixtures.fingerprintB, metadata: RegistryFixtures.metadata("m", version: "2"),
                                  registeredAt: "2024-06-01T00:00:00Z")
        #expect(try registry.release(named: "m").version == "2")
        #expect(throws: RegistryError.ambiguous(name: "m", versions: ["2", "1"])) { try registry.remove("m") }
        #expect(throws: RegistryError.notFound(reference: "m@3", otherVersions: ["m@2", "m@1"])) { try registry.release(named: "m@3") }
        try registry.remove("m@2")
        #expect(try registry.remove("m").version == "1")
        #expect(try registry.count() == 0)
    }

    @Test("A fingerprint whose roots disagree with its tensor digests is refused")
    func refusesInconsistentFingerprint() throws {
        let registry = try RegistryFixtures.registry()
        var tampered = RegistryFixtures.fingerprintA
        tampered.tensors[3].canonical.sha256 = tampered.tensors[4].canonical.sha256
        #expect {
            try registry.register(fingerprint: tampered, metadata: RegistryFixtures.metadata("t"))
        } throws: { error in
            guard case RegistryError.invalidFingerprintFile(_, let reason) = error else { return false }
            return reason.contains("canonical root")
        }
        #expect(try registry.count() == 0)
    }

    @Test("a fingerprint of block-scaled FP8 weights registers, exports and imports: its canonical root leaves the factor tensors out")
    func scaledWeights() throws {
        let directory = RegistryFixtures.temporaryDirectory("fp8")
        // Any finite E4M3 codes will do (0x7F and 0xFF are NaN); one factor per 128 × 128 block.
        var tensors: [SafetensorsWriter.Tensor] = []
        for tensor in RegistryFixtures.llamaA.tensors {
            guard tensor.shape.count == 2, !tensor.name.contains("embed") else {
                tensors.append(.init(name: tensor.name, shape: tensor.shape, values: tensor.values))
                continue
            }
            let codes = tensor.values.indices.map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) & 0xFE }
            tensors.append(.init(name: tensor.name, dtype: .f8E4M3, shape: tensor.shape, bytes: codes))
            let grid = [(tensor.shape[0] + 127) / 128, (tensor.shape[1] + 127) / 128]
            tensors.append(.init(name: tensor.name + "_scale_inv", shape: grid, values: [Float](repeating: 0.01, count: grid[0] * grid[1])))
        }
        try SafetensorsWriter.write(tensors, to: directory + "/model.safetensors")
        let fingerprint = try Fingerprinter.fingerprint(path: directory + "/model.safetensors")
        #expect(fingerprint.tensors.contains { $0.role == .quantizationScale })

        let registry = try RegistryFixtures.registry()
        let release = try registry.register(fingerprint: fingerprint, metadata: RegistryFixtures.metadata("acme/fp8")).release
        #expect(release.canonicalRoot == fingerprint.roots.canonical)
        #expect(release.parameterCount == RegistryFixtures.llamaA.parameterCount)
        let exported = try registry.export(["acme/fp8"], to: directory + "/exported")
        let other = try RegistryFixtures.registry()
        _ = try other.import(paths: exported.map(\.path))
        #expect(try other.fingerprint(of: try other.release(named: "acme/fp8")).encoded() == fingerprint.encoded())
    }
}
