import Fingerprinting
import Foundation
import GRDB
import ModelFixtures
import Perturbation
@testable import Registry
import SyntheticModels
import Testing

@Suite("Candidate look-up")
struct CandidateTests {
    /// A, B (independent tinyLlamas), C (tinyBERT) and D (a GQA Llama).
    static func populated() throws -> Registry {
        let registry = try RegistryFixtures.registry()
        for (name, fingerprint) in [("a", RegistryFixtures.fingerprintA), ("b", RegistryFixtures.fingerprintB),
                                    ("c", RegistryFixtures.fingerprintC), ("d", RegistryFixtures.fingerprintD)] {
            _ = try registry.register(fingerprint: fingerprint, metadata: RegistryFixtures.metadata(name))
        }
        return registry
    }

    @Test("An exact copy (renamed, reordered) finds its release first through digests and roots, and nothing unrelated")
    func exactCopy() throws {
        let registry = try Self.populated()
        let copy = try RegistryFixtures.fingerprint(RegistryFixtures.llamaA, rename: { "x." + $0 }, reverse: true)
        let candidates = try registry.candidates(for: copy)
        #expect(candidates.map(\.release.name) == ["a"])
        let top = try #require(candidates.first)
        #expect(top.identicalCanonicalRoot && top.identicalRawRoot)
        #expect(top.sharedCanonicalTensors == top.informativeTensors)
        #expect(top.sharedRawTensors == top.informativeTensors)
        #expect(top.sharedParameters == RegistryFixtures.llamaA.tensors.filter { !$0.name.contains("norm") }.reduce(0) { $0 + $1.values.count })
        #expect(top.sketchKeyVotes == copy.indexKeys.filter { $0.kind == "sketch" }.count)
        #expect(top.probeKeyVotes == copy.indexKeys.filter { $0.kind == "probe" }.count)
    }

    @Test("A partial copy (two grafted layers) finds the donor through exact tensor digests")
    func partialCopy() throws {
        let registry = try Self.populated()
        let independent = RegistryFixtures.independentLlama
        let graft = RegistryFixtures.grafted(independent, layers: [2, 3], from: RegistryFixtures.llamaB)
        let candidates = try registry.candidates(for: RegistryFixtures.fingerprint(graft))
        let top = try #require(candidates.first)
        #expect(top.release.name == "b")
        #expect(!top.identicalCanonicalRoot)
        #expect(top.sharedCanonicalTensors == 14)
        #expect(!candidates.contains { ["a", "c", "d"].contains($0.release.name) && $0.hasExactShares })
    }

    @Test("A noised copy has no exact share but is found through LSH keys; unrelated releases are not returned")
    func noisedCopy() throws {
        let registry = try Self.populated()
        let noised = try RegistryFixtures.fingerprint(RegistryFixtures.noised(RegistryFixtures.llamaA, relative: 0.05, seed: 9))
        let candidates = try registry.candidates(for: noised)
        #expect(candidates.map(\.release.name) == ["a"])
        let top = try #require(candidates.first)
        #expect(!top.hasExactShares)
        #expect(top.keyVotes >= noised.indexKeys.count / 2)
    }

    @Test("An independent model of a registered architecture gets no candidate")
    func independentModel() throws {
        let registry = try Self.populated()
        let candidates = try registry.candidates(for: RegistryFixtures.fingerprint(RegistryFixtures.independentLlama))
        #expect(candidates.isEmpty, "unexpected: \(candidates.map { ($0.release.name, $0.keyVotes) })")
    }

    @Test("The limit caps the list, exact shares rank before key votes")
    func limitAndRanking() throws {
        let registry = try Self.populated()
        _ = try registry.register(fingerprint: RegistryFixtures.fingerprintA, metadata: RegistryFixtures.metadata("a-mirror"))
        let noisedB = RegistryFixtures.noised(RegistryFixtures.llamaB, relative: 0.05, seed: 3)
        let hybrid = RegistryFixtures.grafted(noisedB, layers: [0], from: RegistryFixtures.llamaA)
        let candidates = try registry.candidates(for: RegistryFixtures.fingerprint(hybrid))
        // a and a-mirror share layer 0 exactly; b only shares keys.
        #expect(candidates.map(\.release.name) == ["a", "a-mirror", "b"])
        #expect(candidates[2].keyVotes > candidates[0].keyVotes)
        #expect(try registry.candidates(for: RegistryFixtures.fingerprint(hybrid), limit: 1).map(\.release.name) == ["a"])
    }

    @Test("The automatic key-vote threshold is 2 for a small registry and grows with its size")
    func voteThreshold() {
        let lookup = IndexedLookup(RegistryFixtures.fingerprintD)
        let thresholds = [1, 10, 1_000, 100_000, 10_000_000].map { lookup.chanceVoteThreshold(releaseCount: $0) }
        #expect(thresholds.first == 2)
        #expect(zip(thresholds, thresholds.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(thresholds.last! > 2)
    }

    /// `model` with a quarter of its hidden and MLP widths pruned (`perturb --prune-hidden 0.25
    /// --prune-neurons 0.25`), fingerprinted from disk.
    static func pruned(_ model: ModelWeights) throws -> Fingerprint {
        var checkpoint = CheckpointModel(model)
        _ = try NeuronPruning(fraction: 0.25).apply(to: &checkpoint)
        _ = try HiddenPruning(fraction: 0.25).apply(to: &checkpoint)
        let directory = Fixtures.temporaryDirectory("pruned-candidate")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try checkpoint.write(to: directory + "/model")
        var options = FingerprintOptions()
        options.threads = 1
        return try Fingerprinter.fingerprint(path: directory + "/model", options: options)
    }

    @Test("A width-pruned copy shares no sketch key, and is found through its embedding probe's near keys (multi-probe); a pruned independent model is not")
    func widthPrunedCopy() throws {
        let registry = try Self.populated()
        let copy = try Self.pruned(RegistryFixtures.llamaA)
        let candidates = try registry.candidates(for: copy)
        #expect(candidates.map(\.release.name) == ["a"], "\(candidates.map { ($0.release.name, $0.keyVotes, $0.nearProbeKeyVotes) })")
        let top = try #require(candidates.first)
        #expect(!top.hasExactShares && top.sketchKeyVotes == 0)
        #expect(top.probeKeyVotes + top.nearProbeKeyVotes >= 2 && top.nearProbeKeyVotes > 0)
        let independent = try registry.candidates(for: Self.pruned(RegistryFixtures.independentLlama))
        #expect(independent.isEmpty, "unexpected: \(independent.map { ($0.release.name, $0.keyVotes, $0.nearProbeKeyVotes) })")
    }

    @Test("Multi-probe neighbours: 696 distinct masks of at most 3 flipped bits; near keys are the exact key's neighbours only")
    func nearProbeKeys() throws {
        let masks = LocalitySensitiveKeys.hammingMasks(distance: 3)
        #expect(masks.count == 16 + 120 + 560 && Set(masks).count == masks.count)
        #expect(masks.allSatisfy { (1...3).contains($0.nonzeroBitCount) })
        #expect(LocalitySensitiveKeys.hammingMasks(distance: 1) == (0..<16).map { UInt16(1) << UInt16($0) })
        let fingerprint = RegistryFixtures.fingerprintA
        let near = LocalitySensitiveKeys.nearProbeKeys(gram: fingerprint.probe.gram, seed: PublicSeed(fingerprint.header.seed), distance: 3)
        let exact = Set(fingerprint.indexKeys.filter { $0.kind == "probe" }.map(\.value))
        #expect(near.count == 4 * 696 && Set(near).count == near.count)
        #expect(exact.count == 4 && exact.isDisjoint(with: near))
    }

    @Test("The probe-route threshold: 2 of 4 bands for a small registry, 3 and 4 for larger ones, none beyond")
    func probeVoteThreshold() {
        let lookup = IndexedLookup(RegistryFixtures.fingerprintA)
        #expect([1, 50, 100, 3_000, 10_000, 300_000, 1_000_000].map { lookup.probeVoteThreshold(releaseCount: $0) } == [2, 2, 3, 3, 4, 4, nil])
        // A fingerprint without an embedding probe has no probe route.
        var randomProbe = RegistryFixtures.fingerprintA
        randomProbe.indexKeys.removeAll { $0.kind == "probe" }
        #expect(IndexedLookup(randomProbe).probeVoteThreshold(releaseCount: 1) == nil)
    }

    @Test("Every candidate query is answered from an index, never by scanning a table")
    func queryPlansUseIndexes() throws {
        let registry = try Self.populated()
        let plans = try registry.pool.read { db -> [String: String] in
            func plan(_ sql: String, _ arguments: StatementArguments) throws -> String {
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments).map { $0["detail"] as String }.joined(separator: " | ")
            }
            let digest = Data(repeating: 7, count: 32)
            return [
                "roots": try plan(IndexedLookup.rootSQL, [digest, digest, digest, digest]),
                "digests": try plan(IndexedLookup.digestSQL(count: 3), [digest, digest, digest, "raw"]),
                "keys": try plan(IndexedLookup.keySQL(count: 3), [1, 2, 3]),
            ]
        }
        for (name, plan) in plans {
            #expect(plan.contains("SEARCH") && plan.contains("USING"), "\(name): \(plan)")
            #expect(!plan.contains("SCAN"), "\(name): \(plan)")
        }
    }

    @Test("A copy with its experts stacked (noised, so nothing is exact) finds the per-expert release through its stacks' keys too")
    func stackedExperts() throws {
        let spec = TransformerSpec(family: .llama, vocabSize: 512, hiddenSize: 128, intermediateSize: 256, layerCount: 2, headCount: 4)
        let release = ModelGenerator.mixtureOfExperts(ModelGenerator.generate(spec, seed: 60), experts: 4, seed: 61)
        let registry = try Self.populated()
        let registered = try Fixtures.fingerprint(release)
        #expect(registered.expertGroups.count == 6)
        _ = try registry.register(fingerprint: registered, metadata: RegistryFixtures.metadata("moe"))
        let copy = try Fixtures.fingerprint(Fixtures.stackExperts(TestAttacks.noise(release, relative: 0.01, seed: 3), experts: 4))
        let candidates = try registry.candidates(for: copy)
        #expect(candidates.map(\.release.name) == ["moe"])
        let top = try #require(candidates.first)
        #expect(!top.hasExactShares)
        // The stacks' keys are among the release's: its groups' keys, taken from the same summed sketches.
        let stackKeys = Set(copy.tensors.filter { $0.experts != nil }.flatMap(\.lshKeys))
        let releaseKeys = Set(registered.indexKeys.map(\.value))
        #expect(!stackKeys.isEmpty && stackKeys.intersection(releaseKeys).count >= stackKeys.count / 2)
        #expect(top.sketchKeyVotes >= stackKeys.intersection(releaseKeys).count)
    }
}
