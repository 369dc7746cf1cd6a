import Checkpoints
import Foundation
import SyntheticModels

/// The sample lineage shipped in `Samples/` (deterministic on every platform):
///
/// - `acme-tiny-base`: a small Llama-family model, the "public base";
/// - `acme-tiny-chat`: the "release", acme-tiny-base after a (simulated) fine-tune;
/// - `sibling-chat`: an honest, independent fine-tune of acme-tiny-base;
/// - `unrelated-tiny`: an independently initialised model of the same architecture;
/// - `suspect`: a laundered copy of acme-tiny-chat as in the 2024 "Llama3-V" case — renamed
///   tensors and Gaussian noise — plus permuted neurons and hidden dimensions, two shards;
/// - `acme-tiny-chat-q8_0.gguf`: acme-tiny-chat quantized to GGUF Q8_0 (llama.cpp layout);
/// - `acme-tiny-chat-pytorch/pytorch_model.bin`: acme-tiny-chat saved as a PyTorch archive;
/// - `acme-tiny-moe`: a small mixture-of-experts release in Mixtral's naming (16 experts per
///   layer, one tensor per expert, routers of 16 × 64).
public enum SampleLineage {
    public static let spec = TransformerSpec.tinyLlama
    /// The dense architecture `acme-tiny-moe` replaces the MLPs of (each expert is 32 × 64).
    public static let moeSpec = TransformerSpec(family: .llama, vocabSize: 256, hiddenSize: 64, intermediateSize: 32, layerCount: 2, headCount: 4)
    public static let moeExperts = 16

    /// Writes every sample under `directory` (replacing existing ones); returns the paths written.
    @discardableResult
    public static func write(to directory: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
        let base = ModelGenerator.generate(spec, seed: 2024)
        let release = SimulatedTraining.fineTune(base, seed: 2025, strength: 0.05)
        let sibling = SimulatedTraining.fineTune(base, seed: 2026, strength: 0.05)
        let unrelated = ModelGenerator.generate(spec, seed: 4242)

        var written: [String] = []
        for (model, name) in [(base, "acme-tiny-base"), (release, "acme-tiny-chat"), (sibling, "sibling-chat"), (unrelated, "unrelated-tiny")] {
            try CheckpointModel(model, dtype: .bf16).write(to: path(name), overwrite: true)
            written.append(path(name))
        }

        var suspect = CheckpointModel(release, dtype: .bf16)
        var plan = PerturbationPlan(seed: 77)
        plan.add(NeuronPermutation(seed: plan.seed(for: .permuteNeurons)))
        plan.add(HiddenPermutation(seed: plan.seed(for: .permuteHidden)))
        plan.add(GaussianNoise(relativeStandardDeviation: 0.05, seed: plan.seed(for: .noise)))
        plan.add(TensorRenaming(scheme: .gpt, seed: plan.seed(for: .rename)))
        plan.add(Resharding(shards: 2))
        _ = try plan.apply(to: &suspect)
        try suspect.write(to: path("suspect"), overwrite: true)
        written.append(path("suspect"))

        let releaseReader = try CheckpointReader(path: path("acme-tiny-chat"))
        try CheckpointConversion.writeGGUF(from: releaseReader, to: path("acme-tiny-chat-q8_0.gguf"), options: .init(
            matrixType: .q8_0, otherType: .f32, architecture: "llama", headCount: spec.headCount, headCountKV: spec.keyValueHeadCount))
        written.append(path("acme-tiny-chat-q8_0.gguf"))
        try FileManager.default.createDirectory(atPath: path("acme-tiny-chat-pytorch"), withIntermediateDirectories: true)
        try CheckpointConversion.writePyTorch(from: releaseReader, to: path("acme-tiny-chat-pytorch/pytorch_model.bin"))
        written.append(path("acme-tiny-chat-pytorch/pytorch_model.bin"))

        let moe = ModelGenerator.mixtureOfExperts(ModelGenerator.generate(moeSpec, seed: 2030), experts: moeExperts, seed: 2031)
        try CheckpointModel(moe, dtype: .bf16).write(to: path("acme-tiny-moe"), overwrite: true)
        // The dense config the writer made, as Mixtral's.
        let config: [String: Any] = [
            "architectures": ["MixtralForCausalLM"], "model_type": "mixtral", "hidden_act": "silu",
            "hidden_size": moeSpec.hiddenSize, "intermediate_size": moeSpec.intermediateSize, "num_hidden_layers": moeSpec.layerCount,
            "num_attention_heads": moeSpec.headCount, "num_key_value_heads": moeSpec.keyValueHeadCount, "vocab_size": moeSpec.vocabSize,
            "num_local_experts": moeExperts, "num_experts_per_tok": 2, "max_position_embeddings": 128, "rms_norm_eps": 1e-6,
            "rope_theta": 10000.0, "tie_word_embeddings": false,
        ]
        try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
            .write(to: URL(fileURLWithPath: path("acme-tiny-moe/config.json")))
        written.append(path("acme-tiny-moe"))
        return written
    }
}
