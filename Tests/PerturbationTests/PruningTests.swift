import Checkpoints
import Perturbation
import SyntheticModels
import Testing

/// Structured width pruning: which neurons and dimensions go, what the rest keep, and the
/// errors for arguments and architectures that cannot be pruned.
@Suite("Width pruning")
struct PruningTests {
    /// Squared norms of a row-major matrix's rows or columns.
    static func energies(_ tensor: ModelWeights.Tensor, ofRows rows: Bool) -> [Double] {
        let (r, c) = (tensor.shape[0], tensor.shape[1])
        var sums = [Double](repeating: 0, count: rows ? r : c)
        for i in 0..<r { for j in 0..<c { sums[rows ? i : j] += Double(tensor.values[i * c + j]) * Double(tensor.values[i * c + j]) } }
        return sums
    }

    static func row(_ tensor: ModelWeights.Tensor, _ index: Int) -> [Float] {
        let c = tensor.shape[1]
        return Array(tensor.values[(index * c)..<((index + 1) * c)])
    }

    static func column(_ tensor: ModelWeights.Tensor, _ index: Int) -> [Float] {
        let c = tensor.shape[1]
        return (0..<tensor.shape[0]).map { tensor.values[$0 * c + index] }
    }

    @Test("MLP neuron pruning keeps the most important neurons, unchanged and in order; config follows", arguments: [TransformerSpec.tinyLlama, .tinyBERT])
    func neurons(spec: TransformerSpec) throws {
        let original = Models.checkpoint(spec)
        var model = original
        let record = try NeuronPruning(fraction: 0.25).apply(to: &model)
        let f = spec.intermediateSize, kept = f - Int((Double(f) * 0.25).rounded())
        #expect(record.attack == "prune-neurons" && !record.functionPreserving)
        #expect(record.parameters["neurons_kept"] == .integer(kept))
        #expect(model.spec?.intermediateSize == kept)
        #expect(model.config?["intermediate_size"] == .number(String(kept)))
        let llama = spec.family == .llama
        for layer in 0..<spec.layerCount {
            let inputs = llama ? ["model.layers.\(layer).mlp.gate_proj", "model.layers.\(layer).mlp.up_proj"] : ["encoder.layer.\(layer).intermediate.dense"]
            let output = llama ? "model.layers.\(layer).mlp.down_proj.weight" : "encoder.layer.\(layer).output.dense.weight"
            // The importance the attack documents, recomputed here.
            var inputEnergy = [Double](repeating: 0, count: f)
            for input in inputs {
                for (index, value) in Self.energies(try Models.tensor(original, input + ".weight"), ofRows: true).enumerated() { inputEnergy[index] += value }
            }
            let outputEnergy = Self.energies(try Models.tensor(original, output), ofRows: false)
            let importance = (0..<f).map { (inputEnergy[$0] * outputEnergy[$0]).squareRoot() }
            // Find each kept row in the original: the kept neurons are original neurons, in increasing order.
            let before = try Models.tensor(original, inputs[0] + ".weight"), after = try Models.tensor(model, inputs[0] + ".weight")
            #expect(after.shape == [kept, spec.hiddenSize])
            let rowIndex = Dictionary((0..<f).map { (Self.row(before, $0), $0) }, uniquingKeysWith: { first, _ in first })
            let keptNeurons = try (0..<kept).map { try #require(rowIndex[Self.row(after, $0)], "row \($0) of \(inputs[0]) is no original row") }
            #expect(keptNeurons == keptNeurons.sorted() && Set(keptNeurons).count == kept)
            let removed = Set(0..<f).subtracting(keptNeurons)
            #expect(keptNeurons.map { importance[$0] }.min()! >= removed.map { importance[$0] }.max()!)
            // Every matrix (and BERT's bias) keeps the same neurons.
            for input in inputs.dropFirst() {
                let full = try Models.tensor(original, input + ".weight"), pruned = try Models.tensor(model, input + ".weight")
                #expect(keptNeurons.enumerated().allSatisfy { Self.row(pruned, $0.offset) == Self.row(full, $0.element) })
            }
            if !llama {
                let bias = try Models.tensor(original, inputs[0] + ".bias").values
                #expect(try Models.tensor(model, inputs[0] + ".bias").values == keptNeurons.map { bias[$0] })
            }
            let down = try Models.tensor(model, output), fullDown = try Models.tensor(original, output)
            #expect(down.shape == [spec.hiddenSize, kept])
            #expect(keptNeurons.enumerated().allSatisfy { Self.column(down, $0.offset) == Self.column(fullDown, $0.element) })
        }
        // Attention and embeddings are untouched, and the pruned model still runs.
        for entry in original.entries where !entry.name.contains("mlp") && !entry.name.contains("intermediate") && !entry.name.contains("output.dense") {
            #expect(try Models.tensor(model, entry.name).values == entry.tensor.values, "\(entry.name)")
        }
        _ = try Models.forward(model)
    }

    @Test("hidden pruning removes the lowest-energy dimensions from every tensor, keeps the rest in order, and records head_dim")
    func hidden() throws {
        let spec = TransformerSpec.smallLlamaGQA
        let original = Models.checkpoint(spec)
        var model = original
        let pruning = HiddenPruning(fraction: 0.25)
        let kept = try pruning.keptDimensions(of: original)
        let d = spec.hiddenSize, keptCount = d - Int((Double(d) * 0.25).rounded())
        #expect(kept.count == keptCount && kept == kept.sorted())
        // The weight energy per dimension, summed over every matrix that reads or writes the stream.
        var energy = [Double](repeating: 0, count: d)
        for entry in original.entries where entry.tensor.shape.count == 2 {
            let name = entry.name
            let writes = name.hasSuffix("o_proj.weight") || name.hasSuffix("down_proj.weight")
            for (index, value) in Self.energies(entry.tensor, ofRows: writes).enumerated() { energy[index] += value }
        }
        let removed = Set(0..<d).subtracting(kept)
        #expect(kept.map { energy[$0] }.min()! >= removed.map { energy[$0] }.max()!)

        let record = try pruning.apply(to: &model)
        #expect(record.parameters["dimensions_kept"] == .integers(kept))
        #expect(model.config?["hidden_size"] == .number(String(keptCount)))
        #expect(model.config?["head_dim"] == .number(String(spec.headDimension)))
        for entry in original.entries {
            let after = try Models.tensor(model, entry.name)
            let name = entry.name
            if entry.tensor.shape.count == 1 {
                #expect(after.values == kept.map { entry.tensor.values[$0] }, "\(name)")
            } else if name.hasSuffix("o_proj.weight") || name.hasSuffix("down_proj.weight") {
                #expect(after.shape == [keptCount, entry.tensor.shape[1]], "\(name)")
                #expect(kept.enumerated().allSatisfy { Self.row(after, $0.offset) == Self.row(entry.tensor, $0.element) }, "\(name)")
            } else {
                #expect(after.shape == [entry.tensor.shape[0], keptCount], "\(name)")
                #expect(kept.enumerated().allSatisfy { Self.column(after, $0.offset) == Self.column(entry.tensor, $0.element) }, "\(name)")
            }
        }
    }

    @Test("head pruning removes whole key/value heads with their query heads, keeps the rest in order, and records the counts", arguments: [TransformerSpec.tinyLlama, .smallLlamaGQA])
    func heads(spec: TransformerSpec) throws {
        let original = Models.checkpoint(spec)
        var model = original
        let record = try HeadPruning(fraction: 0.5).apply(to: &model)
        let groups = spec.keyValueHeadCount, groupSize = spec.headCount / groups, hd = spec.headDimension, d = spec.hiddenSize
        let kept = groups - Int((Double(groups) * 0.5).rounded())
        #expect(record.parameters["key_value_heads_kept"] == .integer(kept) && record.parameters["heads_kept"] == .integer(kept * groupSize))
        #expect(model.config?["num_attention_heads"] == .number(String(kept * groupSize)))
        #expect(model.config?["num_key_value_heads"] == .number(String(kept)))
        #expect(model.config?["head_dim"] == .number(String(hd)))
        for layer in 0..<spec.layerCount {
            let p = "model.layers.\(layer).self_attn."
            let key = try Models.tensor(original, p + "k_proj.weight"), prunedKey = try Models.tensor(model, p + "k_proj.weight")
            #expect(prunedKey.shape == [kept * hd, d])
            // Which key/value heads were kept: each kept block is an original block, in increasing order.
            func block(_ tensor: ModelWeights.Tensor, _ index: Int, rows: Int) -> [Float] {
                Array(tensor.values[(index * rows * tensor.shape[1])..<((index + 1) * rows * tensor.shape[1])])
            }
            let keptGroups = try (0..<kept).map { position in
                try #require((0..<groups).first { block(key, $0, rows: hd) == block(prunedKey, position, rows: hd) })
            }
            #expect(keptGroups == keptGroups.sorted() && Set(keptGroups).count == kept)
            let value = try Models.tensor(original, p + "v_proj.weight"), prunedValue = try Models.tensor(model, p + "v_proj.weight")
            #expect(keptGroups.enumerated().allSatisfy { block(prunedValue, $0.offset, rows: hd) == block(value, $0.element, rows: hd) })
            let query = try Models.tensor(original, p + "q_proj.weight"), prunedQuery = try Models.tensor(model, p + "q_proj.weight")
            #expect(prunedQuery.shape == [kept * groupSize * hd, d])
            #expect(keptGroups.enumerated().allSatisfy { block(prunedQuery, $0.offset, rows: groupSize * hd) == block(query, $0.element, rows: groupSize * hd) })
            let output = try Models.tensor(original, p + "o_proj.weight"), prunedOutput = try Models.tensor(model, p + "o_proj.weight")
            #expect(prunedOutput.shape == [d, kept * groupSize * hd])
            let columns = keptGroups.flatMap { ($0 * groupSize * hd)..<(($0 + 1) * groupSize * hd) }
            #expect(columns.enumerated().allSatisfy { Self.column(prunedOutput, $0.offset) == Self.column(output, $0.element) })
        }
        // Hidden pruning afterwards keeps the head dimension, not hidden size / remaining heads.
        _ = try HiddenPruning(fraction: 0.25).apply(to: &model)
        #expect(model.config?["head_dim"] == .number(String(hd)))
        #expect(try Models.tensor(model, "model.layers.0.self_attn.q_proj.weight").shape == [kept * groupSize * hd, d - d / 4])
    }

    @Test("fractions that remove nothing or everything, and hidden pruning of BERT, are refused with the rule")
    func refusals() throws {
        var model = Models.checkpoint(.tinyLlama)
        for fraction in [0, 1, -0.5, 0.001, 0.999] {
            #expect { try NeuronPruning(fraction: fraction).apply(to: &model) } throws: { error in
                guard let error = error as? PerturbationError, case .invalidArgument(let text) = error.rule else { return false }
                return text.contains("MLP neurons")
            }
            #expect { try HiddenPruning(fraction: fraction).apply(to: &model) } throws: { error in
                guard let error = error as? PerturbationError, case .invalidArgument(let text) = error.rule else { return false }
                return text.contains("hidden dimensions")
            }
        }
        #expect { try HeadPruning(fraction: 0.1).apply(to: &model) } throws: { error in
            guard let error = error as? PerturbationError, case .invalidArgument(let text) = error.rule else { return false }
            return text.contains("key/value heads")
        }
        var bert = Models.checkpoint(.tinyBERT)
        #expect { try HiddenPruning(fraction: 0.25).apply(to: &bert) } throws: { error in
            guard let error = error as? PerturbationError, case .notApplicable(let reason) = error.rule else { return false }
            return reason.contains("head size")
        }
        #expect { try HeadPruning(fraction: 0.5).apply(to: &bert) } throws: { error in
            guard let error = error as? PerturbationError, case .notApplicable(let reason) = error.rule else { return false }
            return reason.contains("head size")
        }
    }

    @Test("neuron pruning runs before neuron permutation, head and hidden pruning after hidden permutation")
    func order() throws {
        var plan = PerturbationPlan(seed: 3)
        plan.add(HiddenPruning(fraction: 0.25))
        plan.add(HeadPruning(fraction: 0.25))
        plan.add(HiddenPermutation(seed: 1))
        plan.add(NeuronPermutation(seed: 2))
        plan.add(NeuronPruning(fraction: 0.5))
        var model = Models.checkpoint(.tinyLlama)
        let records = try plan.apply(to: &model)
        #expect(records.map(\.attack) == ["prune-neurons", "permute-neurons", "permute-hidden", "prune-heads", "prune-hidden"])
        #expect(try Models.tensor(model, "model.layers.0.mlp.up_proj.weight").shape == [88, 48])
        #expect(try Models.tensor(model, "model.layers.0.self_attn.q_proj.weight").shape == [48, 48])
    }
}
