import Checkpoints
import Fingerprinting
import Foundation
@testable import Matching
import ModelFixtures
import Perturbation
import SyntheticModels

/// A model's copy with perturbations applied, written beside the reference as checkpoints in a
/// temporary directory, both opened and fingerprinted. `body` runs while the files exist (the
/// element-by-element comparison reads them); the directory is removed afterwards.
struct PerturbedPair {
    var suspect: CheckpointReader
    var reference: CheckpointReader
    var suspectPrint: Fingerprint
    var referencePrint: Fingerprint

    static func with<Result>(
        _ perturbations: [any Perturbation], of model: ModelWeights, reference: ModelWeights? = nil, seed: UInt64, label: String,
        _ body: (PerturbedPair) throws -> Result
    ) throws -> Result {
        var copy = CheckpointModel(model)
        var plan = PerturbationPlan(seed: seed)
        for perturbation in perturbations { plan.add(perturbation) }
        _ = try plan.apply(to: &copy)
        let directory = Fixtures.temporaryDirectory(label)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try copy.write(to: directory + "/suspect")
        try CheckpointModel(reference ?? model).write(to: directory + "/reference")
        let suspect = try CheckpointReader(path: directory + "/suspect"), original = try CheckpointReader(path: directory + "/reference")
        return try body(PerturbedPair(suspect: suspect, reference: original, suspectPrint: try Fingerprinter.fingerprint(suspect),
                                      referencePrint: try Fingerprinter.fingerprint(original)))
    }

    /// The element-by-element evidence for `comparison`, the fingerprints' comparison of this pair.
    func fullWeights(for comparison: Comparison) throws -> FullWeightEvidence {
        try FullWeightComparison.compare(suspect: suspect, reference: reference, comparison: comparison,
                                         suspectFingerprint: suspectPrint, referenceFingerprint: referencePrint)
    }
}
