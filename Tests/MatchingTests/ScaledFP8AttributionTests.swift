import Checkpoints
import Fingerprinting
import Foundation
import Matching
import ModelFixtures
import Perturbation
import SyntheticModels
import Testing

/// Block-scaled FP8 copies (DeepSeek-V3 and Qwen3-FP8 layout: F8_E4M3 codes with one factor per
/// 128 × 128 block in `…weight_scale_inv`), and copies of a release published that way.
@Suite("Block-scaled FP8 copies are attributed with the rounding their factors predict")
struct ScaledFP8AttributionTests {
    static let lineage = FormatAttributionTests.wideLineage
    static let registry = FormatAttributionTests.wideRegistry

    /// `model` written as a block-scaled FP8 checkpoint (after `noise`, when given) under `directory`.
    static func fp8Copy(of model: ModelWeights, noise: Float? = nil, in directory: String, name: String = "fp8") throws -> String {
        try ScaledCopy.write(model, as: .fp8Block, noise: noise, in: directory, name: name)
    }

    static func scan(_ path: String) throws -> ScanResult {
        Scan.run(try Fingerprinter.fingerprint(path: path), against: registry)
    }

    @Test("an FP8 copy of the release is a re-encoding, its deviation what the factors predict")
    func copy() throws {
        let directory = Fixtures.temporaryDirectory("fp8")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try Self.fp8Copy(of: Self.lineage.release, in: directory)
        let opened = try CheckpointReader(path: path)
        // Every layer matrix is scaled FP8; the embedding and the output head stay BF16, as in DeepSeek-V3.
        #expect(opened.checkpoint.tensors.filter { $0.scale != nil }.count == Self.lineage.release.spec.layerCount * 7)
        #expect(opened.checkpoint.tensors.filter { $0.name.contains("embed") || $0.name.contains("lm_head") }.allSatisfy { $0.dtype == .bf16 })
        let scan = try Self.scan(path)
        #expect(scan.attribution.nearest == "release@1", "\(scan.attribution.sentence)")
        #expect(scan.attribution.verdict == .reEncoded, "\(scan.attribution.sentence)")
        #expect(scan.attribution.sentence.contains("quantized to F8_E4M3 with 128×128 block scales"), "\(scan.attribution.sentence)")
        let verdict = try #require(scan.candidates.first { $0.reference.label == "release@1" }).verdict
        let rounding = try #require(verdict.rounding)
        #expect(rounding.fromBlockScales && rounding.explained)
        #expect(abs(rounding.deviation / rounding.expectedRounding - 1) < 0.2, "\(rounding)")
        #expect(verdict.evidence.contains { $0.contains("the file's own scale factors predict") }, "\(verdict.evidence)")
    }

    @Test("noise before quantizing to FP8 is measured as a change, and the sibling is derived from the base")
    func changedThenQuantized() throws {
        let directory = Fixtures.temporaryDirectory("fp8")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let noisy = try Self.scan(try Self.fp8Copy(of: Self.lineage.release, noise: 0.06, in: directory, name: "noisy"))
        #expect(noisy.attribution.nearest == "release@1", "\(noisy.attribution.sentence)")
        #expect(noisy.attribution.verdict == .derived, "\(noisy.attribution.sentence)")
        #expect(noisy.attribution.sentence.contains("weights changed, then quantized"), "\(noisy.attribution.sentence)")
        let rounding = try #require(noisy.candidates.first { $0.reference.label == "release@1" }?.verdict.rounding)
        #expect(rounding.fromBlockScales && !rounding.explained)
        #expect(rounding.change > 0.045 && rounding.change < 0.075, "\(rounding)")

        let sibling = try Self.scan(try Self.fp8Copy(of: Self.lineage.sibling, in: directory, name: "sibling"))
        #expect(sibling.attribution.nearest == "base@1", "\(sibling.attribution.sentence)")
        #expect(sibling.attribution.verdict == .derived, "\(sibling.attribution.sentence)")
    }

    @Test("against a release published as block-scaled FP8, its exact F32 dequantization shares every canonical digest and a BF16 one is a re-encoding")
    func scaledReference() throws {
        let directory = Fixtures.temporaryDirectory("fp8")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let published = try Self.fp8Copy(of: Self.lineage.release, in: directory, name: "published")
        let reference = try Fingerprinter.fingerprint(path: published)
        var dequantized: [DTypeConversion.Target: Fingerprint] = [:]
        for target in [DTypeConversion.Target.f32, .bf16] {
            var model = try CheckpointModel.read(from: published)
            #expect(model.entries.allSatisfy { !$0.name.hasSuffix("_scale_inv") })
            _ = try DTypeConversion(target: target).apply(to: &model)
            let path = directory + "/dequantized-\(target.rawValue)"
            try model.write(to: path)
            dequantized[target] = try Fingerprinter.fingerprint(path: path)
        }
        let f32 = try #require(dequantized[.f32])
        #expect(f32.roots.canonical == reference.roots.canonical)
        let exact = Scan.compare(f32, reference, label: "release-fp8")
        #expect(exact.exact.canonicalRootEqual && exact.verdict.kind == .reEncoded, "\(exact.verdict.sentence)")

        let bf16 = Scan.compare(try #require(dequantized[.bf16]), reference, label: "release-fp8")
        #expect(bf16.verdict.kind == .reEncoded, "\(bf16.verdict.sentence)")
        #expect(bf16.verdict.evidence.contains { $0.contains("with the reference's own rounding to F8_E4M3 with 128×128 block scales") }, "\(bf16.verdict.evidence)")
        // The original release (never rounded to FP8) is a re-encoding of the FP8 release too.
        let original = Scan.compare(try Fixtures.fingerprint(Self.lineage.release), reference, label: "release-fp8")
        #expect(original.verdict.kind == .reEncoded, "\(original.verdict.sentence)")
    }
}
