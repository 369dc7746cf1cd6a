import CheckpointFixtures
import Checkpoints
import Fingerprinting
import Foundation
import Matching
import ModelFixtures
import SyntheticModels
import Testing

/// DeepSeek-style releases (multi-head latent attention: `kv_b_proj` fuses each head's key and
/// value up-projections) against GGUF copies that store them as llama.cpp does, split per head
/// into `attn_k_b` (keys transposed) and `attn_v_b`.
@Suite("Latent attention's fused key/value projection is matched part by part against per-head GGUF stacks")
struct LatentAttentionAttributionTests {
    static let spec = TransformerSpec(family: .llama, vocabSize: 512, hiddenSize: 128, intermediateSize: 256, layerCount: 2, headCount: 4)
    static let base = Fixtures.latentAttention(ModelGenerator.generate(spec, seed: 1100))
    static let release = Fixtures.latentAttention(SimulatedTraining.fineTune(ModelGenerator.generate(spec, seed: 1100), seed: 1101, strength: 0.05))
    static let independent = Fixtures.latentAttention(ModelGenerator.generate(spec, seed: 1110))
    static var bfloat16: Fixtures.Layout { Fixtures.Layout(dtype: .bf16) }

    static func registry() throws -> [(label: String, fingerprint: Fingerprint)] {
        [("base@1", try Fixtures.fingerprint(base, layout: bfloat16)), ("release@1", try Fixtures.fingerprint(release, layout: bfloat16)),
         ("independent@1", try Fixtures.fingerprint(independent, layout: bfloat16))]
    }

    /// A GGUF of `model` (stored in BF16 first) as `convert_hf_to_gguf.py` writes deepseek2, matrices in `type`.
    static func gguf(_ model: ModelWeights, type: DType, in directory: String, name: String = "copy") throws -> Fingerprint {
        let staging = directory + "/" + name
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        let reader = try CheckpointReader(path: try Fixtures.write(model, to: staging, layout: bfloat16))
        let path = directory + "/\(name)-\(type.name).gguf"
        try CheckpointConversion.writeGGUF(from: reader, to: path, options: .init(
            matrixType: type, otherType: .f32, architecture: "deepseek2", headCount: spec.headCount))
        let opened = try CheckpointReader(path: path)
        #expect(!opened.checkpoint.tensors.contains { $0.name.contains("kv_b_proj") })
        #expect(opened.checkpoint.tensors.filter { $0.name.contains("attn_k_b") || $0.name.contains("attn_v_b") }.count == 2 * spec.layerCount)
        return try Fingerprinter.fingerprint(opened)
    }

    @Test("the release's fingerprint sketches kv_b_proj's key and value parts as per-head stacks")
    func partsOfTheRelease() throws {
        let registered = try Self.registry()[1].fingerprint
        let heads = Self.spec.headCount, width = Self.spec.hiddenSize / heads, latent = Self.spec.hiddenSize / 2
        #expect(registered.fusedParts.count == 2 * Self.spec.layerCount)
        for part in registered.fusedParts {
            #expect(registered.tensors[part.tensor].name.hasSuffix("self_attn.kv_b_proj.weight"))
            #expect(part.layout == .headBlocks && part.heads == heads && part.rows == width && part.cols == latent && part.count == heads * width * latent)
        }
        #expect(Set(registered.fusedParts.map(\.part)) == [.key, .value])
        // The file keeps them: written, read back, equal.
        let directory = Fixtures.temporaryDirectory("mla")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/release.fingerprint.safetensors"
        try registered.write(to: path)
        #expect(try Fingerprint.read(from: path).fingerprint.fusedParts == registered.fusedParts)
    }

    @Test("a BF16 GGUF is a re-encoding — each k_b and v_b stack equals its part to the sketches' precision; a change of 1e-4 of the norm is not")
    func losslessSplit() throws {
        let directory = Fixtures.temporaryDirectory("mla")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let registered = try Self.registry()[1].fingerprint
        let copy = Scan.compare(try Self.gguf(Self.release, type: .bf16, in: directory), registered)
        #expect(copy.verdict.kind == .reEncoded, "\(copy.verdict.sentence)")
        #expect(copy.verdict.sentence.contains("latent attention's key/value up-projection fused on one side, split per head on the other"),
                "\(copy.verdict.sentence)")
        // The split stacks keep llama.cpp's names (no original has them); every other name maps back: not renamed.
        #expect(!copy.verdict.sentence.contains("renamed"), "\(copy.verdict.sentence)")
        for layer in 0..<Self.spec.layerCount {
            for (stored, part, transposed) in [("k", "key", true), ("v", "value", false)] {
                let match = try #require(copy.tensors.first { $0.suspectTensor == "blk.\(layer).attn_\(stored)_b.weight" })
                #expect(match.referenceTensor == "model.layers.\(layer).self_attn.kv_b_proj.weight[\(part)]", "\(match.referenceTensor ?? "-")")
                #expect(match.significant && match.transposed == transposed && 1 / (match.cosine * match.cosine) - 1 < 1e-12,
                        "\(match.suspectTensor): \(match.cosine), transposed \(match.transposed)")
            }
        }
        let stacks = copy.tensors.filter { $0.suspectTensor.contains("attn_k_b") || $0.suspectTensor.contains("attn_v_b") }
        print("lossless split (latent attention): \(stacks.count) stacks, largest 1/ρ² − 1 = \(stacks.map { 1 / ($0.cosine * $0.cosine) - 1 }.max() ?? .nan)")
        // The reverse direction: the release scanned against its GGUF.
        #expect(Scan.compare(registered, try Self.gguf(Self.release, type: .bf16, in: directory, name: "again")).verdict.kind == .reEncoded)

        var changed = Self.release
        for index in changed.tensors.indices where changed.tensors[index].name == "model.layers.1.self_attn.kv_b_proj.weight" {
            changed.tensors[index].values = changed.tensors[index].values.enumerated().map { $0.element * (1 + 1e-4 * Float(($0.offset % 7) - 3)) }
        }
        let changedCopy = Scan.compare(try Self.gguf(changed, type: .bf16, in: directory, name: "changed"), registered)
        #expect(changedCopy.verdict.kind == .derived, "\(changedCopy.verdict.sentence)")
    }

    @Test("a Q8_0 GGUF is a quantized re-encoding of the release; without the parts its k_b and v_b match nothing and it looks derived")
    func quantizedSplit() throws {
        let directory = Fixtures.temporaryDirectory("mla")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let registry = try Self.registry()
        let suspect = try Self.gguf(Self.release, type: .q8_0, in: directory)
        let scan = Scan.run(suspect, against: registry)
        #expect(scan.attribution.nearest == "release@1", "\(scan.attribution.sentence)")
        #expect(scan.attribution.verdict == .reEncoded, "\(scan.attribution.sentence)")
        #expect(scan.attribution.sentence.contains("quantized to Q8_0"), "\(scan.attribution.sentence)")

        var registered = registry[1].fingerprint
        registered.fusedParts = []
        let withoutParts = Scan.compare(suspect, registered)
        #expect(!withoutParts.tensors.contains { $0.suspectTensor.contains("attn_k_b") && $0.significant })
        #expect(withoutParts.verdict.kind == .derived, "\(withoutParts.verdict.sentence)")
    }

    @Test("llama.cpp's own files of a tiny DeepSeek-V3 — convert_hf_to_gguf.py's BF16, llama-quantize's Q8_0 and Q4_K_M — are re-encodings of the original, key and value matched part for part",
          arguments: [("deepseek3.gguf", "latent attention's key/value up-projection fused on one side, split per head on the other"),
                      ("quantized/deepseek3-Q8_0.gguf", "quantized to"), ("quantized/deepseek3-Q4_K_M.gguf", "quantized to")])
    func realConversions(file: String, phrase: String) throws {
        let directory = RealModels.repository.appendingPathComponent("Tests/CheckpointsTests/Fixtures/LlamaCppArchitectures").path
        let original = try Fingerprinter.fingerprint(path: directory + "/originals/deepseek3")
        #expect(original.fusedParts.count == 4 && original.fusedParts.allSatisfy { $0.layout == .headBlocks && $0.heads == 4 })
        let copy = Scan.compare(try Fingerprinter.fingerprint(path: directory + "/" + file), original)
        #expect(copy.verdict.kind == .reEncoded, "\(file): \(copy.verdict.sentence)")
        #expect(copy.verdict.sentence.contains(phrase), "\(file): \(copy.verdict.sentence)")
        // Names map back; the stacks of experts and of heads have none to map to: no renaming.
        #expect(!copy.verdict.sentence.contains("renamed"), "\(file): \(copy.verdict.sentence)")
        for layer in 0..<2 {
            for (stored, part) in [("k", "key"), ("v", "value")] {
                let match = try #require(copy.tensors.first { $0.suspectTensor == "blk.\(layer).attn_\(stored)_b.weight" })
                #expect(match.referenceTensor == "model.layers.\(layer).self_attn.kv_b_proj.weight[\(part)]" && match.significant && match.cosine > 0.99,
                        "\(file): \(match.suspectTensor) → \(match.referenceTensor ?? "-") at \(match.cosine)")
            }
        }
    }

    @Test("an independent model's GGUF is not flagged")
    func independentModel() throws {
        let directory = Fixtures.temporaryDirectory("mla")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let unrelated = Fixtures.latentAttention(ModelGenerator.generate(Self.spec, seed: 1120))
        let scan = Scan.run(try Self.gguf(unrelated, type: .q8_0, in: directory), against: try Self.registry())
        #expect(scan.attribution.verdict == .independent, "\(scan.attribution.sentence)")
        #expect(!scan.flagged)
    }
}
