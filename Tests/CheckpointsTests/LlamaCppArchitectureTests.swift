import CheckpointFixtures
import Checkpoints
import Foundation
import ProvenanceCrypto
import Testing

/// GGUFs the real `convert_hf_to_gguf.py` wrote from tiny Hugging Face models of thirty-three
/// architectures (and Llama with Llama 3.1's scaled RoPE, Falcon in its 7B and 40B layouts)
/// (`Fixtures/make_llama_cpp_architectures.py`): each tensor must come back under its Hugging
/// Face name with the original's values — RoPE rows un-permuted and fused query/key/value rows
/// regrouped where llama.cpp reorders them, and nowhere else.
@Suite("GGUFs of many architectures map back to their Hugging Face tensors")
struct LlamaCppArchitectureTests {
    struct Manifest: Decodable {
        struct Architecture: Decodable {
            var file: String
            var architecture: String
            var tensors: [Entry]
        }
        struct Entry: Decodable {
            var gguf: String
            var dtype: String
            var shape: [Int]
            var transform: String
            var hf: [String]
            var sha256: String
        }
        var architectures: [String: Architecture]
    }

    static let directory = RealModels.repository.appendingPathComponent("Tests/CheckpointsTests/Fixtures/LlamaCppArchitectures").path

    static func manifest() throws -> Manifest {
        try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/manifest.json")))
    }

    /// The name a reader should give a tensor: its Hugging Face name when it holds exactly one
    /// Hugging Face tensor as stored (reordered, shifted or transposed at most), else the llama.cpp name.
    static func expectedName(_ entry: Manifest.Entry) -> String {
        entry.hf.count == 1 && ["none", "rope-permuted", "plus-one", "qkv-regrouped", "transposed"].contains(entry.transform)
            ? entry.hf[0] : entry.gguf
    }

    @Test("every tensor comes back under its Hugging Face name with the original's values")
    func tensorsMapBack() throws {
        let manifest = try Self.manifest()
        #expect(manifest.architectures.count == 39)
        var transforms: [String: Set<String>] = [:]
        for (model, expected) in manifest.architectures.sorted(by: { $0.key < $1.key }) {
            #expect(GGUFNameMapping.mappedArchitectures.contains(expected.architecture), "\(model): \(expected.architecture)")
            let reader = try CheckpointReader(path: Self.directory + "/" + expected.file)
            #expect(reader.checkpoint.tensors.count == expected.tensors.count, "\(model)")
            for entry in expected.tensors {
                transforms[entry.transform, default: []].insert(expected.architecture)
                let name = Self.expectedName(entry)
                let tensor = try #require(reader.checkpoint.tensor(named: name), "\(model): \(entry.gguf) should read as \(name)")
                #expect(tensor.dtype.name == entry.dtype && tensor.shape == entry.shape, "\(model): \(name) \(tensor.dtype) \(tensor.shape)")
                var values = try readAllFloats(reader, tensor)
                // Gemma's norm gains are stored as 1 + w; the reader gives what is stored.
                if entry.transform == "plus-one" { values = values.map { $0 - 1 } }
                let digest = values.withUnsafeBytes { SHA256.hash(Array($0)) }
                #expect(digest == SHA256Digest(hex: entry.sha256), "\(model): \(name) (\(entry.transform)) holds other values than \(entry.hf)")
            }
        }
        // What the converter did, found from the data by the generator.
        #expect(transforms["rope-permuted"] == ["llama", "granite", "granitemoe", "arcee", "smollm3", "olmo"])
        #expect(transforms["plus-one"] == ["gemma", "gemma2", "gemma3", "nemotron"], "Gemma's and Nemotron's norms: the reader leaves 1 + w as stored")
        #expect(transforms["stacked"] == ["qwen2moe", "qwen3moe", "olmoe", "deepseek2", "glm4moe"])
        #expect(transforms["computed"] == ["llama"], "rope_freqs, in the Llama 3.1 model only")
        #expect(transforms["qkv-regrouped"] == ["gptneox", "bloom", "falcon"])
        #expect(transforms["qkv-regrouped"] == GGUFNameMapping.groupedQKVArchitectures)
        #expect(transforms["transposed"] == ["gpt2"], "GPT-2's Conv1D weights")
        #expect(transforms["kv-split"] == ["deepseek2"], "latent attention's kv_b_proj, in DeepSeek-V2 and -V3 and GLM-4.7-Flash models")
        #expect(transforms["stacked-transposed"] == ["llama4"] && transforms["split-transposed"] == ["llama4"],
                "Llama 4's input-major experts, transposed one by one")
        #expect(transforms["rope-permuted"]!.isSubset(of: GGUFNameMapping.ropePermutedArchitectures))
        #expect(GGUFNameMapping.ropePermutedArchitectures.isDisjoint(with: ["apertus", "qwen2", "qwen3", "qwen2moe", "qwen3moe", "gemma", "gemma2", "gemma3", "phi3", "olmo2",
                                                                             "stablelm", "starcoder2", "phi2", "gpt2", "gptneox", "falcon", "bloom",
                                                                             "olmoe", "glm4", "nemotron", "exaone4", "ernie4_5", "seed_oss", "command-r", "hunyuan-dense", "llama4", "deepseek2", "glm4moe"]))
    }

    @Test("the inverse mapping gives back llama.cpp's names")
    func inverseMapping() throws {
        for (model, expected) in try Self.manifest().architectures {
            let scheme = GGUFNameMapping.scheme(forArchitecture: expected.architecture, tensorNames: expected.tensors.map(\.gguf))
            #expect((scheme == "falcon-new-decoder") == (model == "falcon40b"), "\(model): scheme \(scheme)")
            for entry in expected.tensors where Self.expectedName(entry) != entry.gguf {
                #expect(GGUFNameMapping.ggufName(forHuggingFaceName: entry.hf[0], architecture: scheme) == entry.gguf,
                        "\(model): \(entry.hf[0])")
            }
        }
    }
}
