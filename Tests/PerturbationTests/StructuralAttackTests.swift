import Checkpoints
import Perturbation
import SyntheticModels
import Testing

/// Layer and vocabulary edits: exact effects on tensors, spec and config.json.
@Suite("Layers and vocabulary")
struct StructuralAttackTests {
    @Test("dropping layers renumbers the rest and updates spec and config", arguments: [TransformerSpec.tinyLlama, .tinyBERT])
    func drop(spec: TransformerSpec) throws {
        let original = Models.checkpoint(spec)
        var model = original
        let record = try LayerSelection(dropping: [1, 2], layerCount: spec.layerCount).apply(to: &model)
        #expect(record.attack == "drop-layers")
        #expect(record.parameters["layers_dropped"] == .integers([1, 2]))
        #expect(model.spec?.layerCount == spec.layerCount - 2)
        #expect(model.config?["num_hidden_layers"] == .number(String(spec.layerCount - 2)))
        let prefix = spec.family == .llama ? "model.layers." : "encoder.layer."
        let layers = Set(model.entries.compactMap { entry -> Int? in
            guard entry.name.hasPrefix(prefix) else { return nil }
            return Int(entry.name.dropFirst(prefix.count).prefix { $0 != "." })
        })
        #expect(layers == [0, 1])
        // New layer 1 is old layer 3, tensor by tensor.
        for entry in original.entries where entry.name.hasPrefix(prefix + "3.") {
            let renamed = prefix + "1." + entry.name.dropFirst((prefix + "3.").count)
            #expect(try Models.tensor(model, renamed).values == entry.tensor.values)
        }
        #expect(model.entries.count == original.entries.count - 2 * (original.entries.filter { $0.name.hasPrefix(prefix + "0.") }.count))
        _ = try Models.forward(model)  // still a runnable model
    }

    @Test("keeping layers allows reordering and repeats")
    func keep() throws {
        let original = Models.checkpoint(.tinyLlama)
        var model = original
        _ = try LayerSelection(keeping: [0, 1, 1, 3, 2]).apply(to: &model)
        #expect(model.spec?.layerCount == 5)
        let source = [0, 1, 1, 3, 2]
        for (new, old) in source.enumerated() {
            #expect(try Models.tensor(model, "model.layers.\(new).mlp.down_proj.weight").values
                    == Models.tensor(original, "model.layers.\(old).mlp.down_proj.weight").values)
        }
        _ = try Models.forward(model)
        var bad = original
        #expect(throws: PerturbationError.self) { try LayerSelection(keeping: [0, 4]).apply(to: &bad) }
        #expect(throws: PerturbationError.self) { try LayerSelection(dropping: [0, 1, 2, 3], layerCount: 4).apply(to: &bad) }
    }

    @Test("grafting replaces exactly the listed layers with the donor's")
    func graft() throws {
        let original = Models.checkpoint(.tinyBERT, seed: 1), donor = Models.checkpoint(.tinyBERT, seed: 2)
        var model = original
        let record = try LayerGrafting(donor: donor, layers: [1, 2], donorLabel: "donor").apply(to: &model)
        #expect(record.parameters["layers"] == .integers([1, 2]))
        for (index, entry) in model.entries.enumerated() {
            let fromDonor = entry.name.hasPrefix("encoder.layer.1.") || entry.name.hasPrefix("encoder.layer.2.")
            #expect(entry.tensor.values == (fromDonor ? donor : original).entries[index].tensor.values, "\(entry.name)")
        }
        #expect(throws: PerturbationError.self) { try LayerGrafting(donor: donor, layers: [4], donorLabel: "donor").apply(to: &model) }
        let smaller = Models.checkpoint(TransformerSpec(family: .bert, vocabSize: 512, hiddenSize: 32, intermediateSize: 64, layerCount: 4, headCount: 4))
        #expect(throws: PerturbationError.self) { try LayerGrafting(donor: smaller, layers: [0], donorLabel: "small").apply(to: &model) }
    }

    @Test("vocabulary extension appends rows and keeps the original ones bit for bit", arguments: [TransformerSpec.tinyLlama, .tinyBERT, Models.tiedLlamaGQA])
    func extendVocabulary(spec: TransformerSpec) throws {
        let original = Models.checkpoint(spec)
        var model = original
        let record = try VocabularyExtension(rows: 10, seed: 3).apply(to: &model)
        let tables = spec.family == .bert ? ["embeddings.word_embeddings.weight"]
            : spec.tiedEmbeddings ? ["model.embed_tokens.weight"] : ["model.embed_tokens.weight", "lm_head.weight"]
        #expect(record.parameters["tables"] == .strings(tables))
        #expect(model.spec?.vocabSize == spec.vocabSize + 10)
        #expect(model.config?["vocab_size"] == .number(String(spec.vocabSize + 10)))
        for name in tables {
            let before = try Models.tensor(original, name), after = try Models.tensor(model, name)
            #expect(after.shape == [spec.vocabSize + 10, spec.hiddenSize])
            #expect(Array(after.values.prefix(before.values.count)) == before.values)
            let added = Array(after.values.dropFirst(before.values.count))
            #expect(Models.standardDeviation(added) > 0.5 * Models.standardDeviation(before.values))
        }
        // Old tokens compute the same function: the logits over the old vocabulary are unchanged.
        let tokens = Models.tokens(spec)
        let before = try Models.forward(original, tokens: tokens), after = try Models.forward(model, tokens: tokens)
        for t in 0..<before.rows {
            for c in 0..<before.columns { #expect(abs(before[t, c] - after[t, c]) <= 1e-12 * max(1, abs(before[t, c]))) }
        }
        #expect(after.columns == before.columns + (spec.family == .llama ? 10 : 0))
    }

    @Test("attacks that need the architecture refuse renamed or unknown checkpoints")
    func needsArchitecture() throws {
        var model = Models.checkpoint(.tinyLlama)
        _ = try TensorRenaming(scheme: .opaque, seed: 1).apply(to: &model)
        #expect(model.spec == nil)
        let attacks: [any Perturbation] = [NeuronPermutation(seed: 1), HeadPermutation(seed: 1), HiddenPermutation(seed: 1),
                                           ReciprocalRescaling(seed: 1), ResidualRotation(seed: 1), LayerSelection(keeping: [0]),
                                           VocabularyExtension(rows: 1, seed: 1)]
        for attack in attacks {
            var copy = model
            do {
                _ = try attack.apply(to: &copy)
                Issue.record("\(attack.step.name) accepted a renamed model")
            } catch {
                guard case .architectureUnknown = error.rule else { Issue.record("\(error)"); continue }
                #expect(error.description.contains(attack.step == .selectLayers ? "keep-layers" : attack.step.name))
            }
        }
        // Value and storage attacks still work.
        for attack: any Perturbation in [GaussianNoise(relativeStandardDeviation: 0.1, seed: 1), DTypeConversion(target: .bf16),
                                         TransposedStorage(), Resharding(shards: 2), MetadataEdit(set: ["a": "b"])] {
            var copy = model
            _ = try attack.apply(to: &copy)
        }
    }

    @Test("moving the hidden dimension refuses an unknown floating-point tensor")
    func unknownTensor() throws {
        var weights = Models.rich(.tinyLlama)
        weights.tensors.append(.init(name: "model.layers.0.self_attn.extra_scale", shape: [64], values: Array(repeating: 1, count: 64)))
        var model = CheckpointModel(weights)
        #expect(throws: PerturbationError(attack: "permute-hidden", tensor: "model.layers.0.self_attn.extra_scale", rule: .unrecognisedTensor)) {
            try HiddenPermutation(seed: 1).apply(to: &model)
        }
        #expect(throws: PerturbationError.self) { try ResidualRotation(seed: 1).apply(to: &model) }
    }
}
