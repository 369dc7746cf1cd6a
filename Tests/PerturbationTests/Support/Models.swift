import Checkpoints
import ModelFixtures
import Foundation
import Perturbation
import SyntheticModels
import Testing

/// Test models and helpers.
enum Models {
    /// A Llama with tied embeddings and grouped-query attention.
    static let tiedLlamaGQA = TransformerSpec(
        family: .llama, vocabSize: 256, hiddenSize: 32, intermediateSize: 64, layerCount: 3, headCount: 4,
        keyValueHeadCount: 2, tiedEmbeddings: true)

    /// Every architecture the function-preserving attacks are verified on.
    static let allSpecs: [TransformerSpec] = [.tinyLlama, .smallLlamaGQA, .tinyBERT, tiedLlamaGQA]
    static let llamaSpecs: [TransformerSpec] = [.tinyLlama, .smallLlamaGQA, tiedLlamaGQA]

    /// A generated model moved away from its initialisation (norm weights ≠ 1, biases ≠ 0) and
    /// with matrices scaled up so attention and the MLP are far from linear: a transform that
    /// is not exactly function-preserving shows up in the outputs.
    static func rich(_ spec: TransformerSpec, seed: UInt64 = 11) -> ModelWeights {
        var model = SimulatedTraining.fineTune(ModelGenerator.generate(spec, seed: seed), seed: seed &+ 1, strength: 0.5)
        for index in model.tensors.indices {
            let tensor = model.tensors[index]
            if tensor.shape.count == 2 {
                model.tensors[index].values = tensor.values.map { $0 * 8 }
            } else {
                // Norm weights around 1 ± 0.3, biases around ±0.1.
                var rng = SplitMix64.derived(seed: seed, label: "rich:" + tensor.name)
                model.tensors[index].values = tensor.values.map { $0 + 0.3 * rng.nextGaussian() }
            }
        }
        return model
    }

    static func checkpoint(_ spec: TransformerSpec, seed: UInt64 = 11) -> CheckpointModel {
        CheckpointModel(rich(spec, seed: seed))
    }

    /// Tokens valid for `spec`.
    static func tokens(_ spec: TransformerSpec) -> [Int] {
        [1, 7, spec.vocabSize - 1, 42, 3, 3, spec.vocabSize / 2, 0].map { $0 % spec.vocabSize }
    }

    static func forward(_ model: CheckpointModel, tokens: [Int]? = nil) throws -> Activations {
        let weights = try model.modelWeights()
        return try ReferenceForward.run(weights, tokens: tokens ?? Self.tokens(weights.spec))
    }

    /// A fresh directory, removed when the test process exits (`ScratchDirectories`).
    static func temporaryDirectory(_ label: String = "perturb") -> String {
        Fixtures.temporaryDirectory(label)
    }

    /// Population standard deviation.
    static func standardDeviation(_ values: [Float]) -> Double {
        let n = Double(values.count)
        let mean = values.reduce(0.0) { $0 + Double($1) } / n
        return (values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n).squareRoot()
    }

    static func tensor(_ model: CheckpointModel, _ name: String) throws -> ModelWeights.Tensor {
        try #require(model[name], "missing \(name)")
    }
}
