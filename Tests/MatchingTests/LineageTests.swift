import ModelFixtures
import Checkpoints
import Fingerprinting
import Matching
import SyntheticModels
import Testing

/// Suspects built from a lineage (base → release, base → honest sibling, plus independent
/// models) and scanned against a registry of base, release and one independent model.
@Suite("Lineage: every attack is attributed to the right release with the right verdict")
struct LineageTests {
    static let lineage = Lineage()
    static let registry = try! lineage.registry()

    func scan(_ model: ModelWeights, layout: Fixtures.Layout = .init()) throws -> ScanResult {
        Scan.run(try Fixtures.fingerprint(model, layout: layout), against: Self.registry)
    }

    func expect(_ scan: ScanResult, _ verdict: Verdict.Kind, nearest: String?, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(scan.attribution.verdict == verdict, "\(scan.attribution.sentence)", sourceLocation: sourceLocation)
        #expect(scan.attribution.nearest == nearest, "\(scan.attribution.sentence)", sourceLocation: sourceLocation)
        #expect(scan.flagged == (verdict != .independent), sourceLocation: sourceLocation)
        if let nearest {
            // Every view lists the attributed release first, even when a base is more significant.
            #expect(scan.candidates.first?.reference.label == nearest, sourceLocation: sourceLocation)
        }
    }

    var release: ModelWeights { Self.lineage.release }

    // MARK: - Exact family

    @Test("byte copy → identical")
    func byteCopy() throws { expect(try scan(release), .identical, nearest: "release@1") }

    @Test("renamed, reordered, re-sharded, transposed, lossless dtype change → re-encoded")
    func reencoded() throws {
        // A release whose values are BF16-exact, registered as F32, copied as BF16.
        let exact = Fixtures.bf16Exact(release)
        let registry = [("release@1", try Fixtures.fingerprint(exact)), ("base@1", try Fixtures.fingerprint(Self.lineage.base))]
        let copy = try Fixtures.fingerprint(exact, layout: .init(
            dtype: .bf16, shards: 3, rename: { "transformer." + $0.replacingOccurrences(of: "model.layers", with: "h") },
            transposed: ["model.layers.0.mlp.down_proj.weight", "model.layers.2.self_attn.q_proj.weight"], reverseOrder: true))
        let result = Scan.run(copy, against: registry.map { (label: $0.0, fingerprint: $0.1) })
        expect(result, .reEncoded, nearest: "release@1")
    }

    @Test("renamed, without a small tensor a converter leaves out (as llama.cpp's BERT conversion drops the pooler) → re-encoded, naming it; without a layer's worth → not")
    func convertedWithoutSmallTensors() throws {
        // The smallest tensor that is evidence (not constant): a norm or bias of the release.
        let varying = release.tensors.filter { tensor in Set(tensor.values).count > 1 }
        let small = try #require(varying.min { $0.values.count < $1.values.count })
        var suspect = release
        suspect.tensors.removeAll { $0.name == small.name }
        let renamed = Fixtures.Layout(rename: { "converted." + $0 })
        let result = try scan(suspect, layout: renamed)
        expect(result, .reEncoded, nearest: "release@1")
        #expect(result.attribution.sentence.contains("without one of its tensors"), "\(result.attribution.sentence)")
        let comparison = try #require(result.candidates.first { $0.reference.label == "release@1" })
        #expect(comparison.verdict.evidence.contains { $0.hasPrefix("1 reference tensor is not in the suspect (\(small.name):") }, "\(comparison.verdict.evidence)")

        // Leaving out every MLP matrix of one layer is more than a converter drops: an edit.
        var pruned = release
        pruned.tensors.removeAll { $0.name.hasPrefix("model.layers.1.mlp.") }
        let prunedResult = try scan(pruned, layout: renamed)
        #expect(prunedResult.attribution.verdict == .derived, "\(prunedResult.attribution.sentence)")
    }

    @Test("an FP8 round trip stored as BF16 → re-encoded (values on the FP8 grid)")
    func fp8RoundTrip() throws {
        let codes = (0..<256).map { FloatBits.float8E4M3(UInt8($0)) }.filter(\.isFinite).sorted()
        func nearest(_ value: Float) -> Float {
            var low = 0, high = codes.count - 1
            while high - low > 1 { let mid = (low + high) / 2; if codes[mid] <= value { low = mid } else { high = mid } }
            return abs(codes[low] - value) <= abs(codes[high] - value) ? codes[low] : codes[high]
        }
        var suspect = release
        for index in suspect.tensors.indices { suspect.tensors[index].values = suspect.tensors[index].values.map(nearest) }
        let result = try scan(suspect, layout: .init(dtype: .bf16))
        expect(result, .reEncoded, nearest: "release@1")
        #expect(result.attribution.sentence.contains("F8_E4M3"), "\(result.attribution.sentence)")
    }

    @Test("lossy dtype conversion (F32 → BF16) → re-encoded")
    func lossyDType() throws { expect(try scan(release, layout: .init(dtype: .bf16)), .reEncoded, nearest: "release@1") }

    @Test("BF16 and F16 copies are judged by the rounding their values' exponents predict; 0.5 % noise before the conversion is a change", arguments: [DType.bf16, .f16])
    func floatRoundingBudget(dtype: DType) throws {
        let plain = try scan(release, layout: .init(dtype: dtype))
        expect(plain, .reEncoded, nearest: "release@1")
        let verdict = try #require(plain.candidates.first { $0.reference.label == "release@1" }).verdict
        let rounding = try #require(verdict.rounding)
        #expect(rounding.fromBlockScales && rounding.explained, "\(rounding)")
        #expect(abs(rounding.deviation / rounding.expectedRounding - 1) < 0.2, "\(rounding)")
        #expect(verdict.evidence.contains { $0.contains("the file's own value exponents predict") }, "\(verdict.evidence)")

        let noisy = try scan(TestAttacks.noise(release, relative: 0.005, seed: 8), layout: .init(dtype: dtype))
        expect(noisy, .derived, nearest: "release@1")
        #expect(noisy.attribution.sentence.contains("weights changed, then converted"), "\(noisy.attribution.sentence)")
        let change = try #require(noisy.candidates.first { $0.reference.label == "release@1" }?.verdict.rounding).change
        #expect(change > 0.003 && change < 0.007, "\(change)")
    }

    // MARK: - Derived family

    @Test("Gaussian noise → derived from the release", arguments: [0.001, 0.01, 0.05, 0.2])
    func noise(relative: Double) throws {
        let suspect = TestAttacks.noise(release, relative: Float(relative), seed: 7)
        let result = try scan(suspect)
        expect(result, .derived, nearest: "release@1")
    }

    @Test("neuron, head and hidden permutations (+ rescaling, + noise) → derived from the release, permuted")
    func permutations() throws {
        var suspect = TestAttacks.permuteHidden(release, seed: 11)
        suspect = TestAttacks.permuteNeurons(suspect, seed: 12, rescale: true)
        suspect = TestAttacks.permuteHeads(suspect, seed: 13, rescale: true)
        suspect = TestAttacks.noise(suspect, relative: 0.01, seed: 14)
        let result = try scan(suspect, layout: .init(dtype: .bf16))
        expect(result, .derived, nearest: "release@1")
        let comparison = try #require(result.candidates.first { $0.reference.label == "release@1" })
        #expect(comparison.alignment.permutedLayers == [0, 1, 2, 3])
        // The report's layer map for it comes from the profiles: a bright diagonal of T.
        let map = try #require(comparison.heatmaps.first { $0.family == "profiles" })
        #expect(map.suspectLayers == [0, 1, 2, 3] && map.referenceLayers == [0, 1, 2, 3])
        for (row, layer) in map.suspectLayers.enumerated() {
            let best = map.cosines[row].indices.max { map.cosines[row][$0] < map.cosines[row][$1] }!
            #expect(map.referenceLayers[best] == layer && map.cosines[row][best] > 0.5, "\(map.cosines[row])")
        }
        // An unpermuted copy keeps the sketch heatmaps only.
        let plain = try #require(try scan(TestAttacks.noise(release, relative: 0.01, seed: 15)).candidates.first { $0.reference.label == "release@1" })
        #expect(!plain.heatmaps.contains { $0.family == "profiles" })
    }

    @Test("reciprocal rescaling of Q/K and V/O → derived, rescaling reported")
    func rescaling() throws {
        let result = try scan(StructuralEdits.rescaleAttention(release))
        expect(result, .derived, nearest: "release@1")
        let comparison = try #require(result.candidates.first { $0.reference.label == "release@1" })
        #expect(comparison.alignment.rescaled.count == 16)
    }

    @Test("further fine-tuning of the release → derived from the release, not the base")
    func furtherTraining() throws {
        expect(try scan(SimulatedTraining.fineTune(release, seed: 21, strength: 0.03)), .derived, nearest: "release@1")
    }

    @Test("combined: permutation + noise + BF16 + re-shard + rename → derived from the release")
    func combined() throws {
        var suspect = TestAttacks.permuteNeurons(TestAttacks.permuteHidden(release, seed: 31), seed: 32)
        suspect = TestAttacks.noise(suspect, relative: 0.05, seed: 33)
        let result = try scan(suspect, layout: .init(dtype: .bf16, shards: 2, rename: { "m/" + $0 }))
        expect(result, .derived, nearest: "release@1")
    }

    @Test("opaque shuffled names + (in, out) storage + permutations + noise: no layer structure left → derived via standalone profiles")
    func opaqueNamesAndPermutations() throws {
        var suspect = TestAttacks.permuteHidden(release, seed: 51)
        suspect = TestAttacks.permuteNeurons(suspect, seed: 52)
        suspect = TestAttacks.permuteHeads(suspect, seed: 53)
        suspect = TestAttacks.noise(suspect, relative: 0.05, seed: 54)
        let names = suspect.tensors.map(\.name)
        let opaque = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, "w" + String(($0 * 7919) % 1000, radix: 16)) })
        let matrices = Set(suspect.tensors.filter { $0.shape.count == 2 && !$0.name.contains("embed") }.map(\.name))
        let fingerprint = try Fixtures.fingerprint(suspect, layout: .init(dtype: .bf16, rename: { opaque[$0]! }, transposed: matrices, reverseOrder: true))
        #expect(fingerprint.profiles.allSatisfy { $0.kind.hasPrefix("matrix.") } && !fingerprint.profiles.isEmpty)
        let result = Scan.run(fingerprint, against: Self.registry)
        expect(result, .derived, nearest: "release@1")
    }

    // MARK: - Structural edits

    @Test("dropped layers → derived, the dropped layer is reported")
    func droppedLayers() throws {
        let result = try scan(StructuralEdits.dropLayers(release, [2]))
        expect(result, .derived, nearest: "release@1")
        let comparison = try #require(result.candidates.first { $0.reference.label == "release@1" })
        #expect(comparison.alignment.droppedReferenceLayers == [2])
        #expect(comparison.alignment.layerMap["2"] == 3)
    }

    @Test("vocabulary extension → derived, extension reported")
    func vocabularyExtension() throws {
        let result = try scan(StructuralEdits.extendVocabulary(release, rows: 40, seed: 41))
        expect(result, .derived, nearest: "release@1")
        let comparison = try #require(result.candidates.first { $0.reference.label == "release@1" })
        #expect(comparison.alignment.suspectVocabularyRows == 552)
    }

    @Test("layers grafted from two releases → merge naming the layers of each")
    func graft() throws {
        let suspect = StructuralEdits.graft(release, from: Self.lineage.independent, layers: [2, 3])
        let result = try scan(suspect)
        #expect(result.attribution.verdict == .merge, "\(result.attribution.sentence)")
        let components = Dictionary(uniqueKeysWithValues: result.attribution.components.map { ($0.label, $0.layers ?? []) })
        #expect(components["release@1"] == [0, 1])
        #expect(components["independent@1"] == [2, 3])
        #expect(Set(result.candidates.prefix(2).map(\.reference.label)) == ["release@1", "independent@1"])
    }

    @Test("linear merge of release and independent → merge with estimated weights, also when the donor has only 15 %", arguments: [0.6, 0.85])
    func linearMerge(weight: Double) throws {
        let result = try scan(StructuralEdits.merge(release, Self.lineage.independent, weight: Float(weight)))
        #expect(result.attribution.verdict == .merge, "\(result.attribution.sentence)")
        let weights = Dictionary(uniqueKeysWithValues: result.attribution.components.map { ($0.label, $0.weight ?? -1) })
        #expect(abs((weights["release@1"] ?? 0) - weight) < 0.05, "\(weights)")
        #expect(abs((weights["independent@1"] ?? 0) - (1 - weight)) < 0.05, "\(weights)")
    }

    @Test("linear merge of three releases 0.5·release + 0.3·sibling + 0.2·independent → all three named with their weights")
    func threeWayMerge() throws {
        let lineage = Self.lineage
        let pair = StructuralEdits.merge(lineage.release, lineage.sibling, weight: 0.625)
        let suspect = StructuralEdits.merge(pair, lineage.independent, weight: 0.8)
        let registry = try lineage.registry() + [("sibling@1", try Fixtures.fingerprint(lineage.sibling))]
        let result = Scan.run(try Fixtures.fingerprint(suspect), against: registry)
        #expect(result.attribution.verdict == .merge, "\(result.attribution.sentence)")
        let weights = Dictionary(uniqueKeysWithValues: result.attribution.components.map { ($0.label, $0.weight ?? -1) })
        #expect(Set(weights.keys) == ["release@1", "sibling@1", "independent@1"], "\(result.attribution.sentence)")
        #expect(abs((weights["release@1"] ?? 0) - 0.5) < 0.05, "\(weights)")
        #expect(abs((weights["sibling@1"] ?? 0) - 0.3) < 0.05, "\(weights)")
        #expect(abs((weights["independent@1"] ?? 0) - 0.2) < 0.05, "\(weights)")
        #expect(result.attribution.relations.contains { $0.method == "joint sketch fit" })
    }

    @Test("the residual after the nearest release finds a minority merge donor the suspect's own keys miss")
    func residualQueryFindsDonor() throws {
        let lineage = Self.lineage
        let suspect = try Fixtures.fingerprint(StructuralEdits.merge(lineage.release, lineage.independent, weight: 0.8))
        let release = try Fixtures.fingerprint(lineage.release)
        let donor = try Fixtures.fingerprint(lineage.independent)
        let comparison = Scan.compare(suspect, release, label: "release@1")
        let query = try #require(ResidualQuery.fingerprint(suspect: suspect, explainedBy: release, comparison: comparison))
        let donorKeys = Set(donor.indexKeys)
        let direct = Set(suspect.indexKeys).intersection(donorKeys).count
        let residual = Set(query.indexKeys).intersection(donorKeys).count
        #expect(residual >= 10 && residual > 3 * direct, "residual query shares \(residual) keys with the donor, the suspect \(direct)")
        #expect(Set(query.indexKeys).intersection(Set(release.indexKeys)).count < residual / 4, "the residual no longer looks like the release")
        // Nothing is left over by an exact copy.
        #expect(ResidualQuery.fingerprint(suspect: release, explainedBy: release, comparison: Scan.compare(release, release)) == nil)
    }

    @Test("a two-release merge stays a pair when the other related releases are registered too")
    func twoWayMergeWithSiblingRegistered() throws {
        let lineage = Self.lineage
        let suspect = StructuralEdits.merge(lineage.release, lineage.independent, weight: 0.6)
        let registry = try lineage.registry() + [("sibling@1", try Fixtures.fingerprint(lineage.sibling))]
        let result = Scan.run(try Fixtures.fingerprint(suspect), against: registry)
        #expect(result.attribution.verdict == .merge, "\(result.attribution.sentence)")
        #expect(Set(result.attribution.components.map(\.label)) == ["release@1", "independent@1"], "\(result.attribution.sentence)")
    }

    // MARK: - Honest cases

    @Test("an honest sibling fine-tune of the base → attributed to the base, not the release")
    func sibling() throws { expect(try scan(Self.lineage.sibling), .derived, nearest: "base@1") }

    @Test("a sibling whose update partly resembles the release's (β ≈ 0.35, as real fine-tunes on similar data) → the base")
    func correlatedSibling() throws {
        let base = Self.lineage.base, release = Self.lineage.release
        var sibling = Self.lineage.sibling
        for index in sibling.tensors.indices {
            let b = base.tensors[index].values, r = release.tensors[index].values
            sibling.tensors[index].values = sibling.tensors[index].values.enumerated().map { $1 + 0.35 * (r[$0] - b[$0]) }
        }
        let result = try scan(sibling)
        expect(result, .derived, nearest: "base@1")
        let beta = result.attribution.relations.first { $0.from == "base@1" && $0.toward == "release@1" }?.beta
        #expect(beta.map { abs($0 - 0.35) < 0.1 } ?? false, "β = \(String(describing: beta))")
    }

    @Test("independent models with the same architecture and init → not flagged", arguments: [901, 902, 903] as [UInt64])
    func independent(seed: UInt64) throws {
        expect(try scan(ModelGenerator.generate(.tinyLlama, seed: seed)), .independent, nearest: nil)
    }
}
