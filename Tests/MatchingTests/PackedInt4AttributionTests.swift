import Checkpoints
import Fingerprinting
import Foundation
import Matching
import ModelFixtures
import Perturbation
import SyntheticModels
import Testing

/// W4A16 copies in compressed-tensors' `pack-quantized` format (as llm-compressor writes them),
/// written by `perturb --dtype int4`.
@Suite("Packed INT4 copies are attributed with the rounding their group scales predict")
struct PackedInt4AttributionTests {
    static let lineage = FormatAttributionTests.wideLineage
    static let registry = FormatAttributionTests.wideRegistry

    /// `model` written by `perturb --dtype int4` (compressed-tensors' symmetric INT4 per group
    /// of 128, `NAME_packed` + `NAME_scale` + `NAME_shape`) under `directory`.
    static func packedCopy(of model: ModelWeights, in directory: String) throws -> String {
        try ScaledCopy.write(model, as: .int4, in: directory, name: "w4a16")
    }

    @Test("an INT4 (W4A16) copy of the release is a re-encoding whose deviation its group scales predict; the sibling's goes to the base, with the limit of what 4 bits hide")
    func copy() throws {
        let directory = Fixtures.temporaryDirectory("int4")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try Self.packedCopy(of: Self.lineage.release, in: directory)
        let opened = try CheckpointReader(path: path)
        #expect(opened.checkpoint.tensors.filter { $0.dtype == .i4 && $0.scale != nil }.count == Self.lineage.release.spec.layerCount * 7)
        try ScaledCopy.expectReEncodingOfRelease(try Fingerprinter.fingerprint(path: path), against: Self.registry,
                                                 quantizedTo: "I4 with 1×128 block scales")

        try FileManager.default.createDirectory(atPath: directory + "/sibling", withIntermediateDirectories: true)
        let sibling = Scan.run(try Fingerprinter.fingerprint(path: try Self.packedCopy(of: Self.lineage.sibling, in: directory + "/sibling")),
                               against: Self.registry)
        #expect(sibling.attribution.nearest == "base@1", "\(sibling.attribution.sentence)")
        // The sibling's fine-tune (≈ 0.05 of the norm) is smaller than what 4-bit rounding can hide
        // (≈ 0.1): attributed to the base, called a re-encoding, with the limit stated.
        let evidence = try #require(sibling.candidates.first { $0.reference.label == "base@1" }).verdict.evidence
        #expect(evidence.contains { $0.contains("would not show") }, "\(evidence)")
    }
}
