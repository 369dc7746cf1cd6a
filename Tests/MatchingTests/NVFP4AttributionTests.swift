import Checkpoints
import Fingerprinting
import Foundation
import Matching
import ModelFixtures
import Perturbation
import SyntheticModels
import Testing

/// NVFP4 copies (ModelOpt's layout: U8 E2M1 codes, F8_E4M3 scales per 16 values in
/// `…weight_scale`, an F32 per-tensor scale in `…weight_scale_2`), written by `perturb --dtype nvfp4`.
@Suite("NVFP4 copies are attributed with the rounding their scales predict")
struct NVFP4AttributionTests {
    static let lineage = FormatAttributionTests.wideLineage
    static let registry = FormatAttributionTests.wideRegistry

    /// `model` written as an NVFP4 checkpoint (after `noise`, when given) under `directory`.
    static func nvfp4Copy(of model: ModelWeights, noise: Float? = nil, in directory: String, name: String = "nvfp4") throws -> String {
        try ScaledCopy.write(model, as: .nvfp4, noise: noise, in: directory, name: name)
    }

    @Test("an NVFP4 copy of the release is a re-encoding, its deviation what the scales predict; noise before it is a change")
    func copy() throws {
        let directory = Fixtures.temporaryDirectory("nvfp4")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try Self.nvfp4Copy(of: Self.lineage.release, in: directory)
        let opened = try CheckpointReader(path: path)
        let scaled = opened.checkpoint.tensors.filter { $0.scale != nil }
        #expect(scaled.count == Self.lineage.release.spec.layerCount * 7)
        #expect(scaled.allSatisfy { $0.dtype == .f4 && $0.scale?.global != nil && $0.scale?.blockColumns == 16 })
        // Stored as ModelOpt stores it.
        let down = try #require(opened.checkpoint.tensor(named: "model.layers.0.mlp.down_proj.weight"))
        #expect(opened.checkpoint.tensor(named: "model.layers.0.mlp.down_proj.weight_scale")?.dtype == .f8E4M3)
        #expect(opened.checkpoint.tensor(named: "model.layers.0.mlp.down_proj.weight_scale_2")?.shape == [])
        #expect(down.shape == [256, 512] && down.byteCount == 256 * 512 / 2)

        try ScaledCopy.expectReEncodingOfRelease(try Fingerprinter.fingerprint(path: path), against: Self.registry,
                                                 quantizedTo: "NVFP4 (F4 with 1×16 block scales)")

        // 20 % noise (NVFP4 alone deviates ≈ 0.09) is more than its rounding explains.
        let noisy = Scan.run(try Fingerprinter.fingerprint(path: try Self.nvfp4Copy(of: Self.lineage.release, noise: 0.2, in: directory, name: "noisy")),
                             against: Self.registry)
        #expect(noisy.attribution.nearest == "release@1", "\(noisy.attribution.sentence)")
        #expect(noisy.attribution.verdict == .derived, "\(noisy.attribution.sentence)")
    }

    @Test("the encoder follows ModelOpt's definition: per-tensor scale amax/(6·448), block scales within one F8 step, codes nearest")
    func encoding() throws {
        let directory = Fixtures.temporaryDirectory("nvfp4")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try Self.nvfp4Copy(of: Self.lineage.release, in: directory)
        let reader = try CheckpointReader(path: path)
        let weight = try #require(reader.checkpoint.tensor(named: "model.layers.1.self_attn.q_proj.weight"))
        let original = try #require(Self.lineage.release["model.layers.1.self_attn.q_proj.weight"]).values
        var global: [Float] = [0]
        try global.withUnsafeMutableBufferPointer { try reader.readElements(of: #require(weight.scale?.global).location.tensor, range: 0..<1, into: $0) }
        let largest = original.map(abs).max()!
        #expect(global[0] == largest / (6 * 448))
        var values = [Float](repeating: 0, count: weight.elementCount)
        try values.withUnsafeMutableBufferPointer { try reader.readElements(of: weight, range: 0..<weight.elementCount, into: $0) }
        // Each value is within half a code step (at most 1 of 6 in E2M1 units) of the original, per block.
        for block in stride(from: 0, to: values.count, by: 16) {
            let blockLargest = original[block..<(block + 16)].map(abs).max()!
            for index in block..<(block + 16) {
                #expect(abs(values[index] - original[index]) <= blockLargest / 6 * 1.07 + 1e-12, "element \(index)")
            }
        }
    }

    @Test("an NVFP4 checkpoint read by perturb is written back as NVFP4 (a rename of an NVFP4 release stays NVFP4, and a re-encoding)")
    func readBack() throws {
        let directory = Fixtures.temporaryDirectory("nvfp4")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try Self.nvfp4Copy(of: Self.lineage.release, in: directory)
        var model = try CheckpointModel.read(from: path)
        #expect(model.entries.filter { $0.storageDType == .f4 }.count == Self.lineage.release.spec.layerCount * 7)
        _ = try TensorRenaming(scheme: .opaque, seed: 2).apply(to: &model)
        try model.write(to: directory + "/renamed")
        let first = try CheckpointReader(path: path), second = try CheckpointReader(path: directory + "/renamed")
        let weights = first.checkpoint.tensors.filter { $0.scale != nil }
        #expect(second.checkpoint.tensors.filter { $0.scale?.global != nil && $0.dtype == .f4 }.count == weights.count)
        // Written again from its values (perturb re-quantizes; the per-tensor scale then follows the
        // dequantized maximum), it is still an NVFP4 re-encoding of the release.
        let scan = Scan.run(try Fingerprinter.fingerprint(second), against: Self.registry)
        #expect(scan.attribution.nearest == "release@1" && scan.attribution.verdict == .reEncoded, "\(scan.attribution.sentence)")
    }
}
