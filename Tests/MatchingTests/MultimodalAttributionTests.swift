import CheckpointFixtures
import Checkpoints
import Fingerprinting
import Foundation
@testable import Matching
import Testing

/// Text-only GGUFs of vision-language releases (`LanguageModelPart`): llama.cpp's converter writes
/// the language model alone (the encoder goes to a separate mmproj file) under names without the
/// release's `language_model.` wrapper. Fixtures: llama.cpp's own BF16 conversions of a tiny
/// Qwen2.5-VL, Qwen3-VL, Mistral 3 and Gemma 3 (`Tests/CheckpointsTests/Fixtures/LlamaCppMultimodal`).
@Suite("A text-only GGUF of a vision-language release is a re-encoding of its language model")
struct MultimodalAttributionTests {
    static let directory = RealModels.repository.appendingPathComponent("Tests/CheckpointsTests/Fixtures/LlamaCppMultimodal").path

    @Test("llama.cpp's own BF16 GGUFs of a tiny Qwen2.5-VL, Qwen3-VL, Mistral 3 and Gemma 3 are re-encodings of the release's language model, the encoder named as left out",
          arguments: [("qwen25vl", "visual.*", nil), ("qwen3vl", "model.visual.*", nil),
                      ("mistral3", "multi_modal_projector.*, vision_tower.*", nil),
                      ("gemma3vl", "multi_modal_projector.*, vision_tower.*", "13 norms stored as 1 + w")])
    func realConversions(model: String, encoder: String, phrase: String?) throws {
        let copy = Scan.compare(try Fingerprinter.fingerprint(path: Self.directory + "/\(model).gguf"),
                                try Fingerprinter.fingerprint(path: Self.directory + "/" + model), label: model)
        #expect(copy.verdict.kind == .reEncoded, "\(model): \(copy.verdict.sentence)")
        #expect(copy.verdict.sentence.hasPrefix("Re-encoded copy of \(model)'s language model"), "\(model): \(copy.verdict.sentence)")
        if let phrase { #expect(copy.verdict.sentence.contains(phrase), "\(model): \(copy.verdict.sentence)") }
        let first = copy.verdict.evidence.first ?? ""
        #expect(first.hasPrefix("The reference is multimodal") && first.contains("under \(encoder),"), "\(model): \(first)")
        // Gemma 3's wrapper (`language_model.model.`) is taken off: the names are the same, not renamed.
        #expect(!copy.verdict.sentence.contains("renamed") || copy.verdict.sentence.contains("(renamed, re-sharded, transposed or converted losslessly)"),
                "\(model): \(copy.verdict.sentence)")
        #expect(!copy.verdict.evidence.contains { $0.contains("(renamed)") }, "\(model): \(copy.verdict.evidence)")
    }

    @Test("a scan attributes the text-only GGUF to its release and flags it; the release itself is compared whole")
    func scanAndWholeRelease() throws {
        let qwen = try Fingerprinter.fingerprint(path: Self.directory + "/qwen25vl")
        let gemma = try Fingerprinter.fingerprint(path: Self.directory + "/gemma3vl")
        let scan = Scan.run(try Fingerprinter.fingerprint(path: Self.directory + "/qwen25vl.gguf"), against: [("qwen25vl@1", qwen), ("gemma3vl@1", gemma)])
        #expect(scan.attribution.nearest == "qwen25vl@1", "\(scan.attribution.sentence)")
        #expect(scan.flagged)
        let whole = Scan.compare(qwen, qwen, label: "qwen25vl")
        #expect(whole.verdict.kind == .identical, "\(whole.verdict.sentence)")
        #expect(!whole.verdict.sentence.contains("language model"), "\(whole.verdict.sentence)")
    }

    @Test("the language model is taken alone only when the suspect holds none of the encoder's names or values and is no larger")
    func languageModelGuards() throws {
        let release = try Fingerprinter.fingerprint(path: Self.directory + "/gemma3vl")
        let textOnly = try Fingerprinter.fingerprint(path: Self.directory + "/gemma3vl.gguf")
        let part = try #require(LanguageModelPart.find(suspect: textOnly, reference: release))
        #expect(part.leftOut.count == 50 && part.wrapper == "language_model.")
        #expect(!part.reference.tensors.contains { $0.name.hasPrefix("language_model.") || LanguageModelPart.isEncoderTensor($0.name) })
        #expect(part.reference.roots != release.roots)
        // The whole release as the suspect: its encoder names are there.
        #expect(LanguageModelPart.find(suspect: release, reference: release) == nil)
        // Encoder renamed beyond recognition: no encoder names, but the encoder's values are held.
        var renamed = release
        for index in renamed.tensors.indices where LanguageModelPart.isEncoderTensor(renamed.tensors[index].name) {
            renamed.tensors[index].name = "blob.\(index).weight"
        }
        #expect(LanguageModelPart.find(suspect: renamed, reference: release) == nil)
        // A text-only model larger than the language model (another model's tensors added) is compared whole.
        var larger = textOnly
        larger.tensors += release.tensors.filter { LanguageModelPart.isEncoderTensor($0.name) }.map { tensor in
            var other = tensor
            other.name = "extra." + tensor.name.replacingOccurrences(of: "vision_tower", with: "tower")
                .replacingOccurrences(of: "multi_modal_projector", with: "projector")
            other.canonical.sha256 = textOnly.tensors[0].canonical.sha256  // values other than the encoder's
            return other
        }
        #expect(LanguageModelPart.find(suspect: larger, reference: release) == nil)
    }

    @Test("encoder names and the language model's wrapper are told by name components")
    func names() {
        #expect(LanguageModelPart.isEncoderTensor("visual.blocks.0.attn.qkv.weight"))
        #expect(LanguageModelPart.isEncoderTensor("model.vision_tower.encoder.layers.0.mlp.fc1.weight"))
        #expect(LanguageModelPart.isEncoderTensor("multi_modal_projector.linear_1.weight"))
        #expect(!LanguageModelPart.isEncoderTensor("model.layers.0.mlp.vision.weight"))  // after the layer index: the language model's own
        #expect(!LanguageModelPart.isEncoderTensor("model.revision.weight"))
        #expect(LanguageModelPart.languageModelName("language_model.model.layers.0.mlp.up_proj.weight") == "model.layers.0.mlp.up_proj.weight")
        #expect(LanguageModelPart.languageModelName("model.language_model.layers.3.self_attn.q_proj.weight") == "model.layers.3.self_attn.q_proj.weight")
        #expect(LanguageModelPart.languageModelName("language_model.lm_head.weight") == "lm_head.weight")
        #expect(LanguageModelPart.languageModelName("model.layers.0.mlp.up_proj.weight") == "model.layers.0.mlp.up_proj.weight")
        #expect(LanguageModelPart.encoderPrefix("model.vision_tower.encoder.layers.0.mlp.fc1.weight") == "model.vision_tower")
    }
}
