import Checkpoints
import Fingerprinting
import Foundation
@testable import Matching
import ModelFixtures
import Perturbation
import SyntheticModels
import Testing

/// A suspect whose tensor names carry no layer numbers (opaque, shuffled names) has its
/// matrices placed in the reference layers they match, so that the layer view says what it
/// says for a copy that kept its names: which layers are held, missing, permuted or foreign.
/// Twelve layers, so that four (1, 4, 7, 10) carry no neuron profiles.
@Suite("Layer placement for suspects without layer names")
struct LayerPlacementTests {
    static let spec = TransformerSpec(family: .llama, vocabSize: 512, hiddenSize: 64, intermediateSize: 176, layerCount: 12, headCount: 4)
    static let model = ModelGenerator.generate(spec, seed: 310)
    static let unprofiled = [1, 4, 7, 10]

    /// The copy's comparison with the model from fingerprints alone, and (with `deep`) again with
    /// the element-by-element evidence.
    static func compare(_ perturbations: [any Perturbation], deep: Bool = false) throws -> (plain: Comparison, deep: Comparison?) {
        try PerturbedPair.with(perturbations, of: model, seed: 11, label: "layer-placement") { pair in
            #expect(pair.suspectPrint.tensors.allSatisfy { $0.layer == nil }, "the opaque names should carry no layers")
            let plain = Scan.compare(pair.suspectPrint, pair.referencePrint)
            guard deep else { return (plain, nil) }
            return (plain, Scan.compare(pair.suspectPrint, pair.referencePrint, fullWeights: try pair.fullWeights(for: plain)))
        }
    }

    static let opaque = TensorRenaming(scheme: .opaque, seed: 9)

    @Test("renamed opaquely and noised: every layer matrix placed by its sketch in its own layer; twelve layer rows, none missing")
    func noised() throws {
        let (comparison, _) = try Self.compare([GaussianNoise(relativeStandardDeviation: 0.01, seed: 1), Self.opaque])
        #expect(comparison.verdict.kind == .derived, "\(comparison.verdict.sentence)")
        #expect(comparison.alignment.placedMatrices == 12 * 7)
        #expect(comparison.layers.compactMap(\.suspectLayer) == Array(0..<12))
        #expect(comparison.layers.filter { $0.suspectLayer != nil }.allSatisfy { $0.matchedBy == "sketch" && $0.referenceLayer == $0.suspectLayer })
        #expect(!comparison.layers.contains { $0.group == "other" })
        #expect(comparison.alignment.droppedReferenceLayers.isEmpty && comparison.alignment.permutedLayers.isEmpty)
        #expect(comparison.tensors.filter { $0.layerPlaced == true }.count == 12 * 7)
        #expect(comparison.verdict.evidence.contains {
            $0.hasPrefix("The suspect's tensor names carry no layer numbers: 84 of its 84 weight matrices outside the embeddings and head are placed")
        }, "\(comparison.verdict.evidence)")
        #expect(!comparison.verdict.evidence.contains { $0.hasPrefix("Reference layers without a counterpart") }, "\(comparison.verdict.evidence)")
    }

    @Test("renamed opaquely with two layers grafted from another model: those layers are missing from the placement and the copy is partial (one 'other' group read as matched before)")
    func grafted() throws {
        let donor = CheckpointModel(ModelGenerator.generate(Self.spec, seed: 311))
        let (comparison, _) = try Self.compare([
            LayerGrafting(donor: donor, layers: [5, 6, 8], donorLabel: "donor"), GaussianNoise(relativeStandardDeviation: 0.01, seed: 1), Self.opaque,
        ])
        #expect(comparison.verdict.kind == .partial, "\(comparison.verdict.sentence)")
        #expect(comparison.alignment.droppedReferenceLayers == [5, 6, 8], "\(comparison.alignment.droppedReferenceLayers)")
        #expect(comparison.layers.compactMap(\.suspectLayer) == [0, 1, 2, 3, 4, 7, 9, 10, 11])
        let other = try #require(comparison.layers.first { $0.group == "other" })
        #expect(other.matchedBy == "none" && other.tensors == 3 * 7)
        #expect(comparison.verdict.evidence.contains("Reference layers without a counterpart: 5, 6, 8."), "\(comparison.verdict.evidence)")
    }

    @Test("renamed opaquely with a layer dropped: the dropped reference layer is named")
    func dropped() throws {
        let (comparison, _) = try Self.compare([LayerSelection(dropping: [3], layerCount: 12), Self.opaque])
        #expect(comparison.verdict.kind == .derived, "\(comparison.verdict.sentence)")
        #expect(comparison.alignment.droppedReferenceLayers == [3])
        #expect(comparison.layers.compactMap(\.suspectLayer) == [0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11])
    }

    @Test("renamed opaquely and permuted (neurons, heads, hidden): the profiled layers are placed and named permuted, the rest not checked; --deep places every matrix")
    func permuted() throws {
        let (plain, deepComparison) = try Self.compare([
            NeuronPermutation(seed: 2), HeadPermutation(seed: 3), HiddenPermutation(seed: 4), Self.opaque,
        ], deep: true)
        #expect(plain.verdict.kind == .derived, "\(plain.verdict.sentence)")
        let profiled = (0..<12).filter { !Self.unprofiled.contains($0) }
        #expect(plain.alignment.permutedLayers == profiled, "\(plain.alignment.permutedLayers)")
        #expect(plain.verdict.sentence.hasPrefix("Derived from reference (permuted): "), "\(plain.verdict.sentence)")
        #expect(!plain.verdict.sentence.contains("weights changed"))
        #expect(plain.verdict.sentence.contains("matrices without layer numbers could not be placed or checked"), "\(plain.verdict.sentence)")
        #expect(plain.layers.filter { $0.suspectLayer != nil }.allSatisfy { $0.matchedBy == "profiles" && $0.referenceLayer == $0.suspectLayer })
        // The unprofiled layers' matrices are not placed: not checked, and their layers not called missing.
        #expect(plain.verdict.evidence.contains { $0.contains("without layer numbers match no sketch and no neuron-profile set") }, "\(plain.verdict.evidence)")
        #expect(plain.alignment.droppedReferenceLayers == Self.unprofiled)
        #expect(!plain.verdict.evidence.contains { $0.hasPrefix("Reference layers without a counterpart") }, "\(plain.verdict.evidence)")
        #expect(plain.profiles.filter { $0.log10P < -6 }.allSatisfy { $0.suspectLayer == $0.referenceLayer })
        // The report's profile heatmap has the placed layers as rows, each matched on the diagonal.
        let heatmap = try #require(plain.heatmaps.first { $0.family == Heatmap.profilesFamily })
        #expect(heatmap.suspectLayers == profiled && heatmap.referenceLayers == profiled)
        #expect(heatmap.cosines.indices.allSatisfy { heatmap.cosines[$0][$0] > 0.99 })

        let deep = try #require(deepComparison)
        #expect(deep.verdict.kind == .derived && deep.verdict.coverage == 1, "\(deep.verdict.sentence)")
        #expect(deep.alignment.placedMatrices == 12 * 7, "\(String(describing: deep.alignment.placedMatrices)) \(deep.fullWeights!.skipped)")
        #expect(deep.layers.compactMap(\.suspectLayer) == Array(0..<12))
        #expect(deep.layers.filter { Self.unprofiled.contains($0.suspectLayer ?? -1) }.allSatisfy { $0.matchedBy == LayerMatch.matchedByWeights })
        #expect(deep.alignment.droppedReferenceLayers.isEmpty)
        #expect(!deep.verdict.sentence.contains("could not be"), "\(deep.verdict.sentence)")
        #expect(deep.verdict.exactCosine == 1)
    }

    @Test("a suspect that keeps its names is not placed")
    func namedNotPlaced() throws {
        let (suspect, reference) = try PerturbedPair.with([GaussianNoise(relativeStandardDeviation: 0.01, seed: 1)], of: Self.model, seed: 11,
                                                          label: "layer-placement-named") { ($0.suspectPrint, $0.referencePrint) }
        #expect(!LayerPlacement.applies(suspect: suspect, reference: reference))
        let comparison = Scan.compare(suspect, reference)
        #expect(comparison.alignment.placedMatrices == nil && !comparison.tensors.contains { $0.layerPlaced != nil })
        #expect(!comparison.verdict.evidence.contains { $0.contains("carry no layer numbers") })
    }
}
