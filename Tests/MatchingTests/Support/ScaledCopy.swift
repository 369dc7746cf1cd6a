import Checkpoints
import Fingerprinting
import Foundation
import Matching
import Perturbation
import SyntheticModels
import Testing

/// Quantized copies written by the product's storage attack (`perturb --dtype TARGET`).
enum ScaledCopy {
    /// `model` written under `directory/name` in `target`'s storage (block-scaled FP8, NVFP4,
    /// packed INT4…), after relative Gaussian `noise` when given; returns the path.
    static func write(_ model: ModelWeights, as target: DTypeConversion.Target, noise: Float? = nil, in directory: String, name: String) throws -> String {
        var checkpoint = CheckpointModel(model, dtype: .f32)
        if let noise { _ = try GaussianNoise(relativeStandardDeviation: noise, seed: 5).apply(to: &checkpoint) }
        _ = try DTypeConversion(target: target).apply(to: &checkpoint)
        let path = directory + "/" + name
        try checkpoint.write(to: path)
        return path
    }

    /// Checks that `suspect`, a quantized copy of `release@1`, is attributed to it as a re-encoding
    /// "quantized to `quantizedTo`", its deviation explained by its own scales (within 25 % of the
    /// prediction), and not called renamed (scale tensors' names are not names of the model).
    static func expectReEncodingOfRelease(
        _ suspect: Fingerprint, against registry: [(label: String, fingerprint: Fingerprint)], quantizedTo: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let scan = Scan.run(suspect, against: registry)
        #expect(scan.attribution.nearest == "release@1", "\(scan.attribution.sentence)", sourceLocation: sourceLocation)
        #expect(scan.attribution.verdict == .reEncoded, "\(scan.attribution.sentence)", sourceLocation: sourceLocation)
        #expect(scan.attribution.sentence.contains("quantized to \(quantizedTo)"), "\(scan.attribution.sentence)", sourceLocation: sourceLocation)
        let verdict = try #require(scan.candidates.first { $0.reference.label == "release@1" }, sourceLocation: sourceLocation).verdict
        let rounding = try #require(verdict.rounding, sourceLocation: sourceLocation)
        #expect(rounding.fromBlockScales && rounding.explained, "\(rounding)", sourceLocation: sourceLocation)
        #expect(abs(rounding.deviation / rounding.expectedRounding - 1) < 0.25, "\(rounding)", sourceLocation: sourceLocation)
        #expect(!verdict.evidence.contains { $0.contains("renamed") }, "\(verdict.evidence)", sourceLocation: sourceLocation)
    }

    /// Checks that the single-file checkpoint `directory/model.safetensors` stores each of
    /// `expected` (found by its stored name) with exactly its bytes, as written, not as delivered.
    static func expectStoredBytes(_ expected: [TensorBytes], in directory: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let reader = try CheckpointReader(path: directory)
        let file = try Data(contentsOf: URL(fileURLWithPath: directory + "/model.safetensors"))
        for tensor in expected {
            let stored = try #require(reader.checkpoint.tensors.first { ($0.storedName ?? $0.name) == tensor.name }, "\(tensor.name)", sourceLocation: sourceLocation)
            #expect(Array(file[Int(stored.offset)..<Int(stored.offset + stored.byteCount)]) == tensor.bytes, "\(tensor.name)", sourceLocation: sourceLocation)
        }
    }
}
