import CheckpointFixtures
import Checkpoints
import Fingerprinting
import Foundation
import Matching
import ModelFixtures
import Perturbation
import SyntheticModels
import Testing

/// MLX copies (4-bit affine, as `mlx_lm convert -q` saves a model: every matrix whose rows hold
/// whole groups of 64 quantized, embeddings and head included).
@Suite("MLX affine copies are attributed with the rounding their scales predict")
struct MLXAttributionTests {
    static let lineage = FormatAttributionTests.wideLineage
    static let registry = FormatAttributionTests.wideRegistry
    static let quantizedName = quantizedName(bits: 4)

    static func quantizedName(bits: Int) -> String { "MLX (\(bits)-bit affine, 1×64 block scales and biases)" }

    /// `model` written by the fixture quantizer as an MLX checkpoint.
    static func mlxCopy(of model: ModelWeights, bits: Int = 4, in directory: String) throws -> String {
        var tensors: [TensorBytes] = []
        for tensor in model.tensors {
            if tensor.shape.count == 2, tensor.shape[1] % 64 == 0 {
                tensors += MLXTensors.affine(name: tensor.name, values: tensor.values, rows: tensor.shape[0], columns: tensor.shape[1], bits: bits).tensors
            } else {
                tensors.append(.init(name: tensor.name, shape: tensor.shape, values: tensor.values, as: .bf16))
            }
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try SafetensorsWriter.write(tensors, to: directory + "/model.safetensors")
        return directory + "/model.safetensors"
    }

    @Test("an MLX copy of the release (4-bit, and 6-bit from bit streams) is a re-encoding, its deviation what the scales predict; the sibling stays its base's",
          arguments: [4, 6])
    func copy(bits: Int) throws {
        let directory = Fixtures.temporaryDirectory("mlx")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try Self.mlxCopy(of: Self.lineage.release, bits: bits, in: directory)
        let opened = try CheckpointReader(path: path)
        #expect(opened.checkpoint.tensors.filter { $0.scale?.biases != nil }.count == Self.lineage.release.tensors.filter { $0.shape.count == 2 && $0.shape[1] % 64 == 0 }.count)
        try ScaledCopy.expectReEncodingOfRelease(try Fingerprinter.fingerprint(path: path), against: Self.registry, quantizedTo: Self.quantizedName(bits: bits))
        let sibling = Scan.run(try Fingerprinter.fingerprint(path: try Self.mlxCopy(of: Self.lineage.sibling, bits: bits, in: directory + "/sibling")),
                               against: Self.registry)
        #expect(sibling.attribution.nearest == "base@1", "\(sibling.attribution.sentence)")
    }

    @Test("perturb --dtype mlx writes the fixture quantizer's bytes, tensor for tensor, and reads back as MLX")
    func writer() throws {
        let directory = Fixtures.temporaryDirectory("mlx")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try ScaledCopy.write(Self.lineage.release, as: .mlx, in: directory, name: "mlx")
        let name = "model.layers.1.mlp.down_proj.weight"
        let original = try #require(Self.lineage.release[name])
        try ScaledCopy.expectStoredBytes(
            MLXTensors.affine(name: name, values: original.values, rows: original.shape[0], columns: original.shape[1]).tensors, in: path)
        var model = try CheckpointModel.read(from: path)
        #expect(model.entries.filter(\.affineBiases).count == Self.lineage.release.tensors.filter { $0.shape.count == 2 && $0.shape[1] % 64 == 0 }.count)
        _ = try TensorRenaming(scheme: .gpt, seed: 2).apply(to: &model)
        try model.write(to: directory + "/renamed")
        let scan = Scan.run(try Fingerprinter.fingerprint(path: directory + "/renamed"), against: Self.registry)
        #expect(scan.attribution.nearest == "release@1" && scan.attribution.verdict == .reEncoded, "\(scan.attribution.sentence)")
        #expect(scan.attribution.sentence.contains("quantized to \(Self.quantizedName)"), "\(scan.attribution.sentence)")
    }
}
