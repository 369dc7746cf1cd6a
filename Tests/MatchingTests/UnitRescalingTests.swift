import Checkpoints
import Fingerprinting
import Foundation
@testable import Matching
import ModelFixtures
import Perturbation
import SyntheticModels
import Testing

/// Neurons and heads multiplied by factors of their own (reciprocally, so the function is kept)
/// move every sketch but no neuron profile, which are unit-norm per neuron: where profiles cover
/// a matrix, its change is what the profiles show. Four layers, all profiled.
@Suite("Per-unit rescaling from the fingerprints")
struct UnitRescalingTests {
    static let spec = TransformerSpec(family: .llama, vocabSize: 512, hiddenSize: 64, intermediateSize: 176, layerCount: 4, headCount: 4)
    static let model = ModelGenerator.generate(spec, seed: 320)

    static func compare(_ perturbations: [any Perturbation]) throws -> Comparison {
        try PerturbedPair.with(perturbations, of: model, seed: 13, label: "unit-rescaling") { Scan.compare($0.suspectPrint, $0.referencePrint) }
    }

    @Test("rescaled per head and per neuron: 'rescaled', not 'weights changed'; the sketches' cosines are far lower than the profiles'")
    func rescaled() throws {
        let comparison = try Self.compare([ReciprocalRescaling(seed: 8)])
        #expect(comparison.verdict.sentence.hasPrefix("Derived from reference (rescaled): "), "\(comparison.verdict.sentence)")
        #expect((comparison.verdict.estimatedCosine ?? 0) > 0.99995)
        let line = try #require(comparison.verdict.evidence.first { $0.contains("each neuron or head was multiplied by its own factor") })
        #expect(line.hasPrefix("24 matrices deviate by sketch"), "\(line)")  // q, k, v, o, up, down in 4 layers
        // The sketches alone would say otherwise.
        let sketchCosines = comparison.tensors.filter(\.significant).map { abs($0.cosine) }
        #expect(sketchCosines.min()! < 0.99, "\(sketchCosines)")
    }

    @Test("rescaled and noised by 2 %: 'rescaled, weights changed', the change measured by the profiles")
    func rescaledAndNoised() throws {
        let comparison = try Self.compare([ReciprocalRescaling(seed: 8), GaussianNoise(relativeStandardDeviation: 0.02, seed: 5)])
        #expect(comparison.verdict.sentence.hasPrefix("Derived from reference (rescaled, weights changed): "), "\(comparison.verdict.sentence)")
        let cosine = try #require(comparison.verdict.estimatedCosine)
        #expect(cosine < 0.9999 && cosine > 0.999, "\(cosine) \(comparison.verdict.evidence)")
    }

    @Test("noise alone is not mistaken for rescaling, nor is a fine-tune-sized change")
    func noiseIsNotRescaling() throws {
        for level: Float in [0.02, 0.1] {
            let comparison = try Self.compare([GaussianNoise(relativeStandardDeviation: level, seed: 5)])
            #expect(comparison.verdict.sentence.contains("(weights changed)"), "\(comparison.verdict.sentence)")
            #expect(!comparison.verdict.evidence.contains { $0.contains("multiplied by its own factor") }, "\(comparison.verdict.evidence)")
        }
    }

    @Test("the rule: a sketch deviation 10× the profiles' over the rounding floor")
    func rule() {
        func match(_ name: String, _ cosine: Double) -> TensorMatch {
            TensorMatch(suspectTensor: name, referenceTensor: name, role: "mlp.up", suspectLayer: 0, referenceLayer: 0, parameters: 100,
                        transposed: false, cosine: cosine, z: 30, log10P: -100, comparisons: 1, exact: nil, normRatio: 1, significant: true)
        }
        let profile = ProfileMatch(kind: "mlp", suspectLayer: 0, referenceLayer: 0, suspectTensor: "up", referenceTensor: "up",
                                   matchedNeurons: 64, inputAgreement: 0.99999, crossCheck: 0.998, nullMean: 0, nullStd: 0.01, z: 99,
                                   log10P: -100, permutationPValue: 0.001, identityFraction: 1, comparisons: 1, suspectPairedTensor: "down")
        let found = VerdictRules.unitRescaledMatches([match("up", 0.95), match("down", 0.99), match("gate", 0.95), match("up2", 0.9999)],
                                                     strongProfiles: [profile])
        // up: 1/0.95² − 1 = 0.108 ≥ 10 × 2e-5; down: 1/0.99² − 1 = 0.0203 is not 10 × its T's deviation
        // (0.998: 0.004); gate and up2: no profile covers them.
        #expect(found == ["up": 0.99999])
        #expect(VerdictRules.unitRescaledMatches([match("down", 0.95)], strongProfiles: [profile]) == ["down": 0.998])
        #expect(VerdictRules.unitRescaledMatches([match("up", 0.9996)], strongProfiles: [profile]).isEmpty)  // below the floor
    }
}
