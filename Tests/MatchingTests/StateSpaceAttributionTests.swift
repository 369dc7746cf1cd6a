import CheckpointFixtures
import Checkpoints
import Fingerprinting
import Foundation
import Matching
import ModelFixtures
import SyntheticModels
import Testing

/// Mamba-2 releases (`Fixtures.stateSpace`) against GGUF copies written as llama.cpp's converter
/// writes them: `A_log` stored as `ssm_a = −exp(A_log)`, the decays and skips as `[heads, 1]`,
/// the gated norm as `[groups, d_inner / groups]`.
@Suite("State-space decays stored as −exp(A_log) are paired with their source by order statistics")
struct StateSpaceAttributionTests {
    static let spec = TransformerSpec(family: .llama, vocabSize: 512, hiddenSize: 64, intermediateSize: 128, layerCount: 3, headCount: 4)
    static let base = Fixtures.stateSpace(ModelGenerator.generate(spec, seed: 1200))
    static let release = Fixtures.stateSpace(SimulatedTraining.fineTune(ModelGenerator.generate(spec, seed: 1200), seed: 1201, strength: 0.05))
    static let independent = Fixtures.stateSpace(ModelGenerator.generate(spec, seed: 1210))
    static var bfloat16: Fixtures.Layout { Fixtures.Layout(dtype: .bf16) }
    static let groups = 2
    /// llama.cpp's own conversions of tiny state-space models and their originals (`make_llama_cpp_state_space.py`).
    static let llamaCppDirectory = RealModels.repository.appendingPathComponent("Tests/CheckpointsTests/Fixtures/LlamaCppStateSpace").path

    static func registry() throws -> [(label: String, fingerprint: Fingerprint)] {
        [("base@1", try Fixtures.fingerprint(base, layout: bfloat16)), ("release@1", try Fixtures.fingerprint(release, layout: bfloat16)),
         ("independent@1", try Fixtures.fingerprint(independent, layout: bfloat16))]
    }

    /// A GGUF of `model` (stored in BF16 first) as `convert_hf_to_gguf.py` writes mamba2, matrices in `type`.
    static func gguf(_ model: ModelWeights, type: DType, in directory: String, name: String = "copy") throws -> CheckpointReader {
        let staging = directory + "/" + name
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        let reader = try CheckpointReader(path: try Fixtures.write(model, to: staging, layout: bfloat16))
        let path = directory + "/\(name)-\(type.name).gguf"
        var metadata = GGUFMetadata()
        metadata["mamba2.ssm.group_count"] = .uint32(UInt32(groups))
        try CheckpointConversion.writeGGUF(from: reader, to: path, options: .init(matrixType: type, otherType: .f32, architecture: "mamba2", metadata: metadata))
        return try CheckpointReader(path: path)
    }

    @Test("the GGUF stores −exp(A_log) and Mamba-2's shapes; a reader gives back the Hugging Face names and shapes")
    func storedAsTheConverterStoresThem() throws {
        let directory = Fixtures.temporaryDirectory("ssm")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let opened = try Self.gguf(Self.release, type: .bf16, in: directory)
        #expect(Set(opened.checkpoint.tensors.map(\.name)) == Set(Self.release.tensors.map(\.name)))
        let heads = Fixtures.stateSpaceHeads
        for layer in 0..<Self.spec.layerCount {
            let mixer = "backbone.layers.\(layer).mixer."
            let decays = try #require(opened.checkpoint.tensor(named: mixer + "A_log"))
            #expect(decays.storedName == "blk.\(layer).ssm_a" && decays.dtype == .f32 && decays.shape == [heads], "\(decays.shape)")
            let source = Self.release[mixer + "A_log"]!.values.map { FloatBits.bfloat16(FloatEncoding.bfloat16Bits($0)) }
            var stored: [Float] = []
            try opened.readChunks(of: decays) { chunk in
                var decoded = [Float](repeating: .nan, count: chunk.elementCount)
                decoded.withUnsafeMutableBufferPointer { chunk.decode(into: $0) }
                stored += decoded
            }
            #expect(stored == source.map { -exp($0) })
            let norm = try #require(opened.checkpoint.tensor(named: mixer + "norm.weight"))
            #expect(norm.storedName == "blk.\(layer).ssm_norm.weight" && norm.shape == [Self.spec.intermediateSize], "\(norm.shape)")
            #expect(opened.checkpoint.tensor(named: mixer + "D")?.shape == [heads])
            #expect(opened.checkpoint.tensor(named: mixer + "dt_bias")?.storedName == "blk.\(layer).ssm_dt.bias")
            #expect(opened.checkpoint.tensor(named: mixer + "conv1d.weight")?.shape == [Self.spec.hiddenSize, 4])
        }
    }

    @Test("a BF16 GGUF is a re-encoding, either way round; decays changed by 2 % are not")
    func losslessWithDecays() throws {
        let directory = Fixtures.temporaryDirectory("ssm")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let registered = try Self.registry()[1].fingerprint
        let copy = try Fingerprinter.fingerprint(try Self.gguf(Self.release, type: .bf16, in: directory))
        for (suspect, reference, direction) in [(copy, registered, "the suspect stores"), (registered, copy, "the reference stores")] {
            let result = Scan.compare(suspect, reference)
            #expect(result.verdict.kind == .reEncoded, "\(result.verdict.sentence)")
            #expect(result.verdict.sentence.contains("\(Self.spec.layerCount) state-space decays stored as −exp(A_log)"), "\(result.verdict.sentence)")
            #expect(!result.verdict.sentence.contains("renamed"), "\(result.verdict.sentence)")
            #expect(result.verdict.evidence.contains { $0.contains(direction) && $0.contains("backbone.layers.0.mixer.A_log ↔ backbone.layers.0.mixer.A_log") },
                    "\(result.verdict.evidence)")
        }

        var changed = Self.release
        for index in changed.tensors.indices where changed.tensors[index].name.hasSuffix("mixer.A_log") {
            changed.tensors[index].values = changed.tensors[index].values.enumerated().map { $0.element * (1 + 0.02 * Float(($0.offset % 5) - 2)) }
        }
        let changedCopy = Scan.compare(try Fingerprinter.fingerprint(try Self.gguf(changed, type: .bf16, in: directory, name: "changed")), registered)
        #expect(changedCopy.verdict.kind == .derived, "\(changedCopy.verdict.sentence)")
        #expect(!changedCopy.verdict.sentence.contains("exp"), "\(changedCopy.verdict.sentence)")
    }

    @Test("the decays of another model of the same shape do not pair, though every other tensor is the release's")
    func foreignDecays() throws {
        let directory = Fixtures.temporaryDirectory("ssm")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var grafted = Self.release
        for index in grafted.tensors.indices where grafted.tensors[index].name.hasSuffix("mixer.A_log") {
            grafted.tensors[index].values = Self.base[grafted.tensors[index].name]!.values
        }
        let result = Scan.compare(try Fingerprinter.fingerprint(try Self.gguf(grafted, type: .bf16, in: directory)), try Self.registry()[1].fingerprint)
        #expect(result.verdict.kind != .reEncoded, "\(result.verdict.sentence)")
    }

    @Test("a Q8_0 GGUF is attributed to the release, an independent model's is not flagged")
    func quantizedAndIndependent() throws {
        let directory = Fixtures.temporaryDirectory("ssm")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let registry = try Self.registry()
        let scan = Scan.run(try Fingerprinter.fingerprint(try Self.gguf(Self.release, type: .q8_0, in: directory)), against: registry)
        #expect(scan.attribution.nearest == "release@1", "\(scan.attribution.sentence)")
        #expect(scan.flagged)
        print("Q8_0 Mamba-2 GGUF: \(scan.attribution.sentence)")
        let unrelated = Fixtures.stateSpace(ModelGenerator.generate(Self.spec, seed: 1220))
        let other = Scan.run(try Fingerprinter.fingerprint(try Self.gguf(unrelated, type: .q8_0, in: directory, name: "unrelated")), against: registry)
        #expect(other.attribution.verdict == .independent, "\(other.attribution.sentence)")
        #expect(!other.flagged)
    }

    @Test("llama.cpp's own BF16 GGUFs of a tiny Mamba, Mamba-2 (two groups), Jamba, Granite 4.0-H, Nemotron-H and Falcon-H1 are re-encodings of their originals, names and shapes mapped back",
          arguments: [("mamba", "2 state-space decays stored as −exp(A_log)", nil),
                      ("mamba2", "2 state-space decays stored as −exp(A_log)", "backbone.layers.0.mixer.norm.weight"),
                      ("jamba", "one state-space decay stored as −exp(A_log)", nil),
                      ("granitehybrid", "(fused gate/up projections on one side, separate on the other), with one state-space decay stored as −exp(A_log)",
                       "model.layers.0.mamba.norm.weight"),
                      // A Mamba-2 layer, attention, a ReLU² MLP and routed experts (stacked in the GGUF, one by one in the original).
                      ("nemotron_h", "one state-space decay stored as −exp(A_log)", "backbone.layers.0.mixer.norm.weight"),
                      // Attention and Mamba-2 in every layer, multipliers 1 (nothing folded in).
                      ("falcon_h1", "2 state-space decays stored as −exp(A_log)", "model.layers.0.mamba.norm.weight")])
    func realConversions(model: String, phrase: String, reshapedNorm: String?) throws {
        let opened = try CheckpointReader(path: Self.llamaCppDirectory + "/\(model).gguf")
        if let reshapedNorm {
            #expect(opened.checkpoint.tensor(named: reshapedNorm)?.shape == [64], "\(model): \(reshapedNorm)")
        }
        let copy = Scan.compare(try Fingerprinter.fingerprint(opened), try Fingerprinter.fingerprint(path: Self.llamaCppDirectory + "/" + model))
        #expect(copy.verdict.kind == .reEncoded, "\(model): \(copy.verdict.sentence)")
        #expect(copy.verdict.sentence.contains(phrase), "\(model): \(copy.verdict.sentence)")
        #expect(!copy.verdict.sentence.contains("renamed"), "\(model): \(copy.verdict.sentence)")
        // Nor in the evidence: mapped names, Nemotron-H's expert stacks named as the original's experts stacked, Granite's
        // split MLP parts matched to the fused original's parts, and the decays' conversion not taken for a renamed or rescaled matrix.
        #expect(!copy.verdict.evidence.contains { $0.contains("renamed") || $0.hasPrefix("Rescaled") }, "\(model): \(copy.verdict.evidence)")
    }

    /// Falcon-H1 releases have multipliers in `config.json` that llama.cpp's converter folds into the
    /// weights (`falcon_h1.py`: the embedding ×5.66, the head ×0.039, `in_proj`'s five row blocks each by
    /// its own factor, …) and does not record in the GGUF: the values differ from the original's by
    /// more than any lossless conversion, so the copy is attributed as derived with the rescaling named.
    @Test("llama.cpp's GGUF of a Falcon-H1 with multipliers (folded in by the converter) is attributed as rescaled, the factors named")
    func falconMultipliersFolded() throws {
        let suspect = try Fingerprinter.fingerprint(path: Self.llamaCppDirectory + "/falcon_h1_scaled.gguf")
        let original = try Fingerprinter.fingerprint(path: Self.llamaCppDirectory + "/falcon_h1_scaled")
        let copy = Scan.compare(suspect, original)
        #expect(copy.verdict.kind == .derived, "\(copy.verdict.sentence)")
        #expect(copy.verdict.sentence.contains("rescaled"), "\(copy.verdict.sentence)")
        let rescaled = copy.verdict.evidence.first { $0.hasPrefix("Rescaled matrices") } ?? ""
        for factor in ["lm_head.weight ×0.0391", "model.embed_tokens.weight ×5.66", "model.layers.0.feed_forward.down_proj.weight ×0.586"] {
            #expect(rescaled.contains(factor), "\(factor) in \(rescaled)")
        }
        // in_proj's five row blocks have their own factors: it deviates as a whole, and the evidence says why it may.
        let deviation = copy.verdict.evidence.first { $0.hasPrefix("The deviation") } ?? ""
        #expect(deviation.contains("is rescaled too") && deviation.contains("model.layers.0.mamba.in_proj.weight"), "\(deviation)")
        #expect(!deviation.contains("as further training would produce"), "\(deviation)")
        let unrelated = try Fingerprinter.fingerprint(path: Self.llamaCppDirectory + "/falcon_h1")
        let scan = Scan.run(suspect, against: [("falcon-h1@1", original), ("other-falcon-h1@1", unrelated)])
        #expect(scan.attribution.nearest == "falcon-h1@1", "\(scan.attribution.sentence)")
        #expect(scan.flagged)
    }
}
