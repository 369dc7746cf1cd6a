import Checkpoints
import Fingerprinting
import Foundation
import Matching
import ModelFixtures
import SyntheticModels
import Testing

/// `compare --deep`: the matched matrices of two checkpoints on disk, element by element.
@Suite("Full-weight comparison of two checkpoints")
struct FullWeightComparisonTests {
    static let release = LineageTests.lineage.release

    /// Writes `model` (with `layout`) and the release to fresh directories, compares their
    /// fingerprints, then the full weights.
    static func deep(_ model: ModelWeights, layout: Fixtures.Layout = .init(), bandElements: Int = 1 << 20,
                     maximumTransposedElements: Int = FullWeightComparison.maximumTransposedElements) throws -> (Comparison, FullWeightEvidence) {
        let directory = Fixtures.temporaryDirectory("deep")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for side in ["suspect", "reference"] { try FileManager.default.createDirectory(atPath: directory + "/" + side, withIntermediateDirectories: true) }
        let suspectPath = try Fixtures.write(model, to: directory + "/suspect", layout: layout)
        let referencePath = try Fixtures.write(release, to: directory + "/reference")
        let comparison = Scan.compare(try Fingerprinter.fingerprint(path: suspectPath), try Fingerprinter.fingerprint(path: referencePath))
        let evidence = try FullWeightComparison.compare(
            suspect: try CheckpointReader(path: suspectPath), reference: try CheckpointReader(path: referencePath),
            matches: comparison.tensors, bandElements: bandElements, maximumTransposedElements: maximumTransposedElements)
        return (comparison, evidence)
    }

    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    @Test("a noised copy: every matched matrix compared, the difference is the noise (1 % of the std), Gaussian, unscaled")
    func noise() throws {
        let (comparison, evidence) = try Self.deep(TestAttacks.noise(Self.release, relative: 0.01, seed: 5))
        #expect(evidence.pairs.count == comparison.tensors.filter(\.significant).count)
        #expect(evidence.pairs.count >= 20 && evidence.skipped.isEmpty)
        let difference = Self.median(evidence.pairs.map(\.relativeDifference))
        #expect(difference > 0.009 && difference < 0.011, "\(difference)")
        #expect(evidence.pairs.allSatisfy { abs($0.scale - 1) < 0.001 && $0.identicalFraction < 0.01 })
        let kurtosis = Self.median(evidence.pairs.compactMap(\.differenceKurtosis))
        #expect(abs(kurtosis) < 0.3, "\(kurtosis)")
        // The sketch estimate agrees with the exact cosine.
        for pair in evidence.pairs {
            let estimate = try #require(comparison.tensors.first { $0.suspectTensor == pair.suspectTensor }).cosine
            #expect(abs(estimate - pair.cosine) < 0.001, "\(pair.suspectTensor): \(estimate) vs \(pair.cosine)")
        }
        #expect(evidence.summary.first?.hasPrefix("\(evidence.pairs.count) matched matrices compared element by element") == true)
    }

    @Test("a renamed copy stored transposed is identical element by element; band size does not change a bit")
    func transposedCopy() throws {
        let names = Set(Self.release.tensors.filter { $0.shape.count == 2 }.map(\.name))
        let layout = Fixtures.Layout(rename: { "x." + $0 }, transposed: names)
        let (_, evidence) = try Self.deep(Self.release, layout: layout)
        #expect(!evidence.pairs.isEmpty)
        #expect(evidence.pairs.allSatisfy { $0.identicalFraction == 1 && $0.cosine > 0.999_999 && $0.differenceKurtosis == nil })
        #expect(evidence.pairs.contains { $0.transposed })
        #expect(evidence.summary[0].contains("\(evidence.pairs.count) identical"))
        // Transposed pairs above the limit are skipped with the reason.
        let (_, limited) = try Self.deep(Self.release, layout: layout, maximumTransposedElements: 16)
        #expect(limited.pairs.allSatisfy { !$0.transposed })
        #expect(limited.skipped.count == evidence.pairs.filter(\.transposed).count)
        #expect(limited.skipped.allSatisfy { $0.reason == "stored transposed and larger than 16 elements" })

        let noised = TestAttacks.noise(Self.release, relative: 0.05, seed: 9)
        let (_, wide) = try Self.deep(noised, bandElements: 1 << 20)
        let (_, narrow) = try Self.deep(noised, bandElements: 100)
        #expect(wide == narrow)
    }

    @Test("an extended vocabulary is compared on its common rows; a Q8_0 GGUF differs by its rounding")
    func vocabularyAndQuantization() throws {
        let extended = StructuralEdits.extendVocabulary(Self.release, rows: 64, seed: 3)
        let (_, evidence) = try Self.deep(extended)
        let embedding = try #require(evidence.pairs.first { $0.suspectTensor.contains("embed") })
        let referenceRows = try #require(Self.release.tensors.first { $0.name == embedding.referenceTensor }).shape
        #expect(embedding.elements == referenceRows[0] * referenceRows[1])
        #expect(embedding.identicalFraction == 1)

        let directory = Fixtures.temporaryDirectory("deep-gguf")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let referencePath = try Fixtures.write(Self.release, to: directory)
        let reader = try CheckpointReader(path: referencePath)
        let gguf = directory + "/copy.gguf"
        try CheckpointConversion.writeGGUF(from: reader, to: gguf, options: .init(
            matrixType: .q8_0, otherType: .f32, architecture: "llama", headCount: Self.release.spec.headCount, headCountKV: Self.release.spec.keyValueHeadCount))
        let suspect = try Fingerprinter.fingerprint(path: gguf)
        let comparison = Scan.compare(suspect, try Fingerprinter.fingerprint(path: referencePath))
        let quantized = try FullWeightComparison.compare(suspect: try CheckpointReader(path: gguf), reference: reader, matches: comparison.tensors)
        #expect(quantized.pairs.count == comparison.tensors.filter(\.significant).count)
        // The exact difference is the rounding the block scales predict, within 20 %.
        let rounding = try #require(comparison.verdict.rounding)
        let difference = Self.median(quantized.pairs.map(\.relativeDifference))
        #expect(abs(difference / rounding.expectedRounding - 1) < 0.2, "\(difference) vs \(rounding.expectedRounding)")
    }
}
