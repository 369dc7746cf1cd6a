import Checkpoints
import Fingerprinting
import Foundation
@testable import Matching
import ModelFixtures
import Perturbation
import SyntheticModels
import Testing

/// `compare --deep` on copies whose rows and columns were renumbered or removed: the indices are
/// recovered from the weights (`IndexMatching`) and the kept values compared element by element.
@Suite("Full-weight comparison with recovered indices (permuted and width-pruned copies)")
struct RecoveredIndicesTests {
    static let lineage = Lineage()

    // MARK: - Signature matching

    /// `count` signatures of `width` Gaussian values.
    static func signatures(_ count: Int, width: Int, seed: UInt64) -> [Float] {
        var generator = SplitMix64(seed: seed)
        return (0..<count * width).map { _ in generator.nextGaussian() }
    }

    static func rows(_ values: [Float], width: Int, _ indices: [Int]) -> [Float] {
        indices.flatMap { values[$0 * width..<($0 + 1) * width] }
    }

    @Test("a permutation of signatures is recovered exactly; with 5 % noise too")
    func permutation() {
        let width = 64
        let reference = Self.signatures(300, width: width, seed: 1)
        var generator = SplitMix64(seed: 2)
        let order = Array(0..<300).shuffled(using: &generator)
        let suspect = Self.rows(reference, width: width, order)
        let exact = IndexMatching.match(suspect: suspect, reference: reference, width: width)
        #expect(exact.map == order.map { Optional($0) })
        #expect(exact.correlations.allSatisfy { $0 == 1 })
        #expect(IndexMatching.order(of: exact.map, referenceCount: 300) == .renumbered)

        let noisy = suspect.map { $0 + 0.05 * generator.nextGaussian() }
        let recovered = IndexMatching.match(suspect: noisy, reference: reference, width: width)
        #expect(recovered.map == order.map { Optional($0) })
        #expect(recovered.correlations.allSatisfy { $0 > 0.99 && $0 < 1 })
    }

    @Test("a subset in order is found in order; the identity is unchanged")
    func subset() {
        let width = 48
        let reference = Self.signatures(176, width: width, seed: 3)
        let kept = Array(0..<176).filter { $0 % 4 != 1 }
        let result = IndexMatching.match(suspect: Self.rows(reference, width: width, kept), reference: reference, width: width)
        #expect(result.map == kept.map { Optional($0) })
        #expect(IndexMatching.order(of: result.map, referenceCount: 176) == .inOrder)
        let identity = IndexMatching.match(suspect: reference, reference: reference, width: width)
        #expect(IndexMatching.order(of: identity.map, referenceCount: 176) == .unchanged)
    }

    @Test("unrelated signatures match nothing; constant ones never match; each reference index is taken once")
    func unrelatedAndDegenerate() {
        let width = 128
        let reference = Self.signatures(2000, width: width, seed: 4)
        let unrelated = IndexMatching.match(suspect: Self.signatures(2000, width: width, seed: 5), reference: reference, width: width)
        #expect(unrelated.map.allSatisfy { $0 == nil })

        // Two suspect copies of reference row 7 (one noisier): only the closer one gets it.
        var generator = SplitMix64(seed: 6)
        let row = Array(reference[7 * width..<8 * width])
        let close = row.map { $0 + 0.01 * generator.nextGaussian() }, far = row.map { $0 + 0.2 * generator.nextGaussian() }
        let constant = [Float](repeating: 0.5, count: width)
        let result = IndexMatching.match(suspect: far + close + constant, reference: reference + constant, width: width)
        #expect(result.map == [nil, 7, nil])
    }

    // MARK: - Checkpoints

    /// The release with `perturbations` applied and the release itself, both written to disk,
    /// compared by fingerprint and then in full.
    static func deep(_ perturbations: [any Perturbation], model: ModelWeights = lineage.release,
                     reference: ModelWeights = lineage.release) throws -> (Comparison, FullWeightEvidence) {
        let (comparison, evidence, _) = try settled(perturbations, model: model, reference: reference)
        return (comparison, evidence)
    }

    /// `deep`, and the comparison made again with the figures (`compare --deep`'s verdict).
    static func settled(_ perturbations: [any Perturbation], model: ModelWeights = lineage.release,
                        reference: ModelWeights = lineage.release) throws -> (Comparison, FullWeightEvidence, Comparison) {
        try PerturbedPair.with(perturbations, of: model, reference: reference, seed: 7, label: "recovered") { pair in
            let comparison = Scan.compare(pair.suspectPrint, pair.referencePrint)
            let evidence = try pair.fullWeights(for: comparison)
            return (comparison, evidence, Scan.compare(pair.suspectPrint, pair.referencePrint, fullWeights: evidence))
        }
    }

    @Test("hidden width and MLP pruned by a quarter: every matrix lined up, every kept value the release's own (exact pruning)")
    func exactPruning() throws {
        let (comparison, evidence) = try Self.deep([NeuronPruning(fraction: 0.25), HiddenPruning(fraction: 0.25)])
        #expect(comparison.tensors.allSatisfy { !$0.significant })  // no sketch lines anything up
        #expect(evidence.pairs.count == 30 && evidence.skipped.isEmpty, "\(evidence.skipped)")
        #expect(evidence.pairs.allSatisfy { $0.identicalFraction == 1 && $0.cosine > 0.999_999 })
        for pair in evidence.pairs {
            let indices = try #require(pair.recoveredIndices)
            #expect(indices.suspectHidden == 48 && indices.referenceHidden == 64 && indices.matchedHidden == 48 && indices.hiddenOrder == .inOrder)
            #expect(indices.matchedUnits == indices.suspectUnits)
            if pair.suspectTensor.contains("mlp") {
                #expect(indices.suspectUnits == 132 && indices.referenceUnits == 176 && indices.unitOrder == .inOrder, "\(pair.suspectTensor)")
                #expect(pair.elements == 132 * 48)
            } else {
                #expect(indices.unitOrder == .unchanged, "\(pair.suspectTensor)")
            }
        }
        #expect(evidence.summary.contains("The hidden width was lined up by its values in the embeddings: all 48 of the suspect's dimensions are found among the reference's 64, in the reference's order (16 removed: width pruning)."),
                "\(evidence.summary)")
        #expect(evidence.summary.contains { $0.hasPrefix("Every value these matrices kept is the reference's own, bit for bit") && $0.contains("(exact width pruning)") },
                "\(evidence.summary)")
    }

    @Test("heads pruned, then noise: the kept attention rows found in order, the noise measured")
    func prunedHeadsWithNoise() throws {
        let (_, evidence) = try Self.deep([HeadPruning(fraction: 0.5), GaussianNoise(relativeStandardDeviation: 0.02, seed: 3)])
        let attention = evidence.pairs.filter { $0.suspectTensor.contains("self_attn") }
        #expect(attention.count == 16)
        for pair in attention {
            let indices = try #require(pair.recoveredIndices, "\(pair.suspectTensor)")
            #expect(indices.unitOrder == .inOrder && indices.matchedUnits == indices.suspectUnits && indices.suspectUnits < indices.referenceUnits,
                    "\(pair.suspectTensor): \(indices)")
            #expect(abs(pair.relativeDifference - 0.02) < 0.002 && pair.identicalFraction < 0.01, "\(pair.suspectTensor): \(pair.relativeDifference)")
        }
        #expect(!evidence.summary.contains { $0.contains("bit for bit") })
    }

    @Test("neurons, heads and hidden dimensions permuted, then noise: every matrix lined up (renumbered), its difference the noise")
    func permutedWithNoise() throws {
        let (comparison, evidence) = try Self.deep([NeuronPermutation(seed: 1), HeadPermutation(seed: 2), HiddenPermutation(seed: 3),
                                                    GaussianNoise(relativeStandardDeviation: 0.01, seed: 4)])
        #expect(comparison.verdict.kind == .derived)
        #expect(evidence.pairs.count == 30 && evidence.skipped.isEmpty, "\(evidence.skipped)")
        for pair in evidence.pairs {
            let indices = try #require(pair.recoveredIndices, "\(pair.suspectTensor)")
            #expect(indices.hiddenOrder == .renumbered && indices.matchedHidden == 64)
            #expect(indices.matchedUnits == indices.suspectUnits, "\(pair.suspectTensor): \(indices)")
            #expect(abs(pair.relativeDifference - 0.01) < 0.001, "\(pair.suspectTensor): \(pair.relativeDifference)")
        }
        #expect(evidence.pairs.filter { $0.recoveredIndices!.unitOrder == .renumbered }.count == 28)  // not the embedding and head rows
        #expect(evidence.summary.contains { $0.contains("renumbered (a hidden permutation)") }, "\(evidence.summary)")
    }

    @Test("twelve layers, hidden and neurons permuted: derived (the 4 layers without neuron profiles not checked), and --deep lines those up too")
    func layersBeyondProfiles() throws {
        let spec = TransformerSpec(family: .llama, vocabSize: 512, hiddenSize: 64, intermediateSize: 176, layerCount: 12, headCount: 4)
        let model = ModelGenerator.generate(spec, seed: 300)
        let (comparison, evidence) = try Self.deep([HiddenPermutation(seed: 1), NeuronPermutation(seed: 2)], model: model, reference: model)
        #expect(Set(comparison.profiles.map(\.suspectLayer)).count == 8)
        // Without --deep the four layers without profiles show nothing either way: not checked, not "partial".
        #expect(comparison.verdict.kind == .derived, "\(comparison.verdict.sentence)")
        #expect(comparison.verdict.sentence.contains("; 4 layers without neuron profiles could not be checked."), "\(comparison.verdict.sentence)")
        #expect(comparison.verdict.evidence.contains { $0.hasPrefix("Layers ") && $0.contains("carry no neuron profiles") }, "\(comparison.verdict.evidence)")
        #expect(evidence.pairs.count == 12 * 7 + 2 && evidence.skipped.isEmpty, "\(evidence.skipped)")
        #expect(evidence.pairs.allSatisfy { $0.identicalFraction == 1 && $0.recoveredIndices?.hiddenOrder == .renumbered })
    }

    @Test("permuted and renamed opaquely (no layers, roles from shapes): the profiled matrices and their partners line up, the unprofiled MLP input is found among the reference's unclaimed ones; all 30, and the verdict says permuted")
    func opaqueNames() throws {
        let (_, evidence, settled) = try Self.settled([NeuronPermutation(seed: 1), HeadPermutation(seed: 2), HiddenPermutation(seed: 3), TensorRenaming(scheme: .opaque, seed: 4)])
        #expect(evidence.pairs.count == 30 && evidence.skipped.isEmpty, "\(evidence.pairs.map(\.suspectTensor)) \(evidence.skipped)")
        #expect(evidence.pairs.allSatisfy { $0.identicalFraction == 1 && $0.recoveredIndices?.hiddenOrder == .renumbered })
        #expect(evidence.pairs.filter { $0.recoveredIndices?.suspectUnits == 512 }.count == 2)  // embedding and head, whichever role their shapes gave
        // Each reference matrix is held by one suspect matrix.
        #expect(Set(evidence.pairs.map(\.referenceTensor)).count == 30)
        #expect(evidence.summary.contains { $0.contains("(exact permutation)") }, "\(evidence.summary)")
        #expect(settled.verdict.sentence.contains("(permuted"), "\(settled.verdict.sentence)")
    }

    @Test("only neurons permuted: the pairs that line up as stored keep their direct figures; the MLP is lined up")
    func neuronsOnly() throws {
        let (_, evidence) = try Self.deep([NeuronPermutation(seed: 5)])
        #expect(evidence.pairs.count == 30)
        for pair in evidence.pairs {
            #expect(pair.identicalFraction == 1)
            if pair.suspectTensor.contains("mlp") {
                #expect(pair.recoveredIndices?.unitOrder == .renumbered && pair.recoveredIndices?.hiddenOrder == .unchanged, "\(pair.suspectTensor)")
            } else {
                #expect(pair.recoveredIndices == nil, "\(pair.suspectTensor)")
            }
        }
        #expect(evidence.summary.contains { $0.contains("(exact permutation)") }, "\(evidence.summary)")
    }

    @Test("an independent model: nothing lined up, with the reason")
    func independent() throws {
        let (comparison, evidence) = try Self.deep([], model: Self.lineage.independent)
        #expect(comparison.verdict.kind == .independent)
        #expect(evidence.pairs.isEmpty)
        #expect(evidence.summary == ["No matched matrix could be compared element by element (only 0 of 64 hidden dimensions match one of the reference's one to one, and no change of basis fitted to the embeddings lines them up (retrained or unrelated weights))."],
                "\(evidence.summary)")
    }

    @Test("a rotated residual stream: no one-to-one hidden map, one change of basis fitted to the embeddings lines every matrix up; the summary says how")
    func rotated() throws {
        let (comparison, evidence) = try Self.deep([ResidualRotation(seed: 6)])
        #expect(comparison.verdict.kind == .derived)
        #expect(!evidence.pairs.isEmpty && evidence.skipped.isEmpty, "\(evidence.skipped)")
        #expect(evidence.pairs.allSatisfy { $0.recoveredIndices?.hiddenOrder == .rotated && $0.cosine > 0.9999 }, "\(evidence.pairs.map(\.cosine))")
        #expect(evidence.summary.contains { $0.hasPrefix("No hidden dimension is the reference's, but one change of basis X lines the stream up") }, "\(evidence.summary)")
        #expect(RecoveredIndices.Order.rotated.rawValue == "rotated")
        let pair = try #require(evidence.pairs.first)
        #expect(pair.recoveredIndices!.shortText.hasPrefix("hidden 64/64 rotated"), "\(pair.recoveredIndices!.shortText)")
        let decoded = try JSONDecoder().decode(FullWeightEvidence.self, from: JSONEncoder().encode(evidence))
        #expect(decoded == evidence)

        // Stored transposed as well ((in, out)): each side's vectors along its own axis.
        let (_, transposed) = try Self.deep([ResidualRotation(seed: 6), TransposedStorage()])
        #expect(transposed.pairs.count == evidence.pairs.count && transposed.skipped.isEmpty, "\(transposed.skipped)")
        #expect(transposed.pairs.allSatisfy { $0.recoveredIndices?.hiddenOrder == .rotated && $0.cosine > 0.9999 }, "\(transposed.pairs.map(\.cosine))")
    }
}
