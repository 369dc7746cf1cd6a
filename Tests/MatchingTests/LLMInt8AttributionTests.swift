import CheckpointFixtures
import Checkpoints
import Fingerprinting
import Foundation
import Matching
import ModelFixtures
import Perturbation
import SyntheticModels
import Testing

/// bitsandbytes 8-bit copies (LLM.int8, as transformers saves a model loaded with
/// `load_in_8bit`: the layers' matrices as I8 codes with a factor per row, the rest in F16).
@Suite("bitsandbytes LLM.int8 copies are attributed with the rounding their row factors predict")
struct LLMInt8AttributionTests {
    static let lineage = FormatAttributionTests.wideLineage
    static let registry = FormatAttributionTests.wideRegistry
    static let quantizedName = "bitsandbytes LLM.int8 (I8 with per-row scales)"

    /// `model` written as a bitsandbytes LLM.int8 checkpoint by the fixture quantizer.
    static func int8Copy(of model: ModelWeights, in directory: String) throws -> String {
        var tensors: [TensorBytes] = []
        for tensor in model.tensors {
            if tensor.shape.count == 2, tensor.name.contains(".layers.") {
                tensors += BitsAndBytesTensors.llmInt8(name: tensor.name, values: tensor.values, rows: tensor.shape[0], columns: tensor.shape[1]).tensors
            } else {
                tensors.append(.init(name: tensor.name, shape: tensor.shape, values: tensor.values, as: .f16))
            }
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/model.safetensors"
        try SafetensorsWriter.write(tensors, to: path)
        return path
    }

    @Test("an LLM.int8 copy of the release is a re-encoding, its deviation what SCB / 127 predicts; the sibling stays its base's")
    func copy() throws {
        let directory = Fixtures.temporaryDirectory("llm-int8")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try Self.int8Copy(of: Self.lineage.release, in: directory)
        let opened = try CheckpointReader(path: path)
        #expect(opened.checkpoint.tensors.filter { $0.dtype == .i8 && $0.scale?.multiplier != nil }.count == Self.lineage.release.spec.layerCount * 7)
        try ScaledCopy.expectReEncodingOfRelease(try Fingerprinter.fingerprint(path: path), against: Self.registry, quantizedTo: Self.quantizedName)
        let sibling = Scan.run(try Fingerprinter.fingerprint(path: try Self.int8Copy(of: Self.lineage.sibling, in: directory + "/sibling")),
                               against: Self.registry)
        #expect(sibling.attribution.nearest == "base@1", "\(sibling.attribution.sentence)")
    }

    @Test("a copy noised by 2 % of each tensor's spread before quantizing is derived: LLM.int8's rounding does not hide it")
    func noisedCopy() throws {
        let directory = Fixtures.temporaryDirectory("llm-int8")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try ScaledCopy.write(Self.lineage.release, as: .llmInt8, noise: 0.02, in: directory, name: "noised")
        let scan = Scan.run(try Fingerprinter.fingerprint(path: path), against: Self.registry)
        #expect(scan.attribution.nearest == "release@1" && scan.attribution.verdict == .derived, "\(scan.attribution.sentence)")
    }

    @Test("perturb --dtype llm-int8 writes the fixture quantizer's bytes, tensor for tensor, and reads back as LLM.int8")
    func writer() throws {
        let directory = Fixtures.temporaryDirectory("llm-int8")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try ScaledCopy.write(Self.lineage.release, as: .llmInt8, in: directory, name: "int8")
        let name = "model.layers.1.mlp.down_proj.weight"
        let original = try #require(Self.lineage.release[name])
        try ScaledCopy.expectStoredBytes(
            BitsAndBytesTensors.llmInt8(name: name, values: original.values, rows: original.shape[0], columns: original.shape[1]).tensors, in: path)
        // Read back by perturb (renamed to GPT-2's scheme: bitsandbytes names need the `.weight` suffix), it stays LLM.int8.
        var model = try CheckpointModel.read(from: path)
        #expect(model.entries.filter { $0.storageDType == .i8 }.count == Self.lineage.release.spec.layerCount * 7)
        _ = try TensorRenaming(scheme: .gpt, seed: 2).apply(to: &model)
        try model.write(to: directory + "/renamed")
        let renamed = try CheckpointReader(path: directory + "/renamed")
        #expect(renamed.checkpoint.tensors.filter { $0.name.hasSuffix(".SCB") && $0.scaledWeight != nil }.count == Self.lineage.release.spec.layerCount * 7)
        let scan = Scan.run(try Fingerprinter.fingerprint(path: directory + "/renamed"), against: Self.registry)
        #expect(scan.attribution.nearest == "release@1" && scan.attribution.verdict == .reEncoded, "\(scan.attribution.sentence)")
        #expect(scan.attribution.sentence.contains("quantized to \(Self.quantizedName)"), "\(scan.attribution.sentence)")
        // Opaque names cannot keep the layout (bitsandbytes derives `P.SCB` from `P.weight`): an error naming the rule, nothing written.
        _ = try TensorRenaming(scheme: .opaque, seed: 2).apply(to: &model)
        #expect {
            try model.write(to: directory + "/opaque")
        } throws: { "\($0)".contains("bitsandbytes LLM.int8 needs a 2-D weight named '….weight'") }
        #expect(!FileManager.default.fileExists(atPath: directory + "/opaque/model.safetensors"))
    }
}
