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

    @Test("MLX's floating-point copies written by perturb (mxfp4, nvfp4, mxfp8) store the fixture quantizer's bytes and are re-encodings within their scales' allowance; noise before them is a change",
          arguments: [DTypeConversion.Target.mlxMXFP4, .mlxNVFP4, .mlxMXFP8])
    func floatingPointCopy(target: DTypeConversion.Target) throws {
        let directory = Fixtures.temporaryDirectory("mlx-fp")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let mode = try #require(MLXTensors.FloatingPointMode(rawValue: String(target.rawValue.dropFirst("mlx-".count))))
        let path = try ScaledCopy.write(Self.lineage.release, as: target, in: directory, name: "copy")
        // The writer and the fixture's independent quantizer agree byte for byte.
        let name = "model.layers.1.mlp.down_proj.weight"
        let original = try #require(Self.lineage.release[name])
        try ScaledCopy.expectStoredBytes(MLXTensors.floatingPoint(name: name, values: original.values, shape: original.shape, mode: mode).tensors, in: path)
        let opened = try CheckpointReader(path: path)
        let quantized = opened.checkpoint.tensors.filter { $0.scale != nil }
        #expect(quantized.count == Self.lineage.release.tensors.filter { $0.shape.count == 2 && $0.shape[1] % mode.groupSize == 0 }.count)
        let codes: DType = mode == .mxfp8 ? .f8E4M3 : .f4
        for tensor in quantized {
            #expect(tensor.dtype == codes && tensor.scale?.blockColumns == mode.groupSize, "\(tensor.name)")
        }

        let scan = Scan.run(try Fingerprinter.fingerprint(path: path), against: Self.registry)
        let described = [MLXTensors.FloatingPointMode.mxfp4: "MXFP4 (F4 with 1×32 block scales)", .nvfp4: "NVFP4 (F4 with 1×16 block scales)",
                         .mxfp8: "MXFP8 (F8_E4M3 with 1×32 block scales)"][mode]!
        #expect(scan.attribution.nearest == "release@1" && scan.attribution.verdict == .reEncoded, "\(scan.attribution.sentence)")
        #expect(scan.attribution.sentence.contains("quantized to \(described)"), "\(scan.attribution.sentence)")
        let verdict = try #require(scan.candidates.first { $0.reference.label == "release@1" }).verdict
        let rounding = try #require(verdict.rounding)
        print("MLX \(mode.rawValue) copy: deviation \(rounding.deviation), expected \(rounding.expectedRounding), allowed \(rounding.allowedRounding)")
        // Within the allowance; MXFP8's saturation cell predicts more than a copy deviates, never less.
        #expect(rounding.fromBlockScales && rounding.explained, "\(rounding)")
        let ratio = rounding.deviation / rounding.expectedRounding, lowest = mode == .mxfp8 ? 0.5 : 0.75
        #expect(ratio > lowest && ratio < 1.1, "\(rounding)")

        // 20 % noise (relative to each tensor's spread) before quantizing is more than the rounding explains.
        let noisy = Scan.run(try Fingerprinter.fingerprint(path: try ScaledCopy.write(Self.lineage.release, as: target, noise: 0.2, in: directory, name: "noisy")),
                             against: Self.registry)
        #expect(noisy.attribution.nearest == "release@1" && noisy.attribution.verdict == .derived, "\(noisy.attribution.sentence)")
    }

    @Test("an MXFP8 copy with MLX 0.29–0.30's exponents (rounded to nearest: block maxima saturate) is a re-encoding too, though it deviates twice as far as MLX 0.32's")
    func saturatingExponents() throws {
        let directory = Fixtures.temporaryDirectory("mlx-mxfp8-nearest")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var tensors: [TensorBytes] = []
        for tensor in Self.lineage.release.tensors {
            if tensor.shape.count == 2, tensor.shape[1] % 32 == 0 {
                tensors += MLXTensors.floatingPoint(name: tensor.name, values: tensor.values, shape: tensor.shape, mode: .mxfp8, roundExponentUp: false).tensors
            } else {
                tensors.append(.init(name: tensor.name, shape: tensor.shape, values: tensor.values, as: .bf16))
            }
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try SafetensorsWriter.write(tensors, to: directory + "/model.safetensors")
        let scan = Scan.run(try Fingerprinter.fingerprint(path: directory), against: Self.registry)
        #expect(scan.attribution.nearest == "release@1" && scan.attribution.verdict == .reEncoded, "\(scan.attribution.sentence)")
        let verdict = try #require(scan.candidates.first { $0.reference.label == "release@1" }).verdict
        let rounding = try #require(verdict.rounding)
        print("MLX mxfp8 copy, exponents rounded to nearest: deviation \(rounding.deviation), expected \(rounding.expectedRounding), allowed \(rounding.allowedRounding)")
        #expect(rounding.fromBlockScales && rounding.explained, "\(rounding)")
        // The saturation is most of this copy's deviation: MLX 0.32's exponents (rounded up, perturb's) deviate half as far.
        let roundedUp = Scan.run(try Fingerprinter.fingerprint(path: try ScaledCopy.write(Self.lineage.release, as: .mlxMXFP8, in: directory, name: "up")),
                                 against: Self.registry)
        let upVerdict = try #require(roundedUp.candidates.first { $0.reference.label == "release@1" }).verdict
        let upRounding = try #require(upVerdict.rounding)
        #expect(rounding.deviation > 1.8 * upRounding.deviation, "\(rounding) vs \(upRounding)")
    }
}
