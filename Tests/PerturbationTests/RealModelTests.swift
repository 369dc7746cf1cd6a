import CheckpointFixtures
import Foundation
import Perturbation
import SyntheticModels
import Testing

/// The real all-MiniLM-L6-v2, cached by `make fetch-models` (which `make test` runs first;
/// tests never download). Without it the test fails and says how to get it.
@Suite("Real all-MiniLM-L6-v2")
struct RealModelTests {
    @Test("every function-preserving attack keeps the real model's hidden states")
    func functionPreserving() throws {
        try #require(RealModels.miniLMIsCached, "\(RealModels.miniLMMissing)")
        let original = try CheckpointModel.read(from: RealModels.miniLM)
        let spec = try #require(original.spec)
        #expect(spec == TransformerSpec(family: .bert, vocabSize: 30522, hiddenSize: 384, intermediateSize: 1536, layerCount: 6,
                                        headCount: 12, maxPositions: 512))
        // "[CLS] the quick brown fox jumps [SEP]" in the BERT uncased vocabulary.
        let tokens = [101, 1996, 4248, 2829, 4419, 14523, 102]
        let before = try Models.forward(original, tokens: tokens)

        var model = original
        var plan = PerturbationPlan(seed: 42)
        plan.add(NeuronPermutation(seed: plan.seed(for: .permuteNeurons)))
        plan.add(HeadPermutation(seed: plan.seed(for: .permuteHeads)))
        plan.add(ReciprocalRescaling(seed: plan.seed(for: .rescale)))
        plan.add(HiddenPermutation(seed: plan.seed(for: .permuteHidden)))
        plan.add(Resharding(shards: 3))
        _ = try plan.apply(to: &model)
        let directory = Models.temporaryDirectory("minilm")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try model.write(to: directory + "/out")
        let reread = try CheckpointModel.read(from: directory + "/out")
        #expect(reread.spec == spec)

        let after = try Models.forward(reread, tokens: tokens)
        let p = HiddenPermutation(seed: plan.seed(for: .permuteHidden)).permutation(hiddenSize: 384)
        var unpermuted = after
        for t in 0..<after.rows { for i in 0..<384 { unpermuted[t, p[i]] = after[t, i] } }
        #expect(before.relativeDifference(to: unpermuted) < 1e-4, "relative difference \(before.relativeDifference(to: unpermuted))")
        #expect(before.relativeDifference(to: after) > 0.1)
    }
}
