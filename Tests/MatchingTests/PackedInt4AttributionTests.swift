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

    /// `model` as a compressed-tensors `pack-quantized` release of `bits`-bit codes (AutoRound's
    /// W2A16 and W3A16 layout), written here as `pack_to_int32` packs it: every matrix whose
    /// rows hold groups of 128 as symmetric codes clamp(round(x / s), −2^(b−1), 2^(b−1) − 1) with
    /// s = group maximum / ((2^b − 1) / 2) in BF16, codes + 2^(b−1) as one dense bit stream per row
    /// set here bit by bit (compressed-tensors ≥ 0.18; the last word padded), `_scale` and `_shape`; the rest F32.
    static func narrowCopy(of model: ModelWeights, bits: Int, in directory: String) throws -> String {
        let half = 1 << (bits - 1), group = 128
        var tensors: [SafetensorsWriter.Tensor] = []
        for tensor in model.tensors {
            guard tensor.shape.count == 2, tensor.name.hasSuffix(".weight"), tensor.shape[1] % group == 0,
                  !tensor.name.contains("embed"), !tensor.name.contains("lm_head") else {
                tensors.append(.init(name: tensor.name, shape: tensor.shape, values: tensor.values, as: .f32))
                continue
            }
            let (rows, columns) = (tensor.shape[0], tensor.shape[1]), wordsPerRow = (columns * bits + 31) / 32
            var words = [UInt32](repeating: 0, count: rows * wordsPerRow), scales: [Float] = []
            for row in 0..<rows {
                for start in stride(from: 0, to: columns, by: group) {
                    let run = tensor.values[(row * columns + start)..<(row * columns + start + group)]
                    let scale = FloatBits.bfloat16(FloatEncoding.bfloat16Bits(run.map(abs).max()! / (Float(2 * half - 1) / 2)))
                    scales.append(scale)
                    for column in start..<(start + group) {
                        let code = Int(max(Float(-half), min(Float(half - 1), (tensor.values[row * columns + column] / scale).rounded()))) + half
                        for bit in 0..<bits where code >> bit & 1 == 1 {
                            let position = column * bits + bit
                            words[row * wordsPerRow + position / 32] |= 1 << UInt32(position % 32)
                        }
                    }
                }
            }
            let base = tensor.name
            tensors += [
                .init(name: base + "_packed", dtype: .i32, shape: [rows, wordsPerRow], bytes: words.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }),
                .init(name: base + "_scale", shape: [rows, columns / group], values: scales, as: .bf16),
                .init(name: base + "_shape", dtype: .i64, shape: [2], bytes: [Int64(rows), Int64(columns)].flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }),
            ]
        }
        let path = directory + "/w\(bits)a16"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try SafetensorsWriter.write(tensors, to: path + "/model.safetensors")
        return path
    }

    @Test("a 2- or 3-bit pack-quantized copy (W2A16, W3A16) is a re-encoding named with its width, its deviation what its scales predict; without a recipe GPTQ's allowance is stated",
          arguments: [2, 3])
    func narrowCopy(bits: Int) throws {
        let directory = Fixtures.temporaryDirectory("w\(bits)a16")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try Self.narrowCopy(of: Self.lineage.release, bits: bits, in: directory)
        let opened = try CheckpointReader(path: path)
        let scaled = opened.checkpoint.tensors.filter { $0.scale != nil }
        #expect(scaled.count == Self.lineage.release.spec.layerCount * 7)
        #expect(scaled.allSatisfy { $0.dtype == .u8 && $0.packing?.order == CodePacking.Order.packQuantized(bits: bits, dense: true) && $0.scale?.codeCentre == 1 << (bits - 1) })
        let fingerprint = try Fingerprinter.fingerprint(path: path)
        try ScaledCopy.expectReEncodingOfRelease(fingerprint, against: Self.registry, quantizedTo: "\(bits)-bit codes as U8 with 1×128 block scales")
        let scan = Scan.run(fingerprint, against: Self.registry)
        let evidence = try #require(scan.candidates.first { $0.reference.label == "release@1" }).verdict.evidence
        #expect(evidence.contains { $0.contains("GPTQ's error feedback is allowed for") }, "\(evidence)")

        // `perturb --dtype int3`/`int2` writes the same words and scales (its encoder against this one).
        let written = try ScaledCopy.write(Self.lineage.release, as: bits == 3 ? .int3 : .int2, in: directory, name: "perturbed")
        let name = "model.layers.1.mlp.down_proj.weight"
        func stored(_ directory: String, _ suffix: String) throws -> [UInt8] {
            let tensor = try #require(try CheckpointReader(path: directory).checkpoint.tensors.first { ($0.storedName ?? $0.name) == name + suffix })
            let file = try Data(contentsOf: URL(fileURLWithPath: directory + "/model.safetensors"))
            return Array(file[Int(tensor.offset)..<Int(tensor.offset + tensor.byteCount)])
        }
        for suffix in ["_packed", "_scale"] {
            #expect(try stored(path, suffix) == stored(written, suffix), "\(name + suffix)")
        }
    }

    @Test("an asymmetric INT4 (W4A16_ASYM) copy is a re-encoding whose zero points and scales predict its deviation; noised by 25 % first it is derived")
    func asymmetricCopy() throws {
        let directory = Fixtures.temporaryDirectory("int4-asym")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try ScaledCopy.write(Self.lineage.release, as: .int4Asymmetric, in: directory, name: "w4a16-asym")
        let opened = try CheckpointReader(path: path)
        let scaled = opened.checkpoint.tensors.filter { $0.dtype == .i4 && $0.scale?.zeroPoints?.storage == .rowWords }
        #expect(scaled.count == Self.lineage.release.spec.layerCount * 7)
        try ScaledCopy.expectReEncodingOfRelease(try Fingerprinter.fingerprint(path: path), against: Self.registry,
                                                 quantizedTo: "I4 with 1×128 block scales and zero points")

        let noised = try ScaledCopy.write(Self.lineage.release, as: .int4Asymmetric, noise: 0.25, in: directory, name: "noised")
        let scan = Scan.run(try Fingerprinter.fingerprint(path: noised), against: Self.registry)
        #expect(scan.attribution.nearest == "release@1" && scan.attribution.verdict == .derived, "\(scan.attribution.sentence)")
    }

    @Test("an activation-ordered W4A16 copy (weight_g_idx) is a re-encoding; its groups are GPTQ's, so GPTQ's allowance holds even under a recipe claiming round to nearest")
    func activationOrderCopy() throws {
        let directory = Fixtures.temporaryDirectory("int4-actorder")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try ScaledCopy.write(Self.lineage.release, as: .int4ActivationOrder, in: directory, name: "actorder")
        let opened = try CheckpointReader(path: path)
        #expect(opened.checkpoint.tensors.filter { $0.dtype == .i4 && $0.scale?.columnGroupIndex != nil }.count == Self.lineage.release.spec.layerCount * 7)
        try ScaledCopy.expectReEncodingOfRelease(try Fingerprinter.fingerprint(path: path), against: Self.registry,
                                                 quantizedTo: "I4 with 1×128 block scales, columns grouped by g_idx")

        // Codes moved about as far as GPTQ's error feedback moves them (see `recipeAllowance`), with a
        // recipe that claims round to nearest: the column groups still say GPTQ.
        let searched = try ScaledCopy.write(Self.lineage.release, as: .int4ActivationOrder, noise: 0.1, in: directory, name: "searched")
        try "default_stage:\n  default_modifiers:\n    QuantizationModifier:\n      scheme: W4A16\n"
            .write(toFile: searched + "/recipe.yaml", atomically: true, encoding: .utf8)
        let scan = Scan.run(try Fingerprinter.fingerprint(path: searched), against: Self.registry)
        #expect(scan.attribution.nearest == "release@1" && scan.attribution.verdict == .reEncoded, "\(scan.attribution.sentence)")
        let verdict = try #require(scan.candidates.first { $0.reference.label == "release@1" }).verdict
        let ratio = try #require(verdict.rounding).deviation / (try #require(verdict.rounding).expectedRounding)
        #expect(ratio * ratio > 1.5 && ratio * ratio < 3.5, "error energy \(ratio * ratio)× the rounding's")
    }

    @Test("llm-compressor's recipe.yaml decides how far a W4A16 copy's rounding may go: round to nearest's 1.35×, GPTQ's 4×, and GPTQ's when no recipe says")
    func recipeAllowance() throws {
        let directory = Fixtures.temporaryDirectory("int4-recipe")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Codes moved about as far as GPTQ's error feedback moves them: noise of the rounding's own size
        // before quantizing doubles the error energy (eval/gptq_minilm.py measured 1.5–2.8×).
        let path = try ScaledCopy.write(Self.lineage.release, as: .int4, noise: 0.1, in: directory, name: "searched")
        func scan() throws -> (ScanResult, Verdict) {
            let scan = Scan.run(try Fingerprinter.fingerprint(path: path), against: Self.registry)
            return (scan, try #require(scan.candidates.first { $0.reference.label == "release@1" }).verdict)
        }
        // perturb --dtype int4 writes llm-compressor's recipe for its own round to nearest.
        let recipe = try String(contentsOfFile: path + "/recipe.yaml", encoding: .utf8)
        #expect(recipe.contains("QuantizationModifier") && recipe.contains("scheme: W4A16"))
        let (rounded, roundedVerdict) = try scan()
        #expect(rounded.attribution.nearest == "release@1" && rounded.attribution.verdict == .derived, "\(rounded.attribution.sentence)")
        let ratio = try #require(roundedVerdict.rounding).deviation / (try #require(roundedVerdict.rounding).expectedRounding)
        #expect(ratio * ratio > 1.5 && ratio * ratio < 3.5, "error energy \(ratio * ratio)× the rounding's")

        try "quant_stage:\n  quant_modifiers:\n    GPTQModifier:\n      scheme: W4A16\n".write(toFile: path + "/recipe.yaml", atomically: true, encoding: .utf8)
        let (searched, searchedVerdict) = try scan()
        #expect(searched.attribution.nearest == "release@1" && searched.attribution.verdict == .reEncoded, "\(searched.attribution.sentence)")
        #expect(!searchedVerdict.evidence.contains { $0.contains("does not say which algorithm") }, "\(searchedVerdict.evidence)")

        try FileManager.default.removeItem(atPath: path + "/recipe.yaml")
        let (unstated, unstatedVerdict) = try scan()
        #expect(unstated.attribution.verdict == .reEncoded, "\(unstated.attribution.sentence)")
        #expect(unstatedVerdict.evidence.contains { $0.contains("does not say which algorithm chose its integer codes") }, "\(unstatedVerdict.evidence)")
    }
}
