import CheckpointFixtures
import Checkpoints
import Fingerprinting
import Foundation
import Matching
import ModelFixtures
import Perturbation
import SyntheticModels
import Testing

/// bitsandbytes 4-bit copies (NF4, as transformers saves a model loaded with `load_in_4bit`:
/// the layers' matrices quantized, embeddings, norms and head kept in BF16).
@Suite("bitsandbytes NF4 copies are attributed with the rounding their codebook and factors predict")
struct BitsAndBytesAttributionTests {
    static let lineage = FormatAttributionTests.wideLineage
    static let registry = FormatAttributionTests.wideRegistry

    /// `model` written as a bitsandbytes NF4 checkpoint (factors double-quantized when `nested`).
    static func nf4Copy(of model: ModelWeights, nested: Bool, in directory: String) throws -> String {
        var tensors: [TensorBytes] = []
        for tensor in model.tensors {
            if tensor.shape.count == 2, tensor.name.contains(".layers.") {
                tensors += BitsAndBytesTensors.nf4(name: tensor.name, values: tensor.values, rows: tensor.shape[0], columns: tensor.shape[1],
                                                   nestedBlockSize: nested ? 256 : nil).tensors
            } else {
                tensors.append(.init(name: tensor.name, shape: tensor.shape, values: tensor.values, as: .bf16))
            }
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + (nested ? "/nf4-nested.safetensors" : "/nf4.safetensors")
        try SafetensorsWriter.write(tensors, to: path)
        return path
    }

    @Test("an NF4 copy of the release (F32 or double-quantized factors) is a re-encoding, its deviation what the codebook predicts",
          arguments: [false, true])
    func copy(nested: Bool) throws {
        let directory = Fixtures.temporaryDirectory("nf4")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try Self.nf4Copy(of: Self.lineage.release, nested: nested, in: directory)
        let opened = try CheckpointReader(path: path)
        #expect(opened.checkpoint.tensors.filter { $0.packing?.order == .bitsandbytesNF4 }.count == Self.lineage.release.spec.layerCount * 7)
        try ScaledCopy.expectReEncodingOfRelease(try Fingerprinter.fingerprint(path: path), against: Self.registry,
                                                 quantizedTo: "bitsandbytes NF4 (4-bit codebook with 1×64 block scales)")
        // The sibling, quantized the same way, is still its base's derivative.
        let sibling = Scan.run(try Fingerprinter.fingerprint(path: try Self.nf4Copy(of: Self.lineage.sibling, nested: nested, in: directory + "/sibling")),
                               against: Self.registry)
        #expect(sibling.attribution.nearest == "base@1", "\(sibling.attribution.sentence)")
    }

    @Test("perturb --dtype nf4 writes what bitsandbytes' quantizer gives (the fixture's bytes, tensor for tensor) and reads back as NF4")
    func writer() throws {
        let directory = Fixtures.temporaryDirectory("nf4")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try ScaledCopy.write(Self.lineage.release, as: .nf4, in: directory, name: "nf4")
        let name = "model.layers.1.mlp.down_proj.weight"
        let original = try #require(Self.lineage.release[name])
        // The weight's codes are compared as stored (high nibble first), not as delivered.
        try ScaledCopy.expectStoredBytes(
            BitsAndBytesTensors.nf4(name: name, values: original.values, rows: original.shape[0], columns: original.shape[1]).tensors, in: path)
        // Read back by perturb (a rename of it), it stays NF4 and a re-encoding of the release.
        var model = try CheckpointModel.read(from: path)
        #expect(model.entries.filter { $0.storageDType == .i4 }.count == Self.lineage.release.spec.layerCount * 7)
        _ = try TensorRenaming(scheme: .opaque, seed: 2).apply(to: &model)
        try model.write(to: directory + "/renamed")
        let scan = Scan.run(try Fingerprinter.fingerprint(path: directory + "/renamed"), against: Self.registry)
        #expect(scan.attribution.nearest == "release@1" && scan.attribution.verdict == .reEncoded, "\(scan.attribution.sentence)")
        #expect(scan.attribution.sentence.contains("quantized to bitsandbytes NF4"), "\(scan.attribution.sentence)")
    }
}
