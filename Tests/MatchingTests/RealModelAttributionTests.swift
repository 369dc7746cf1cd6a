import CheckpointFixtures
import Checkpoints
import Fingerprinting
import Foundation
import Matching
import ModelFixtures
import Perturbation
import SyntheticModels
import Testing

/// The case the project started from, on real weights: the real all-MiniLM-L6-v2 (cached by
/// `make fetch-models`, which `make test` runs first) laundered like "Llama3-V" — renamed,
/// noised, neurons, heads and hidden dimensions permuted, stored as BF16 — must be attributed
/// to its bundled fingerprint, and an independent model of the same shapes must not.
@Suite("The real all-MiniLM-L6-v2, laundered")
struct RealModelAttributionTests {
    static let fingerprintPath = RealModels.repository.appendingPathComponent("Fingerprints/all-MiniLM-L6-v2@pypi-0.1.0.fingerprint.safetensors").path

    static func compare(_ suspect: Fingerprint, with registered: Fingerprint) -> Comparison {
        Matcher.compare(suspect, suspectIdentity: ModelIdentity(fingerprint: suspect, label: "suspect", kind: "checkpoint"),
                        with: .init(label: "all-MiniLM-L6-v2@pypi-0.1.0", fingerprint: registered))
    }

    @Test("a renamed, noised, permuted BF16 copy is derived from the bundled fingerprint; an independent BERT is not")
    func launderedCopy() throws {
        try #require(RealModels.miniLMIsCached, "\(RealModels.miniLMMissing)")
        let registered = try Fingerprint.read(from: Self.fingerprintPath).fingerprint

        var model = try CheckpointModel.read(from: RealModels.miniLM)
        // Read before renaming: a renamed model is no longer recognised as BERT.
        let spec = model.spec
        var plan = PerturbationPlan(seed: 2024)
        plan.add(NeuronPermutation(seed: plan.seed(for: .permuteNeurons)))
        plan.add(HeadPermutation(seed: plan.seed(for: .permuteHeads)))
        plan.add(HiddenPermutation(seed: plan.seed(for: .permuteHidden)))
        plan.add(GaussianNoise(relativeStandardDeviation: 0.05, seed: plan.seed(for: .noise)))
        plan.add(DTypeConversion(target: .bf16))
        plan.add(TensorRenaming(scheme: .gpt, seed: plan.seed(for: .rename)))
        _ = try plan.apply(to: &model)
        let directory = Fixtures.temporaryDirectory("minilm-copy")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try model.write(to: directory + "/copy")
        let copy = try Fingerprinter.fingerprint(path: directory + "/copy")

        let result = Self.compare(copy, with: registered)
        #expect(result.verdict.kind == .derived, "\(result.verdict.sentence)")
        #expect(result.verdict.log10P < -1000, "\(result.verdict.sentence)")
        #expect(result.alignment.permutedLayers == Array(0..<6))
        #expect(result.alignment.sharedTensorNames == 0)

        // Same architecture and initialisation recipe, independent weights: not flagged.
        guard let spec else {
            Issue.record("all-MiniLM-L6-v2 was not recognised as a BERT checkpoint")
            return
        }
        let independent = try Fixtures.fingerprint(ModelGenerator.generate(spec, seed: 7))
        let null = Self.compare(independent, with: registered)
        #expect(null.verdict.kind == .independent, "\(null.verdict.sentence)")
        #expect(!null.verdict.isFlagged)
    }

    @Test("a width-pruned real copy (a quarter of the MLP neurons gone, noised, BF16, renamed) is derived and width-pruned, not permuted")
    func widthPrunedCopy() throws {
        try #require(RealModels.miniLMIsCached, "\(RealModels.miniLMMissing)")
        let registered = try Fingerprint.read(from: Self.fingerprintPath).fingerprint
        var model = try CheckpointModel.read(from: RealModels.miniLM)
        var plan = PerturbationPlan(seed: 2025)
        plan.add(NeuronPruning(fraction: 0.25))
        plan.add(GaussianNoise(relativeStandardDeviation: 0.02, seed: plan.seed(for: .noise)))
        plan.add(DTypeConversion(target: .bf16))
        plan.add(TensorRenaming(scheme: .gpt, seed: plan.seed(for: .rename)))
        _ = try plan.apply(to: &model)
        let directory = Fixtures.temporaryDirectory("minilm-pruned")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try model.write(to: directory + "/copy")
        let copy = try Fingerprinter.fingerprint(path: directory + "/copy")

        let result = Self.compare(copy, with: registered)
        #expect(result.verdict.kind == .derived, "\(result.verdict.sentence)")
        #expect(result.verdict.sentence.contains("width-pruned") && !result.verdict.sentence.contains("permuted"), "\(result.verdict.sentence)")
        #expect(result.alignment.permutedLayers.isEmpty)
        #expect(result.alignment.widthChanges == [WidthChange(kind: "mlp", suspectWidth: 1152, referenceWidth: 1536, layers: Array(0..<6), orderKept: true)],
                "\(result.verdict.evidence)")
    }

    @Test("compare --deep on a real copy with permuted neurons and heads, noised, BF16, renamed: every layer matrix lined up, its difference the noise")
    func deepPermutedCopy() throws {
        try #require(RealModels.miniLMIsCached, "\(RealModels.miniLMMissing)")
        var model = try CheckpointModel.read(from: RealModels.miniLM)
        var plan = PerturbationPlan(seed: 2026)
        plan.add(NeuronPermutation(seed: plan.seed(for: .permuteNeurons)))
        plan.add(HeadPermutation(seed: plan.seed(for: .permuteHeads)))
        plan.add(GaussianNoise(relativeStandardDeviation: 0.02, seed: plan.seed(for: .noise)))
        plan.add(DTypeConversion(target: .bf16))
        plan.add(TensorRenaming(scheme: .gpt, seed: plan.seed(for: .rename)))
        _ = try plan.apply(to: &model)
        let directory = Fixtures.temporaryDirectory("minilm-deep")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try model.write(to: directory + "/copy")
        let suspect = try CheckpointReader(path: directory + "/copy"), reference = try CheckpointReader(path: RealModels.miniLM)
        let suspectPrint = try Fingerprinter.fingerprint(suspect), referencePrint = try Fingerprinter.fingerprint(reference)
        let result = Self.compare(suspectPrint, with: referencePrint)
        let evidence = try FullWeightComparison.compare(suspect: suspect, reference: reference, comparison: result,
                                                        suspectFingerprint: suspectPrint, referenceFingerprint: referencePrint)
        let lined = evidence.pairs.filter { $0.recoveredIndices?.unitOrder == .renumbered }
        #expect(lined.count == 36, "\(evidence.pairs.map(\.suspectTensor)) \(evidence.skipped)")  // q, k, v, o and both MLP matrices of 6 layers
        for pair in lined {
            let indices = try #require(pair.recoveredIndices)
            #expect(indices.hiddenOrder == .unchanged && indices.matchedUnits == indices.suspectUnits, "\(pair.suspectTensor): \(indices)")
            // 2 % noise plus BF16 rounding (≈ 0.2 % of the norm).
            #expect(pair.relativeDifference > 0.0195 && pair.relativeDifference < 0.0215, "\(pair.suspectTensor): \(pair.relativeDifference)")
        }
        #expect(evidence.pairs.allSatisfy { $0.cosine > 0.999 }, "\(evidence.pairs.map(\.cosine))")
        // The verdict with the weights: every matrix lined up, the change measured exactly.
        let settled = Matcher.compare(suspectPrint, suspectIdentity: ModelIdentity(fingerprint: suspectPrint, label: "suspect", kind: "checkpoint"),
                                      with: .init(label: "all-MiniLM-L6-v2@pypi-0.1.0", fingerprint: referencePrint), fullWeights: evidence)
        #expect(settled.verdict.kind == .derived && settled.verdict.coverage == 1, "\(settled.verdict.sentence)")
        #expect(settled.verdict.sentence.contains("(permuted, weights changed)"), "\(settled.verdict.sentence)")
        let cosine = try #require(settled.verdict.exactCosine)
        #expect(cosine > 0.9997 && cosine < 0.9999, "\(cosine)")  // 1 − 0.02²/2
        #expect(settled.verdict.log10P == result.verdict.log10P)
    }

    @Test("a 1-bit (Q1_0) GGUF of the real weights is a quantized re-encoding, not a permuted derivative")
    func oneBitGGUF() throws {
        try #require(RealModels.miniLMIsCached, "\(RealModels.miniLMMissing)")
        let registered = try Fingerprint.read(from: Self.fingerprintPath).fingerprint
        var model = try CheckpointModel.read(from: RealModels.miniLM)
        _ = try GGUFExport(type: .q1_0).apply(to: &model)
        let directory = Fixtures.temporaryDirectory("minilm-q1")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try model.write(to: directory + "/copy")
        let copy = try Fingerprinter.fingerprint(path: directory + "/copy")
        #expect(copy.source.format == "gguf")
        #expect(copy.tensors.filter { $0.dtype == "Q1_0" }.count == 40)  // every 2-D float tensor: rows of 384 are 3 blocks

        let result = Self.compare(copy, with: registered)
        // At 1 bit the neuron alignment of nearly tied neurons goes astray; the matrices still
        // match position by position, so nothing is reported as permuted.
        #expect(result.alignment.permutedLayers.isEmpty, "\(result.verdict.evidence)")
        #expect(result.verdict.kind == .reEncoded, "\(result.verdict.sentence)")
        #expect(result.verdict.sentence.contains("quantized to Q1_0"), "\(result.verdict.sentence)")
    }

    @Test("a block-scaled FP8 copy of the real weights (DeepSeek-V3 layout) is a re-encoding its factors predict; 5 % noise before it is a change")
    func blockScaledFP8() throws {
        try #require(RealModels.miniLMIsCached, "\(RealModels.miniLMMissing)")
        let registered = try Fingerprint.read(from: Self.fingerprintPath).fingerprint
        let directory = Fixtures.temporaryDirectory("minilm-fp8")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for noise in [nil, Float(0.05)] {
            var model = try CheckpointModel.read(from: RealModels.miniLM)
            if let noise { _ = try GaussianNoise(relativeStandardDeviation: noise, seed: 9).apply(to: &model) }
            _ = try DTypeConversion(target: .fp8Block).apply(to: &model)
            let path = directory + "/copy-\(noise ?? 0)"
            try model.write(to: path)
            let copy = try Fingerprinter.fingerprint(path: path)
            #expect(copy.tensors.filter { $0.scale != nil }.count == 37)  // 6 layers × 6 matrices and the pooler; the embeddings stay BF16
            let result = Self.compare(copy, with: registered)
            let rounding = try #require(result.verdict.rounding)
            print(String(format: "real MiniLM, block-scaled FP8 (noise %@): deviation %.4f, predicted %.4f, change %.4f",
                         "\(noise ?? 0)", rounding.deviation, rounding.expectedRounding, rounding.change))
            #expect(rounding.fromBlockScales)
            if noise == nil {
                #expect(result.verdict.kind == .reEncoded, "\(result.verdict.sentence)")
                #expect(abs(rounding.deviation / rounding.expectedRounding - 1) < 0.2, "\(rounding)")
            } else {
                #expect(result.verdict.kind == .derived, "\(result.verdict.sentence)")
                #expect(rounding.change > 0.035 && rounding.change < 0.065, "\(rounding)")
            }
        }
    }
}
