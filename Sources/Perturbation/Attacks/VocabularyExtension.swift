import SyntheticModels

/// Appends rows to the vocabulary tables (token embedding, and the LM head when it is not
/// tied), as `resize_token_embeddings` does when tokens are added. Existing rows are kept
/// bit for bit. Each new row is the mean of the existing rows plus Gaussian noise with
/// σ = the table's standard deviation (drawn from `SplitMix64.derived(seed: seed, label: name)`).
/// `config.json`'s `vocab_size` follows.
public struct VocabularyExtension: Perturbation {
    public var rows: Int
    public var seed: UInt64
    public var step: PerturbationStep { .extendVocabulary }

    public init(rows: Int, seed: UInt64) {
        self.rows = rows
        self.seed = seed
    }

    public func apply(to model: inout CheckpointModel) throws(PerturbationError) -> PerturbationRecord {
        let attack = step.name
        var spec = try model.requireSpec(for: attack)
        guard rows > 0, rows <= 1 << 24 else {
            throw PerturbationError(attack: attack, rule: .invalidArgument("the number of rows to append must be between 1 and 16777216, got \(rows)"))
        }
        var tables: [String] = []
        for item in model.classified(spec) where item.role == .tokenEmbedding || item.role == .languageModelHead {
            let tensor = model.entries[item.index].tensor
            let (vocabulary, width) = (tensor.shape[0], tensor.shape[1])
            var mean = [Double](repeating: 0, count: width)
            var sum = 0.0, squares = 0.0
            for r in 0..<vocabulary {
                for c in 0..<width {
                    let value = Double(tensor.values[r * width + c])
                    mean[c] += value
                    sum += value
                    squares += value * value
                }
            }
            let n = Double(tensor.values.count)
            let sigma = max(0, squares / n - (sum / n) * (sum / n)).squareRoot()
            var rng = SplitMix64.derived(seed: seed, label: tensor.name)
            var values = tensor.values
            values.reserveCapacity(values.count + rows * width)
            for _ in 0..<rows {
                for c in 0..<width { values.append(Float(mean[c] / Double(vocabulary) + sigma * Double(rng.nextGaussian()))) }
            }
            model.entries[item.index].tensor = ModelWeights.Tensor(name: tensor.name, shape: [vocabulary + rows, width], values: values)
            tables.append(tensor.name)
        }
        guard !tables.isEmpty else {
            throw PerturbationError(attack: attack, tensor: spec.family == .llama ? "model.embed_tokens.weight" : "embeddings.word_embeddings.weight", rule: .missingTensor)
        }
        let original = spec.vocabSize
        spec.vocabSize += rows
        model.spec = spec
        model.config = ModelConfig.setting("vocab_size", to: .number(String(spec.vocabSize)), in: model.config)
        return PerturbationRecord(
            attack: attack, functionPreserving: false,
            summary: "appended \(rows) rows to \(tables.joined(separator: " and ")) (vocabulary \(original) → \(spec.vocabSize), seed \(seed))",
            parameters: ["rows": .integer(rows), "seed": .integer(Int(truncatingIfNeeded: seed)), "tables": .strings(tables),
                         "original_vocab_size": .integer(original)])
    }
}
