// provenance-samples: writes the sample lineage in Samples/ (deterministic, every platform).
//
//   provenance-samples [DIRECTORY]      (default: Samples)
//
// acme-tiny-base      a small Llama-family model, the "public base"
// acme-tiny-chat      the "release": acme-tiny-base after a (simulated) fine-tune
// sibling-chat        an honest, independent fine-tune of acme-tiny-base
// unrelated-tiny      an independently initialised model of the same architecture
// suspect             a laundered copy of acme-tiny-chat, as in the 2024 "Llama3-V" case:
//                     renamed tensors, Gaussian noise, plus permuted neurons and hidden
//                     dimensions, BF16, two shards
// acme-tiny-chat-q8_0.gguf         acme-tiny-chat quantized to GGUF Q8_0 (llama.cpp layout)
// acme-tiny-chat-pytorch/          acme-tiny-chat saved as a PyTorch pytorch_model.bin

import Checkpoints
import Foundation
import Perturbation
import SyntheticModels

let directory = CommandLine.arguments.dropFirst().first ?? "Samples"
let spec = TransformerSpec.tinyLlama

func write(_ model: CheckpointModel, _ name: String) throws {
    let path = (directory as NSString).appendingPathComponent(name)
    try model.write(to: path, overwrite: true)
    print("wrote \(path)")
}

do {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let base = ModelGenerator.generate(spec, seed: 2024)
    let release = SimulatedTraining.fineTune(base, seed: 2025, strength: 0.05)
    let sibling = SimulatedTraining.fineTune(base, seed: 2026, strength: 0.05)
    let unrelated = ModelGenerator.generate(spec, seed: 4242)

    try write(CheckpointModel(base, dtype: .bf16), "acme-tiny-base")
    try write(CheckpointModel(release, dtype: .bf16), "acme-tiny-chat")
    try write(CheckpointModel(sibling, dtype: .bf16), "sibling-chat")
    try write(CheckpointModel(unrelated, dtype: .bf16), "unrelated-tiny")

    var suspect = CheckpointModel(release, dtype: .bf16)
    var plan = PerturbationPlan(seed: 77)
    plan.add(NeuronPermutation(seed: plan.seed(for: .permuteNeurons)))
    plan.add(HiddenPermutation(seed: plan.seed(for: .permuteHidden)))
    plan.add(GaussianNoise(relativeStandardDeviation: 0.05, seed: plan.seed(for: .noise)))
    plan.add(TensorRenaming(scheme: .gpt, seed: plan.seed(for: .rename)))
    plan.add(Resharding(shards: 2))
    _ = try plan.apply(to: &suspect)
    try write(suspect, "suspect")

    let releaseReader = try CheckpointReader(path: (directory as NSString).appendingPathComponent("acme-tiny-chat"))
    let ggufPath = (directory as NSString).appendingPathComponent("acme-tiny-chat-q8_0.gguf")
    try CheckpointConversion.writeGGUF(from: releaseReader, to: ggufPath, options: .init(
        matrixType: .q8_0, otherType: .f32, architecture: "llama", headCount: spec.headCount, headCountKV: spec.keyValueHeadCount))
    print("wrote \(ggufPath)")
    let pytorchDirectory = (directory as NSString).appendingPathComponent("acme-tiny-chat-pytorch")
    try FileManager.default.createDirectory(atPath: pytorchDirectory, withIntermediateDirectories: true)
    let pytorchPath = (pytorchDirectory as NSString).appendingPathComponent("pytorch_model.bin")
    try CheckpointConversion.writePyTorch(from: releaseReader, to: pytorchPath)
    print("wrote \(pytorchPath)")
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(2)
}
