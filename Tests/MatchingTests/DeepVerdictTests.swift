import Checkpoints
import Fingerprinting
import Foundation
@testable import Matching
import ModelFixtures
import Perturbation
import SyntheticModels
import Testing

/// The verdict of `compare --deep`: what the weights show settles what the fingerprints leave
/// open — layers no fingerprint evidence reached (neuron profiles cover 8 layers; permuted,
/// pruned and rotated layers match no sketch), and whether the weights were changed. Twelve
/// layers, so that four (1, 4, 7, 10) carry no neuron profiles.
@Suite("compare --deep settles the verdict")
struct DeepVerdictTests {
    static let spec = TransformerSpec(family: .llama, vocabSize: 512, hiddenSize: 64, intermediateSize: 176, layerCount: 12, headCount: 4)
    static let model = ModelGenerator.generate(spec, seed: 300)
    static let unprofiled = [1, 4, 7, 10]

    /// The copy's comparison with the model from fingerprints alone, and again with the
    /// element-by-element evidence.
    static func compare(_ perturbations: [any Perturbation]) throws -> (plain: Comparison, deep: Comparison) {
        try PerturbedPair.with(perturbations, of: model, seed: 7, label: "deep-verdict") { pair in
            let plain = Scan.compare(pair.suspectPrint, pair.referencePrint)
            return (plain, Scan.compare(pair.suspectPrint, pair.referencePrint, fullWeights: try pair.fullWeights(for: plain)))
        }
    }

    static func layers(_ comparison: Comparison, matchedBy: String) -> [Int] {
        comparison.layers.filter { $0.matchedBy == matchedBy }.compactMap(\.suspectLayer)
    }

    @Test("permuted: the four layers without profiles are matched by the weights, permuted too; 100 % matched, exact cosine 1; the p-value is the fingerprints'")
    func permuted() throws {
        let (plain, deep) = try Self.compare([HiddenPermutation(seed: 1), NeuronPermutation(seed: 2)])
        #expect(plain.verdict.kind == .derived && plain.verdict.sentence.contains("4 layers without neuron profiles could not be checked"), "\(plain.verdict.sentence)")
        #expect(deep.verdict.kind == .derived, "\(deep.verdict.sentence)")
        #expect(Self.layers(deep, matchedBy: LayerMatch.matchedByWeights) == Self.unprofiled)
        #expect(deep.layers.filter { $0.suspectLayer != nil }.allSatisfy { $0.matchedBy != "none" })
        #expect(deep.layers.filter { Self.unprofiled.contains($0.suspectLayer ?? -1) }.allSatisfy { $0.referenceLayer == $0.suspectLayer && $0.meanCosine == 1 })
        #expect(deep.alignment.permutedLayers == Array(0..<12))
        #expect(deep.alignment.droppedReferenceLayers.isEmpty)
        #expect(deep.verdict.coverage == 1 && deep.verdict.exactCosine == 1)
        #expect(deep.verdict.sentence.hasPrefix("Derived from reference (permuted): ") && deep.verdict.sentence.hasSuffix(", exact cosine 1.0000, 100% of weights matched."),
                "\(deep.verdict.sentence)")
        #expect(deep.verdict.evidence.contains { $0.hasPrefix("Layers 1, 4, 7, 10 and the head, which no fingerprint evidence matched, hold the reference's weights") },
                "\(deep.verdict.evidence)")
        #expect(!deep.verdict.evidence.contains { $0.contains("carry no neuron profiles") })
        #expect(deep.verdict.log10P == plain.verdict.log10P)
        #expect(deep.fullWeights != nil && plain.fullWeights == nil)
    }

    @Test("permuted with three unprofiled layers grafted from another model: derived from fingerprints (unchecked), partial once the weights show those layers are foreign")
    func graftedOutsideTheProfiles() throws {
        let donor = CheckpointModel(ModelGenerator.generate(Self.spec, seed: 301))
        let (plain, deep) = try Self.compare([LayerGrafting(donor: donor, layers: [1, 4, 10], donorLabel: "donor"),
                                              HiddenPermutation(seed: 1), NeuronPermutation(seed: 2)])
        #expect(plain.verdict.kind == .derived, "\(plain.verdict.sentence)")
        #expect(deep.verdict.kind == .partial, "\(deep.verdict.sentence)")
        #expect(Self.layers(deep, matchedBy: LayerMatch.matchedByWeights) == [7])
        #expect(Self.layers(deep, matchedBy: "none") == [1, 4, 10])
        // 9 of 12 layers; the parameter share (with embeddings and head) is a little higher.
        #expect(deep.verdict.coverage > 0.75 && deep.verdict.coverage < MatchingOptions().derivedCoverage, "\(deep.verdict.coverage)")
        #expect(deep.verdict.evidence.contains { $0.hasPrefix("Layers 1, 4, 10 were read element by element: no row or column of their 21 matrices is one of the reference's, in the aligned layer or any other") },
                "\(deep.verdict.evidence)")
        #expect(deep.fullWeights!.unrelatedTensors.count == 21)
    }

    @Test("permuted with two unprofiled layers swapped: each found in the other's place (not called foreign), the order change named")
    func swappedOutsideTheProfiles() throws {
        let (plain, deep) = try Self.compare([LayerSelection(keeping: [0, 4, 2, 3, 1, 5, 6, 7, 8, 9, 10, 11]),
                                              HiddenPermutation(seed: 1), NeuronPermutation(seed: 2)])
        #expect(plain.verdict.kind == .derived && plain.verdict.sentence.contains("4 layers without neuron profiles could not be checked"), "\(plain.verdict.sentence)")
        #expect(deep.verdict.kind == .derived && deep.verdict.coverage == 1, "\(deep.verdict.sentence)")
        let moved = deep.layers.filter { [1, 4].contains($0.suspectLayer ?? -1) }
        #expect(moved.map(\.referenceLayer) == [4, 1] && moved.allSatisfy { $0.matchedBy == LayerMatch.matchedByWeights })
        #expect(deep.fullWeights!.unrelatedTensors.isEmpty)
        #expect(deep.alignment.reordered && deep.verdict.evidence.contains("Layers appear in a different order than in the reference."))
    }

    @Test("permuted with a layer dropped: the profiled layers no longer meet the reference's, which leaves them unchecked (not partial); the weights line everything up")
    func droppedLayer() throws {
        let (plain, deep) = try Self.compare([LayerSelection(dropping: [4], layerCount: 12), HiddenPermutation(seed: 1), NeuronPermutation(seed: 2)])
        // 11 layers: profiled 0, 1, 3, 4, 6, 7, 9, 10 of the copy; 1, 6 and 9 stand for reference layers 1, 7 and 10, which have none.
        #expect(plain.verdict.kind == .derived, "\(plain.verdict.sentence)")  // was "partial, 46 %"
        #expect(plain.verdict.sentence.contains("6 layers without neuron profiles could not be checked"), "\(plain.verdict.sentence)")
        #expect(plain.verdict.evidence.contains("Reference layers without a counterpart: 4."), "\(plain.verdict.evidence)")
        #expect(deep.verdict.kind == .derived && deep.verdict.coverage == 1, "\(deep.verdict.sentence)")
        #expect(deep.layers.compactMap(\.suspectLayer).map { layer in deep.layers.first { $0.suspectLayer == layer }!.referenceLayer }
                == [0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11])
        #expect(deep.verdict.evidence.contains("Reference layers without a counterpart: 4."), "\(deep.verdict.evidence)")
    }

    @Test("permuted with layers 4–7 repeated (a depth up-scaled copy, 16 layers): every repeat found at the layer it repeats, none called foreign")
    func repeatedLayers() throws {
        let (plain, deep) = try Self.compare([LayerSelection(keeping: Array(0...7) + Array(4...11)), HiddenPermutation(seed: 1), NeuronPermutation(seed: 2)])
        #expect(plain.verdict.kind == .derived, "\(plain.verdict.sentence)")
        #expect(deep.verdict.kind == .derived && deep.verdict.coverage == 1, "\(deep.verdict.sentence)")
        #expect(deep.fullWeights!.unrelatedTensors.isEmpty, "\(deep.fullWeights!.skipped)")
        let map = deep.layers.filter { $0.suspectLayer != nil }.map(\.referenceLayer)
        #expect(map == (Array(0...7) + Array(4...11)).map { Optional($0) }, "\(map)")
        #expect(deep.alignment.reordered)
    }

    @Test("hidden width pruned: derived (width-pruned) from fingerprints too, the unprofiled layers named as unchecked, and lined up by the weights")
    func hiddenPruned() throws {
        let (plain, deep) = try Self.compare([HiddenPruning(fraction: 0.25)])
        // Before: "partial" — every matrix is resized, so no sketch matched the unprofiled layers.
        #expect(plain.verdict.kind == .derived && plain.verdict.sentence.contains("(width-pruned)"), "\(plain.verdict.sentence)")
        #expect(plain.verdict.sentence.contains("4 layers without neuron profiles could not be checked"), "\(plain.verdict.sentence)")
        #expect(deep.verdict.kind == .derived && deep.verdict.coverage == 1, "\(deep.verdict.sentence)")
        #expect(deep.verdict.sentence.contains("(width-pruned)") && !deep.verdict.sentence.contains("could not be checked"), "\(deep.verdict.sentence)")
        #expect(deep.alignment.permutedLayers.isEmpty)  // pruning keeps the order
    }

    @Test("residual stream permuted: named from fingerprints (permuted or rotated), precisely with the weights")
    func residualStream() throws {
        let (plain, deep) = try Self.compare([HiddenPermutation(seed: 3)])
        #expect(plain.verdict.kind == .derived && plain.verdict.sentence.contains("(residual stream permuted or rotated)"), "\(plain.verdict.sentence)")
        #expect(deep.verdict.sentence.contains("(residual stream permuted)") && deep.verdict.coverage == 1, "\(deep.verdict.sentence)")
        #expect(deep.verdict.evidence.contains { $0.contains("the residual stream's dimensions were renumbered") })
        #expect(deep.alignment.permutedLayers.isEmpty)  // neurons in place
    }

    @Test("residual stream rotated: 'permuted or rotated' with its unprofiled layers unchecked from fingerprints; rotated, every layer matched, exact cosine ≈ 1 with the weights")
    func rotatedStream() throws {
        let (plain, deep) = try Self.compare([ResidualRotation(seed: 4)])
        #expect(plain.verdict.kind == .derived, "\(plain.verdict.sentence)")
        #expect(plain.verdict.sentence.contains("(residual stream permuted or rotated)") && plain.verdict.sentence.contains("4 layers without neuron profiles could not be checked"),
                "\(plain.verdict.sentence)")
        // The unchecked layers' counterparts are unknown, not missing.
        #expect(plain.alignment.droppedReferenceLayers == Self.unprofiled)
        #expect(!plain.verdict.evidence.contains { $0.hasPrefix("Reference layers without a counterpart") }, "\(plain.verdict.evidence)")

        #expect(deep.verdict.kind == .derived && deep.verdict.coverage == 1, "\(deep.verdict.sentence)")
        #expect(deep.verdict.sentence.hasPrefix("Derived from reference (residual stream rotated): ") && !deep.verdict.sentence.contains("could not be checked"),
                "\(deep.verdict.sentence)")
        #expect(deep.verdict.exactCosine.map { $0 > 0.99999 } == true, "\(String(describing: deep.verdict.exactCosine))")
        #expect(Self.layers(deep, matchedBy: LayerMatch.matchedByWeights) == Self.unprofiled)
        #expect(deep.layers.filter { Self.unprofiled.contains($0.suspectLayer ?? -1) }.allSatisfy { $0.referenceLayer == $0.suspectLayer })
        #expect(deep.verdict.evidence.contains { $0.contains("the residual stream was rotated (lined up element by element through an orthogonal matrix") },
                "\(deep.verdict.evidence)")
        let indices = deep.fullWeights!.pairs.compactMap(\.recoveredIndices)
        #expect(indices.count == deep.fullWeights!.pairs.count && indices.allSatisfy { $0.hiddenOrder == .rotated && $0.unitOrder == .unchanged })
        #expect(indices.allSatisfy { ($0.rotation?.heldOutResidual ?? 1) < 1e-4 && ($0.rotation?.orthogonalityError ?? 1) < 1e-3 })
        #expect(deep.verdict.log10P == plain.verdict.log10P)
    }

    @Test("rotated, neurons permuted, three unprofiled layers grafted from another model: partial once the weights show those layers are foreign; 2 % noise is 'weights changed'")
    func rotatedGraftAndNoise() throws {
        let donor = CheckpointModel(ModelGenerator.generate(Self.spec, seed: 301))
        let (plain, deep) = try Self.compare([LayerGrafting(donor: donor, layers: [1, 4, 10], donorLabel: "donor"),
                                              ResidualRotation(seed: 4), NeuronPermutation(seed: 2)])
        #expect(plain.verdict.kind == .derived, "\(plain.verdict.sentence)")
        #expect(deep.verdict.kind == .partial, "\(deep.verdict.sentence)")
        #expect(Self.layers(deep, matchedBy: LayerMatch.matchedByWeights) == [7])
        #expect(Self.layers(deep, matchedBy: "none") == [1, 4, 10])
        #expect(deep.fullWeights!.unrelatedTensors.count == 21)
        #expect(deep.fullWeights!.pairs.compactMap(\.recoveredIndices).contains { $0.hiddenOrder == .rotated && $0.unitOrder == .renumbered })

        let (_, noised) = try Self.compare([ResidualRotation(seed: 4), GaussianNoise(relativeStandardDeviation: 0.02, seed: 5)])
        #expect(noised.verdict.sentence.hasPrefix("Derived from reference (residual stream rotated, weights changed): "), "\(noised.verdict.sentence)")
        #expect(noised.verdict.exactCosine.map { $0 > 0.99 && $0 < 0.9999 } == true, "\(String(describing: noised.verdict.exactCosine))")
    }

    @Test("permuted with 2 % noise: the fingerprints cannot see the change, the weights can (weights changed, exact cosine ≈ 0.9998)")
    func noisedPermutation() throws {
        let (plain, deep) = try Self.compare([HiddenPermutation(seed: 1), NeuronPermutation(seed: 2),
                                              GaussianNoise(relativeStandardDeviation: 0.02, seed: 5)])
        #expect(plain.verdict.sentence.hasPrefix("Derived from reference (permuted): "), "\(plain.verdict.sentence)")
        #expect(deep.verdict.sentence.hasPrefix("Derived from reference (permuted, weights changed): "), "\(deep.verdict.sentence)")
        let cosine = try #require(deep.verdict.exactCosine)
        #expect(cosine > 0.9997 && cosine < 0.9999, "\(cosine)")
        #expect(deep.verdict.sentence.contains(String(format: "exact cosine %.4f", cosine)))
    }

    @Test("reciprocally rescaled and permuted: the weights show the rescaling the permutation hid from the sketches")
    func rescaledPermutation() throws {
        let (plain, deep) = try Self.compare([ReciprocalRescaling(seed: 8), HiddenPermutation(seed: 1), NeuronPermutation(seed: 2)])
        #expect(!plain.verdict.sentence.contains("rescaled"), "\(plain.verdict.sentence)")
        #expect(deep.verdict.sentence.contains("rescaled") && deep.verdict.coverage == 1, "\(deep.verdict.sentence)")
        #expect(!deep.fullWeights!.rescaledTensors.isEmpty)
    }

    @Test("reciprocally rescaled per head and per neuron: 'weights changed' from the sketches of the unprofiled layers, only 'rescaled' with the weights (each row or column its own factor, cosine after them ≈ 1); 2 % noise stays 'weights changed'")
    func unitRescaling() throws {
        let (plain, deep) = try Self.compare([ReciprocalRescaling(seed: 8)])
        // The profiles show the 8 profiled layers' matrices rescaled unit by unit; the sketches of the
        // 4 unprofiled layers still see a lower cosine.
        #expect(plain.verdict.sentence.contains("weights changed"), "\(plain.verdict.sentence)")
        #expect(plain.verdict.evidence.contains { $0.hasPrefix("48 matrices deviate by sketch") }, "\(plain.verdict.evidence)")
        #expect(deep.verdict.sentence.hasPrefix("Derived from reference (rescaled): "), "\(deep.verdict.sentence)")
        #expect(deep.verdict.exactCosine.map { $0 > 0.99999 } == true, "\(String(describing: deep.verdict.exactCosine))")
        let rescaled = deep.fullWeights!.pairs.filter(FullWeightEvidence.isUnitRescaled)
        #expect(rescaled.count >= 12 * 4, "\(rescaled.map(\.suspectTensor))")  // q, k, v, o or gate, up, down in every layer
        #expect(rescaled.allSatisfy { $0.cosine < 0.999 && ($0.unitScaledCosine ?? 0) > 0.99999 && $0.unitScaleAxis != nil })
        #expect(deep.fullWeights!.summary.contains { $0.contains("with each row or column multiplied by its own factor") }, "\(deep.fullWeights!.summary)")

        let (_, noised) = try Self.compare([ReciprocalRescaling(seed: 8), GaussianNoise(relativeStandardDeviation: 0.02, seed: 5)])
        #expect(noised.verdict.sentence.contains("weights changed") && noised.fullWeights!.pairs.allSatisfy { !FullWeightEvidence.isUnitRescaled($0) },
                "\(noised.verdict.sentence)")
    }

    @Test("the verdict's exact cosine and a skipped matrix's `unrelated` mark survive JSON; reports without them still decode")
    func schema() throws {
        let donor = CheckpointModel(ModelGenerator.generate(Self.spec, seed: 301))
        let (_, deep) = try Self.compare([LayerGrafting(donor: donor, layers: [1], donorLabel: "donor"), HiddenPermutation(seed: 1)])
        let decoded = try JSONDecoder().decode(Comparison.self, from: JSONEncoder().encode(deep))
        #expect(decoded.verdict.exactCosine == deep.verdict.exactCosine && decoded.verdict.exactCosine != nil)
        #expect(decoded.fullWeights?.skipped.filter { $0.unrelated == true }.count == 7)
        let old = try JSONDecoder().decode(FullWeightEvidence.Skipped.self, from: Data(#"{"suspectTensor":"a","reason":"b"}"#.utf8))
        #expect(old.unrelated == nil)
        var verdict = try JSONSerialization.jsonObject(with: JSONEncoder().encode(deep.verdict)) as! [String: Any]
        verdict["exactCosine"] = nil
        #expect(try JSONDecoder().decode(Verdict.self, from: JSONSerialization.data(withJSONObject: verdict)).exactCosine == nil)
    }
}
