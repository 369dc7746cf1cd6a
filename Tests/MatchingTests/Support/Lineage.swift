import ModelFixtures
import Fingerprinting
import Matching
import SyntheticModels

/// A small model family for lineage tests: a public base, a release fine-tuned from it,
/// an honest sibling fine-tune of the same base, and independent models.
struct Lineage {
    let base: ModelWeights
    let release: ModelWeights
    let sibling: ModelWeights
    let independent: ModelWeights

    init(spec: TransformerSpec = .tinyLlama, seed: UInt64 = 100) {
        base = ModelGenerator.generate(spec, seed: seed)
        release = SimulatedTraining.fineTune(base, seed: seed + 1, strength: 0.05)
        sibling = SimulatedTraining.fineTune(base, seed: seed + 2, strength: 0.05)
        independent = ModelGenerator.generate(spec, seed: seed + 50)
    }

    /// The registry: base, release, one independent model.
    func registry() throws -> [(label: String, fingerprint: Fingerprint)] {
        [("base@1", try Fixtures.fingerprint(base)),
         ("release@1", try Fixtures.fingerprint(release)),
         ("independent@1", try Fixtures.fingerprint(independent))]
    }
}

enum Scan {
    static func identity(_ fingerprint: Fingerprint, _ label: String) -> ModelIdentity {
        ModelIdentity(fingerprint: fingerprint, label: label, kind: "release")
    }

    static func compare(_ suspect: Fingerprint, _ reference: Fingerprint, label: String = "reference",
                        fullWeights: FullWeightEvidence? = nil) -> Comparison {
        PairComparison.compare(suspect: suspect, suspectIdentity: identity(suspect, "suspect"),
                               reference: reference, referenceIdentity: identity(reference, label), fullWeights: fullWeights)
    }

    static func run(_ suspect: Fingerprint, against registry: [(label: String, fingerprint: Fingerprint)]) -> ScanResult {
        let comparisons = registry.map { entry in
            (fingerprint: entry.fingerprint, result: compare(suspect, entry.fingerprint, label: entry.label))
        }
        return LineageAnalysis.attribute(suspect: suspect, suspectIdentity: identity(suspect, "suspect"), comparisons: comparisons)
    }
}

