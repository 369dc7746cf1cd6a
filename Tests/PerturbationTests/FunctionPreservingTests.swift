import Checkpoints
import Perturbation
import SyntheticModels
import Testing

/// Every function-preserving attack, verified with the reference forward pass: outputs before
/// and after agree to float rounding, while the weights themselves changed.
@Suite("Function-preserving attacks")
struct FunctionPreservingTests {
    /// Relative tolerance for transforms that only reorder values (exact up to summation order).
    static let reorderTolerance = 1e-9
    /// Relative tolerance for transforms that round products to Float.
    static let roundingTolerance = 1e-4

    /// Applies `attack`, checks the weights changed, returns outputs before and after.
    func outputs(_ spec: TransformerSpec, _ attack: any Perturbation) throws -> (before: Activations, after: Activations, record: PerturbationRecord, model: CheckpointModel) {
        let original = Models.checkpoint(spec)
        var model = original
        let record = try attack.apply(to: &model)
        let changed = zip(original.entries, model.entries).contains { $0.tensor.values != $1.tensor.values }
        #expect(changed, "the attack did not change any weight")
        #expect(record.functionPreserving)
        return (try Models.forward(original), try Models.forward(model), record, model)
    }

    @Test("a broken transform is caught (the tolerance means something)", arguments: Models.allSpecs)
    func negativeControl(spec: TransformerSpec) throws {
        let original = Models.checkpoint(spec)
        var broken = original
        // Permute the rows of the first MLP input only, not the matching output columns.
        let name = spec.family == .llama ? "model.layers.0.mlp.up_proj.weight" : "encoder.layer.0.intermediate.dense.weight"
        let index = try #require(broken.index(of: name))
        var values = broken.entries[index].tensor.values
        let d = spec.hiddenSize
        for c in 0..<d { values.swapAt(c, d + c) }
        broken.entries[index].tensor.values = values
        let difference = try Models.forward(original).relativeDifference(to: try Models.forward(broken))
        #expect(difference > 1e-3, "relative difference \(difference)")
    }

    @Test("MLP neuron permutation", arguments: Models.allSpecs)
    func neurons(spec: TransformerSpec) throws {
        let result = try outputs(spec, NeuronPermutation(seed: 5))
        #expect(result.before.relativeDifference(to: result.after) < Self.reorderTolerance)
    }

    @Test("attention head permutation (respecting GQA groups)", arguments: Models.allSpecs)
    func heads(spec: TransformerSpec) throws {
        let attack = HeadPermutation(seed: 6)
        let result = try outputs(spec, attack)
        #expect(result.before.relativeDifference(to: result.after) < Self.reorderTolerance)
        let groupSize = spec.headCount / spec.keyValueHeadCount
        var movedSomeHead = false
        for layer in 0..<spec.layerCount {
            let (query, keyValue) = attack.permutation(layer: layer, spec: spec)
            #expect(query.sorted() == Array(0..<spec.headCount))
            #expect(keyValue.sorted() == Array(0..<spec.keyValueHeadCount))
            for head in 0..<spec.headCount {
                // Every query head still reads the key/value head it read before.
                #expect(query[head] / groupSize == keyValue[head / groupSize])
                if query[head] != head { movedSomeHead = true }
            }
        }
        #expect(movedSomeHead)
    }

    @Test("hidden-dimension permutation, norms included", arguments: Models.allSpecs)
    func hidden(spec: TransformerSpec) throws {
        let attack = HiddenPermutation(seed: 7)
        let result = try outputs(spec, attack)
        if spec.family == .llama {
            #expect(result.before.relativeDifference(to: result.after) < Self.reorderTolerance)
        } else {
            // BERT returns hidden states: permuted along with the stream.
            let p = attack.permutation(hiddenSize: spec.hiddenSize)
            var expected = result.before
            for t in 0..<expected.rows {
                for i in 0..<expected.columns { expected[t, i] = result.before[t, p[i]] }
            }
            #expect(expected.relativeDifference(to: result.after) < Self.reorderTolerance)
            #expect(result.before.relativeDifference(to: result.after) > 0.1)
        }
    }

    @Test("reciprocal rescaling", arguments: Models.allSpecs)
    func rescale(spec: TransformerSpec) throws {
        let attack = ReciprocalRescaling(seed: 8)
        let result = try outputs(spec, attack)
        #expect(result.before.relativeDifference(to: result.after) < Self.roundingTolerance)
        let factors = attack.factors(layer: 0, spec: spec)
        #expect(factors.queryKey.allSatisfy { $0 >= 0.5 && $0 < 2 })
        #expect(factors.queryKey.contains { $0 < 1 } || factors.valueOutput.contains { $0 < 1 })
        #expect(factors.neurons.count == (spec.family == .llama ? spec.intermediateSize : 0))
    }

    @Test("orthogonal rotation of the residual stream (Llama)", arguments: Models.llamaSpecs)
    func rotation(spec: TransformerSpec) throws {
        let attack = ResidualRotation(seed: 9)
        let result = try outputs(spec, attack)
        #expect(result.before.relativeDifference(to: result.after) < Self.roundingTolerance)
        // The norms were folded: all ones now.
        for entry in result.model.entries where entry.name.hasSuffix("norm.weight") || entry.name.hasSuffix("layernorm.weight") {
            #expect(entry.tensor.values.allSatisfy { $0 == 1 }, "\(entry.name) not folded")
        }
        // The matrix is orthogonal.
        let d = spec.hiddenSize
        let r = attack.rotation(hiddenSize: d)
        var worst = 0.0
        for i in 0..<d {
            for j in 0..<d {
                var dot = 0.0
                for k in 0..<d { dot += r[i * d + k] * r[j * d + k] }
                worst = max(worst, abs(dot - (i == j ? 1 : 0)))
            }
        }
        #expect(worst < 1e-12)
        // A tied head whose final norm is not all ones must be untied to fold it.
        if spec.tiedEmbeddings {
            #expect(result.model.spec?.tiedEmbeddings == false)
            #expect(result.model["lm_head.weight"] != nil)
            #expect(result.record.parameters["untied_head"] == .bool(true))
            #expect(result.model.config?["tie_word_embeddings"] == .bool(false))
        }
    }

    @Test("a tied head with a unit final norm stays tied under rotation")
    func rotationKeepsTying() throws {
        var model = Models.checkpoint(Models.tiedLlamaGQA)
        let norm = try #require(model.index(of: "model.norm.weight"))
        model.entries[norm].tensor.values = Array(repeating: 1, count: Models.tiedLlamaGQA.hiddenSize)
        let before = try Models.forward(model)
        _ = try ResidualRotation(seed: 3).apply(to: &model)
        #expect(model.spec?.tiedEmbeddings == true)
        #expect(model["lm_head.weight"] == nil)
        #expect(before.relativeDifference(to: try Models.forward(model)) < Self.roundingTolerance)
    }

    @Test("rotation refuses LayerNorm models")
    func rotationRefusesBERT() throws {
        var model = Models.checkpoint(.tinyBERT)
        #expect(throws: PerturbationError.self) { try ResidualRotation(seed: 1).apply(to: &model) }
        do {
            _ = try ResidualRotation(seed: 1).apply(to: &model)
        } catch {
            guard case .notApplicable = error.rule else { Issue.record("unexpected rule \(error.rule)"); return }
            #expect(error.description.contains("LayerNorm"))
        }
    }

    @Test("every function-preserving attack composed, through disk, renamed, transposed and sharded", arguments: Models.allSpecs)
    func composed(spec: TransformerSpec) throws {
        let original = Models.checkpoint(spec)
        var plan = PerturbationPlan(seed: 99)
        plan.add(TensorRenaming(scheme: .gpt, seed: plan.seed(for: .rename)))
        plan.add(Resharding(shards: 3))
        plan.add(TransposedStorage())
        plan.add(HiddenPermutation(seed: plan.seed(for: .permuteHidden)))
        if spec.family == .llama { plan.add(ResidualRotation(seed: plan.seed(for: .rotate))) }
        plan.add(ReciprocalRescaling(seed: plan.seed(for: .rescale)))
        plan.add(HeadPermutation(seed: plan.seed(for: .permuteHeads)))
        plan.add(NeuronPermutation(seed: plan.seed(for: .permuteNeurons)))
        var model = original
        let records = try plan.apply(to: &model)
        #expect(records.allSatisfy { $0.functionPreserving })
        #expect(records.map(\.attack) == ["permute-neurons", "permute-heads", "rescale"] + (spec.family == .llama ? ["rotate"] : [])
                + ["permute-hidden", "transpose", "rename", "reshard"])
        #expect(model.spec == nil)

        let directory = Models.temporaryDirectory()
        let files = try model.write(to: directory + "/out")
        #expect(files.count == 3)
        let reread = try CheckpointModel.read(from: directory + "/out")
        #expect(reread.spec == nil, "renamed tensors must not be recognised")

        // Undo the renaming (ground truth from the record), then run the model.
        guard case .map(let names)? = records.first(where: { $0.attack == "rename" })?.parameters["names"] else {
            Issue.record("no name map recorded"); return
        }
        let back = Dictionary(uniqueKeysWithValues: names.map { ($1, $0) })
        guard case .strings(let transposed)? = records.first(where: { $0.attack == "transpose" })?.parameters["transposed"] else {
            Issue.record("no transposed list recorded"); return
        }
        #expect(!transposed.isEmpty)
        var restored = ModelWeights(spec: try model.modelWeightsSpec(original), tensors: [])
        for entry in reread.entries {
            var tensor = entry.tensor
            tensor.name = try #require(back[tensor.name])
            if transposed.contains(tensor.name) {
                tensor = ModelWeights.Tensor(name: tensor.name, shape: tensor.shape.reversed(),
                                             values: transposedValues(tensor.values, rows: tensor.shape[0], columns: tensor.shape[1]))
            }
            restored.tensors.append(tensor)
        }
        let before = try Models.forward(original)
        var after = try ReferenceForward.run(restored, tokens: Models.tokens(spec))
        if spec.family == .bert {
            // Hidden states come out in the permuted basis.
            let p = HiddenPermutation(seed: plan.seed(for: .permuteHidden)).permutation(hiddenSize: spec.hiddenSize)
            var unpermuted = after
            for t in 0..<after.rows { for i in 0..<after.columns { unpermuted[t, p[i]] = after[t, i] } }
            after = unpermuted
        }
        #expect(before.relativeDifference(to: after) < Self.roundingTolerance)
    }
}

extension CheckpointModel {
    /// The spec a renamed model had (rotation may untie the head).
    fileprivate func modelWeightsSpec(_ original: CheckpointModel) throws -> TransformerSpec {
        var spec = try #require(original.spec)
        if spec.tiedEmbeddings, entries.contains(where: { $0.name == "lm_head.weight" }) { spec.tiedEmbeddings = false }
        return spec
    }
}

func transposedValues(_ values: [Float], rows: Int, columns: Int) -> [Float] {
    var out = [Float](repeating: 0, count: values.count)
    for r in 0..<rows { for c in 0..<columns { out[c * rows + r] = values[r * columns + c] } }
    return out
}
