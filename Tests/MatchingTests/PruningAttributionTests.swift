import CheckpointFixtures
import Checkpoints
import Fingerprinting
import Foundation
@testable import Matching
import ModelFixtures
import Perturbation
import SyntheticModels
import Testing

/// Width-pruned copies (Minitron-style structured pruning of MLP neurons and hidden
/// dimensions): attributed to the release, and described as pruned, not permuted.
@Suite("Width pruning: pruned copies are the release, width-pruned")
struct PruningAttributionTests {
    static let lineage = Lineage()
    static let registry = try! lineage.registry()

    /// The release with `perturbations` applied, fingerprinted from a written checkpoint.
    static func suspect(_ weights: ModelWeights, _ perturbations: [any Perturbation]) throws -> Fingerprint {
        var model = CheckpointModel(weights)
        var plan = PerturbationPlan(seed: 7)
        for perturbation in perturbations { plan.add(perturbation) }
        _ = try plan.apply(to: &model)
        let directory = Fixtures.temporaryDirectory("pruned")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try model.write(to: directory + "/model")
        return try Fingerprinter.fingerprint(path: directory + "/model")
    }

    static func releaseComparison(_ scan: ScanResult) throws -> Comparison {
        try #require(scan.candidates.first { $0.reference.label == "release@1" })
    }

    @Test("MLP neurons pruned by a quarter, then noise (distillation) → derived from the release, width-pruned, weights changed, not permuted")
    func prunedNeurons() throws {
        // Noise of 3 % (estimated cosine ≈ 0.9996 on the unpruned matrices), well above the 1 % at which "weights changed" starts.
        let fingerprint = try Self.suspect(Self.lineage.release, [NeuronPruning(fraction: 0.25), GaussianNoise(relativeStandardDeviation: 0.03, seed: 3)])
        let scan = Scan.run(fingerprint, against: Self.registry)
        #expect(scan.attribution.verdict == .derived && scan.attribution.nearest == "release@1", "\(scan.attribution.sentence)")
        let comparison = try Self.releaseComparison(scan)
        #expect(comparison.verdict.sentence.contains("(width-pruned, weights changed)"), "\(comparison.verdict.sentence)")
        #expect(comparison.alignment.permutedLayers.isEmpty)
        #expect(comparison.alignment.widthChanges == [WidthChange(kind: "mlp", suspectWidth: 132, referenceWidth: 176, layers: [0, 1, 2, 3], orderKept: true)])
        #expect(comparison.verdict.evidence.contains("Layers 0, 1, 2, 3 keep 132 of the reference's 176 MLP neurons (75%), in the reference's order (structured width pruning)."),
                "\(comparison.verdict.evidence)")
        #expect(!comparison.verdict.evidence.contains { $0.contains("permuted") }, "\(comparison.verdict.evidence)")
        for profile in comparison.profiles where profile.kind == "mlp" {
            #expect(profile.suspectNeurons == 132 && profile.referenceNeurons == 176)
            #expect(profile.identityFraction < 0.5 && (profile.orderFraction ?? 0) > 0.95, "\(profile)")
        }
    }

    @Test("the other way round (the full model against its pruned copy) the MLP reads as widened")
    func widened() throws {
        let pruned = try Self.suspect(Self.lineage.release, [NeuronPruning(fraction: 0.25)])
        let release = Self.registry.first { $0.label == "release@1" }!.fingerprint
        let comparison = Scan.compare(release, pruned)
        #expect(comparison.verdict.kind == .derived && comparison.verdict.sentence.contains("(widened)"), "\(comparison.verdict.sentence)")
        #expect(comparison.alignment.widthChanges == [WidthChange(kind: "mlp", suspectWidth: 176, referenceWidth: 132, layers: [0, 1, 2, 3], orderKept: true)])
        #expect(comparison.verdict.evidence.contains("Layers 0, 1, 2, 3 have 176 MLP neurons against the reference's 132 (widened)."), "\(comparison.verdict.evidence)")
    }

    @Test("pruned and then permuted neurons → both named")
    func prunedAndPermuted() throws {
        let fingerprint = try Self.suspect(Self.lineage.release, [NeuronPruning(fraction: 0.25), NeuronPermutation(seed: 4)])
        let comparison = try Self.releaseComparison(Scan.run(fingerprint, against: Self.registry))
        #expect(comparison.verdict.kind == .derived)
        #expect(comparison.verdict.sentence.contains("(permuted, width-pruned)"), "\(comparison.verdict.sentence)")
        #expect(comparison.alignment.permutedLayers == [0, 1, 2, 3])
        #expect(comparison.alignment.widthChanges == [WidthChange(kind: "mlp", suspectWidth: 132, referenceWidth: 176, layers: [0, 1, 2, 3], orderKept: false)])
    }

    @Test("MLP pruned and heads permuted → permuted and width-pruned, weights not changed (the heads left in place do not count)")
    func prunedWithPermutedHeads() throws {
        // A permutation of 4 heads keeps some in place and often half in order: neither a weak
        // sketch match on those heads nor the order of whole heads is taken for unchanged or pruned.
        let fingerprint = try Self.suspect(Self.lineage.release, [NeuronPruning(fraction: 0.25), HeadPermutation(seed: 5970539339401259)])
        let comparison = try Self.releaseComparison(Scan.run(fingerprint, against: Self.registry))
        #expect(comparison.verdict.kind == .derived)
        #expect(comparison.verdict.sentence.contains("(permuted, width-pruned)"), "\(comparison.verdict.sentence)")
        #expect(comparison.alignment.permutedLayers == [0, 1, 2, 3])
        #expect((comparison.verdict.estimatedCosine ?? 1) > 0.9999, "\(comparison.verdict.sentence)")
        #expect(comparison.profiles.contains { $0.kind.hasPrefix("attention") && ($0.orderFraction ?? 1) < 0.9 && ($0.orderFraction ?? 0) >= 0.5 },
                "\(comparison.profiles.map { ($0.kind, $0.orderFraction) })")
    }

    @Test("hidden width and MLP pruned together (nothing matches position by position) → derived from the release through neuron profiles")
    func prunedHiddenAndNeurons() throws {
        let fingerprint = try Self.suspect(Self.lineage.release, [NeuronPruning(fraction: 0.25), HiddenPruning(fraction: 0.25)])
        #expect(fingerprint.structure.hiddenSize == 48)
        let scan = Scan.run(fingerprint, against: Self.registry)
        #expect(scan.attribution.verdict == .derived && scan.attribution.nearest == "release@1", "\(scan.attribution.sentence)")
        let comparison = try Self.releaseComparison(scan)
        #expect(comparison.tensors.allSatisfy { !$0.significant })
        let changes = try #require(comparison.alignment.widthChanges)
        #expect(changes.first == WidthChange(kind: "hidden", suspectWidth: 48, referenceWidth: 64, layers: [], orderKept: nil))
        #expect(changes.contains(WidthChange(kind: "mlp", suspectWidth: 132, referenceWidth: 176, layers: [0, 1, 2, 3], orderKept: true)))
        #expect(comparison.verdict.evidence.contains("The hidden (residual) width is 48 against the reference's 64: 16 dimensions removed, 75% kept (width pruning)."),
                "\(comparison.verdict.evidence)")
        #expect(comparison.alignment.permutedLayers.isEmpty)
    }

    @Test("a quarter of the attention heads pruned, then noise → derived, the value/output and query/key channels reported")
    func prunedHeads() throws {
        let fingerprint = try Self.suspect(Self.lineage.release, [HeadPruning(fraction: 0.25), GaussianNoise(relativeStandardDeviation: 0.01, seed: 3)])
        let comparison = try Self.releaseComparison(Scan.run(fingerprint, against: Self.registry))
        #expect(comparison.verdict.kind == .derived && comparison.verdict.sentence.contains("width-pruned"), "\(comparison.verdict.sentence)")
        #expect(comparison.alignment.permutedLayers.isEmpty)
        #expect(comparison.alignment.widthChanges == [
            WidthChange(kind: "attention.vo", suspectWidth: 48, referenceWidth: 64, layers: [0, 1, 2, 3], orderKept: true),
            WidthChange(kind: "attention.qk", suspectWidth: 48, referenceWidth: 64, layers: [0, 1, 2, 3], orderKept: true),
        ], "\(comparison.verdict.evidence)")
        #expect(comparison.verdict.evidence.contains("Layers 0, 1, 2, 3 keep 48 of the reference's 64 value/output channels (75%), in the reference's order (structured width pruning)."),
                "\(comparison.verdict.evidence)")
    }

    @Test("opaque shuffled names (no layer structure): the pruned MLP is matched through standalone profiles with fewer neurons")
    func prunedWithOpaqueNames() throws {
        let fingerprint = try Self.suspect(Self.lineage.release, [
            NeuronPruning(fraction: 0.25), GaussianNoise(relativeStandardDeviation: 0.01, seed: 3), TensorRenaming(scheme: .opaque, seed: 5),
        ])
        #expect(!fingerprint.profiles.isEmpty && fingerprint.profiles.allSatisfy { $0.kind.hasPrefix("matrix.") })
        let scan = Scan.run(fingerprint, against: Self.registry)
        #expect(scan.attribution.verdict == .derived && scan.attribution.nearest == "release@1", "\(scan.attribution.sentence)")
        let comparison = try Self.releaseComparison(scan)
        #expect(comparison.alignment.widthChanges == [WidthChange(kind: "mlp", suspectWidth: 132, referenceWidth: 176, layers: [0, 1, 2, 3], orderKept: true)],
                "\(comparison.verdict.evidence)")
        let mlp = comparison.profiles.filter { $0.kind == "mlp" }
        // Placed in the reference layer each matched (the suspect's names carry no layers).
        #expect(mlp.count == 4 && mlp.allSatisfy { $0.suspectLayer == $0.referenceLayer && $0.suspectNeurons == 132 })
        #expect(Set(mlp.map(\.suspectLayer)) == [0, 1, 2, 3] && comparison.alignment.placedMatrices != nil)
    }

    @Test("an independent model pruned the same way is not attributed, and no width change is reported")
    func prunedIndependent() throws {
        let fingerprint = try Self.suspect(Self.lineage.independent, [NeuronPruning(fraction: 0.25), HiddenPruning(fraction: 0.25)])
        let release = Scan.compare(fingerprint, Self.registry.first { $0.label == "release@1" }!.fingerprint)
        #expect(release.verdict.kind == .independent, "\(release.verdict.sentence)")
        #expect(release.alignment.widthChanges == nil)
        let scan = Scan.run(fingerprint, against: Self.registry)
        #expect(scan.attribution.nearest == "independent@1" || scan.attribution.verdict == .independent, "\(scan.attribution.sentence)")
        #expect(!scan.candidates.contains { $0.reference.label == "release@1" && $0.verdict.isFlagged })
    }

    @Test("the order statistic: the longest order-keeping run of aligned pairs")
    func orderFraction() {
        #expect(ProfileMatching.orderFraction([]) == 0)
        #expect(ProfileMatching.orderFraction([(0, 0), (1, 2), (2, 5), (3, 9)]) == 1)
        #expect(ProfileMatching.orderFraction([(0, 3), (1, 2), (2, 1), (3, 0)]) == 0.25)
        // Pairs come in any order; one neuron out of place.
        #expect(ProfileMatching.orderFraction([(3, 7), (0, 1), (2, 9), (1, 4)]) == 0.75)
    }
}
