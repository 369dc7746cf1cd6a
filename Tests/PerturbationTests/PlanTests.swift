import Foundation
import Perturbation
import SyntheticModels
import Testing

/// Composition order, seeds, determinism and the manifest.
@Suite("Perturbation plans")
struct PlanTests {
    @Test("attacks run in the fixed order whatever order they were added in")
    func order() throws {
        var plan = PerturbationPlan(seed: 1)
        plan.add(MetadataEdit(set: ["a": "b"]))
        plan.add(TensorRenaming(scheme: .gpt, seed: 1))
        plan.add(GaussianNoise(relativeStandardDeviation: 0.01, seed: 1))
        plan.add(HiddenPermutation(seed: 1))
        plan.add(LayerSelection(dropping: [1], layerCount: 4))
        plan.add(LinearMerge(other: Models.checkpoint(.tinyLlama, seed: 2), weight: 0.5, otherLabel: "other"))
        var model = Models.checkpoint(.tinyLlama)
        let records = try plan.apply(to: &model)
        #expect(records.map(\.attack) == ["merge", "drop-layers", "permute-hidden", "noise", "rename", "metadata"])
        #expect(PerturbationStep.allCases.map(\.rawValue) == Array(0..<PerturbationStep.allCases.count))
    }

    @Test("derived seeds differ per step, fit in 53 bits and depend on the master seed")
    func seeds() {
        let seeds = PerturbationStep.allCases.map { PerturbationPlan.derivedSeed(7, for: $0) }
        #expect(Set(seeds).count == seeds.count)
        #expect(seeds.allSatisfy { $0 < 1 << 53 })
        #expect(PerturbationPlan.derivedSeed(8, for: .noise) != PerturbationPlan.derivedSeed(7, for: .noise))
        #expect(PerturbationPlan.derivedSeed(7, for: .noise) == PerturbationPlan(seed: 7).seed(for: .noise))
    }

    @Test("the same plan and seed give byte-identical files; another seed does not")
    func determinism() throws {
        func run(seed: UInt64, into directory: String) throws -> [Data] {
            var plan = PerturbationPlan(seed: seed)
            plan.add(NeuronPermutation(seed: plan.seed(for: .permuteNeurons)))
            plan.add(HeadPermutation(seed: plan.seed(for: .permuteHeads)))
            plan.add(ReciprocalRescaling(seed: plan.seed(for: .rescale)))
            plan.add(ResidualRotation(seed: plan.seed(for: .rotate)))
            plan.add(GaussianNoise(relativeStandardDeviation: 0.05, seed: plan.seed(for: .noise)))
            plan.add(VocabularyExtension(rows: 3, seed: plan.seed(for: .extendVocabulary)))
            plan.add(TensorRenaming(scheme: .opaque, seed: plan.seed(for: .rename)))
            plan.add(Resharding(shards: 2))
            var model = Models.checkpoint(.smallLlamaGQA)
            let names = try plan.apply(to: &model)
            let files = try model.write(to: directory, extraFiles: [.init(name: "m.json", bytes: try JSONEncoder().encode(names).map { $0 })])
            return try files.map { try Data(contentsOf: URL(fileURLWithPath: directory + "/" + $0)) }
        }
        let directory = Models.temporaryDirectory()
        let first = try run(seed: 5, into: directory + "/a"), second = try run(seed: 5, into: directory + "/b")
        let other = try run(seed: 6, into: directory + "/c")
        #expect(first == second)
        #expect(first != other)
    }

    @Test("the manifest records every attack and round-trips through JSON")
    func manifest() throws {
        var model = Models.checkpoint(.tinyBERT)
        let source = model.manifestSource(path: "in")
        var plan = PerturbationPlan(seed: 3)
        plan.add(HeadPermutation(seed: plan.seed(for: .permuteHeads)))
        plan.add(DTypeConversion(target: .bf16))
        let records = try plan.apply(to: &model)
        let manifest = PerturbationManifest(
            tool: "test", seed: 3, input: source, attacks: records,
            output: .init(files: ["model.safetensors"], tensors: model.entries.count, parameters: model.parameterCount, dtypes: model.storedDTypeCounts))
        #expect(!manifest.functionPreserving)
        #expect(manifest.output.dtypes == ["BF16": model.entries.count])
        let bytes = try manifest.jsonBytes()
        let decoded = try JSONDecoder().decode(PerturbationManifest.self, from: Data(bytes))
        #expect(decoded == manifest)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("\"format\" : \"provenance-perturbation/1\""))
        #expect(text.contains("\"seed\" : \(plan.seed(for: .permuteHeads))"))
        let preserving = PerturbationManifest(tool: "t", seed: 0, input: source, attacks: [records[0]], output: manifest.output)
        #expect(preserving.functionPreserving)
    }

    @Test("layer lists", arguments: [("2,4", [2, 4]), ("0-3", [0, 1, 2, 3]), ("0-2,1-2", [0, 1, 2, 1, 2]), ("5", [5])])
    func layerLists(text: String, layers: [Int]) {
        #expect(LayerList.parse(text) == layers)
    }

    @Test("malformed layer lists are refused", arguments: ["", "a", "3-1", "1,,2", "-1", "1-2-3"])
    func badLayerLists(text: String) {
        #expect(LayerList.parse(text) == nil)
    }

    @Test("layer lists are described compactly")
    func describe() {
        #expect(LayerList.describe([0, 1, 2, 3, 5, 7, 8]) == "0-3,5,7-8")
    }
}
