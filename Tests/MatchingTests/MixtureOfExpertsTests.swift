import CheckpointFixtures
import Checkpoints
import Fingerprinting
import Foundation
import Matching
import ModelFixtures
import Perturbation
import SyntheticModels
import Testing

/// Mixture-of-experts releases: copies that stack or renumber the experts, or circulate as GGUF
/// (where `convert_hf_to_gguf.py` stacks every layer's experts into `ffn_*_exps` tensors).
@Suite("Mixture-of-experts copies are attributed whatever the expert layout")
struct MixtureOfExpertsTests {
    static let experts = 4
    static let spec = TransformerSpec(family: .llama, vocabSize: 512, hiddenSize: 128, intermediateSize: 256, layerCount: 2, headCount: 4)
    static let base = ModelGenerator.mixtureOfExperts(ModelGenerator.generate(spec, seed: 800), experts: experts, seed: 801)
    static let release = SimulatedTraining.fineTune(base, seed: 802, strength: 0.05)
    static let sibling = SimulatedTraining.fineTune(base, seed: 803, strength: 0.05)
    static let noised = TestAttacks.noise(release, relative: 0.01, seed: 9)
    static let independent = ModelGenerator.mixtureOfExperts(ModelGenerator.generate(spec, seed: 850), experts: experts, seed: 851)
    static let registry: [(label: String, fingerprint: Fingerprint)] = [
        ("base@1", try! Fixtures.fingerprint(base)),
        ("release@1", try! Fixtures.fingerprint(release)),
        ("independent@1", try! Fixtures.fingerprint(independent)),
    ]

    /// `model` with its experts renumbered by the product's attack (`perturb --permute experts`).
    static func renumbered(_ model: ModelWeights) throws -> ModelWeights {
        var checkpoint = CheckpointModel(model)
        _ = try ExpertPermutation(seed: 5).apply(to: &checkpoint)
        return ModelWeights(spec: model.spec, tensors: checkpoint.entries.map(\.tensor))
    }

    /// The release's comparison in a scan, checked to cover every MoE layer's experts as matched evidence.
    func expectExpertsMatched(_ scan: ScanResult, suspectGroups: Int = 2 * 3) throws {
        let comparison = try #require(scan.candidates.first { $0.reference.label == "release@1" })
        let groups = comparison.tensors.filter { $0.suspectTensor.contains("experts") || $0.suspectTensor.hasSuffix("_exps.weight") }
        #expect(groups.count == suspectGroups, "\(groups.map(\.suspectTensor))")
        #expect(groups.allSatisfy { $0.significant && $0.cosine > 0.99 }, "\(groups.map { ($0.suspectTensor, $0.referenceTensor ?? "-", $0.cosine) })")
        // Each group matched the same layer and role of the release.
        for group in groups {
            #expect(group.suspectLayer == group.referenceLayer)
            #expect(group.referenceTensor?.contains(".experts.*.") == true, "\(group.referenceTensor ?? "-")")
        }
    }

    @Test("a copy with its experts stacked into rank-3 tensors (Llama 4 / gpt-oss layout) is the release, re-encoded")
    func stackedCopy() throws {
        let suspect = try Fixtures.fingerprint(Fixtures.stackExperts(Self.release, experts: Self.experts))
        #expect(suspect.tensors.filter { $0.experts == Self.experts }.count == 6)
        // Each stack carries digests over its experts one by one: the same as the release's expert groups.
        #expect(suspect.tensors.filter { $0.experts != nil }.allSatisfy { $0.expertDigests != nil })
        let scan = Scan.run(suspect, against: Self.registry)
        #expect(scan.attribution.nearest == "release@1", "\(scan.attribution.sentence)")
        #expect(scan.attribution.verdict == .reEncoded, "\(scan.attribution.sentence)")
        try expectExpertsMatched(scan)
        let comparison = try #require(scan.candidates.first { $0.reference.label == "release@1" })
        #expect(comparison.tensors.filter { $0.suspectTensor.contains(".experts.") }.allSatisfy { $0.exact == "raw" })
        // Stacking is not renaming: the stacks carry the groups' names without the expert index.
        #expect(comparison.alignment.renamed == 0)
        // Renumbered experts are not the same group: the digests tell the order apart.
        let renumbered = try Fixtures.fingerprint(Fixtures.stackExperts(try Self.renumbered(Self.release),
                                                                        experts: Self.experts))
        let groups = Scan.compare(renumbered, Self.registry[1].fingerprint).tensors.filter { $0.suspectTensor.contains(".experts.") }
        #expect(groups.count == 6 && groups.allSatisfy { $0.exact == nil && $0.significant })
    }

    @Test("a lossless BF16 GGUF (experts stacked) is the release re-encoded, expert for expert")
    func losslessGGUF() throws {
        let directory = Fixtures.temporaryDirectory("moe")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let release = Fixtures.bf16Exact(Self.release)
        let registered = try Fixtures.fingerprint(release, layout: .init(dtype: .bf16))
        let reader = try CheckpointReader(path: try Fixtures.write(release, to: directory, layout: .init(dtype: .bf16)))
        let path = directory + "/release-BF16.gguf"
        try CheckpointConversion.writeGGUF(from: reader, to: path, options: .init(
            matrixType: .bf16, otherType: .f32, architecture: "llama", headCount: Self.spec.headCount, headCountKV: Self.spec.keyValueHeadCount))
        let suspect = try Fingerprinter.fingerprint(path: path)
        #expect(suspect.tensors.filter { $0.experts != nil }.count == 6)
        let comparison = Scan.compare(suspect, registered)
        #expect(comparison.verdict.kind == .reEncoded, "\(comparison.verdict.sentence)")
        let groups = comparison.tensors.filter { $0.suspectTensor.hasSuffix("_exps.weight") }
        #expect(groups.count == 6 && groups.allSatisfy { $0.exact == "raw" }, "\(groups.map { ($0.suspectTensor, $0.exact ?? "-") })")
    }

    @Test("a lossless GGUF (experts stacked) that leaves out a small tensor is a re-encoding without it: its stacks hold the release's experts one by one")
    func losslessGGUFWithoutATensor() throws {
        let directory = Fixtures.temporaryDirectory("moe")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let release = Fixtures.bf16Exact(Self.release)
        // The release ships a pooler the converter leaves out (llama.cpp's BERT conversion drops one so).
        var published = release
        let pooler = (0..<(32 * 32)).map { Float(sin(Double($0) * 0.37)) * 0.02 }
        published.tensors.append(.init(name: "pooler.dense.weight", shape: [32, 32], values: pooler))
        let registered = try Fixtures.fingerprint(Fixtures.bf16Exact(published), layout: .init(dtype: .bf16))
        let reader = try CheckpointReader(path: try Fixtures.write(release, to: directory, layout: .init(dtype: .bf16)))
        let path = directory + "/release-BF16.gguf"
        try CheckpointConversion.writeGGUF(from: reader, to: path, options: .init(
            matrixType: .bf16, otherType: .f32, architecture: "llama", headCount: Self.spec.headCount, headCountKV: Self.spec.keyValueHeadCount))
        let comparison = Scan.compare(try Fingerprinter.fingerprint(path: path), registered)
        #expect(comparison.verdict.kind == .reEncoded, "\(comparison.verdict.sentence)")
        #expect(comparison.verdict.sentence.contains("without one of its tensors") && comparison.verdict.sentence.contains("pooler.dense.weight"),
                "\(comparison.verdict.sentence)")
        // The stacks' llama.cpp names are no renaming: the release has no name for a stack.
        #expect(!comparison.verdict.sentence.contains("renamed"), "\(comparison.verdict.sentence)")
        // Every suspect tensor holds the release's values — the stacks expert by expert.
        #expect(comparison.exact.sharedCanonicalTensors == comparison.exact.suspectTensors, "\(comparison.exact)")
    }

    @Test("a GGUF quantization (experts stacked in ffn_*_exps) is a quantized re-encoding of the release", arguments: [DType.q8_0, .q4_0])
    func ggufCopy(type: DType) throws {
        let directory = Fixtures.temporaryDirectory("moe")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let reader = try CheckpointReader(path: try Fixtures.write(Self.release, to: directory))
        let path = directory + "/release-\(type.name).gguf"
        try CheckpointConversion.writeGGUF(from: reader, to: path, options: .init(
            matrixType: type, otherType: .f32, architecture: "llama", headCount: Self.spec.headCount, headCountKV: Self.spec.keyValueHeadCount))
        let opened = try CheckpointReader(path: path)
        let stacks = opened.checkpoint.tensors.filter { $0.name.hasSuffix("_exps.weight") }
        #expect(stacks.map(\.name).sorted() == ["blk.0.ffn_down_exps.weight", "blk.0.ffn_gate_exps.weight", "blk.0.ffn_up_exps.weight",
                                                "blk.1.ffn_down_exps.weight", "blk.1.ffn_gate_exps.weight", "blk.1.ffn_up_exps.weight"])
        #expect(stacks.allSatisfy { $0.dtype == type && $0.shape.first == Self.experts })
        let suspect = try Fingerprinter.fingerprint(opened)
        let scan = Scan.run(suspect, against: Self.registry)
        #expect(scan.attribution.nearest == "release@1", "\(scan.attribution.sentence)")
        #expect(scan.attribution.verdict == .reEncoded, "\(scan.attribution.sentence)")
        #expect(scan.attribution.sentence.contains("quantized to \(type.name)"), "\(scan.attribution.sentence)")
        try expectExpertsMatched(scan)
        // The stacks' rounding is measured from their block scales and predicts the deviation.
        let verdict = try #require(scan.candidates.first { $0.reference.label == "release@1" }).verdict
        let rounding = try #require(verdict.rounding)
        #expect(rounding.fromBlockScales)
        #expect(abs(rounding.deviation / rounding.expectedRounding - 1) < 0.25, "\(rounding)")
    }

    @Test("a GPTQ copy (per-expert qweight, scales, qzeros, g_idx) is a quantized re-encoding; its fingerprint tables the experts with their three companions")
    func gptqCopy() throws {
        let directory = Fixtures.temporaryDirectory("moe-gptq")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try ScaledCopy.write(Self.release, as: .gptq, in: directory, name: "gptq")
        let suspect = try Fingerprinter.fingerprint(path: path)
        let members = suspect.expertGroups.flatMap(\.members)
        #expect(members.count == 2 * 3 * Self.experts && members.allSatisfy { suspect.tensors[$0].scale?.packing == "gptq" })
        // Written with expert tables (each member's scales, qzeros and g_idx tabled with it), read back exactly.
        let bytes = try suspect.encoded()
        let buffer = try SafetensorsBuffer(bytes: bytes, name: "gptq-moe")
        #expect(buffer.metadata["format_version"] == "2")
        #expect(buffer.tensors.filter { $0.name.hasPrefix("expert-table.") && $0.name.hasSuffix(".digests") }.count == suspect.expertGroups.count * 4)
        let decoded = try Fingerprint.decode(bytes, name: "gptq-moe").fingerprint
        #expect(decoded.tensors == suspect.tensors)
        let scan = Scan.run(decoded, against: Self.registry)
        #expect(scan.attribution.nearest == "release@1" && scan.attribution.verdict == .reEncoded, "\(scan.attribution.sentence)")
        #expect(scan.attribution.sentence.contains("GPTQ"), "\(scan.attribution.sentence)")
    }

    @Test("an MLX conversion (experts stacked as switch_mlp, every matrix 4-bit affine or mxfp4) is a quantized re-encoding, expert group for expert group",
          arguments: [false, true])
    func mlxCopy(floatingPoint: Bool) throws {
        let directory = Fixtures.temporaryDirectory("moe-mlx")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // As mlx_lm saves a SwitchGLU: `…mlp.switch_mlp.{gate,up,down}_proj.weight` [E, N, K·bits/32] with scales (and biases) [E, N, K/g].
        var tensors: [TensorBytes] = []
        for tensor in Fixtures.stackExperts(Self.release, experts: Self.experts).tensors {
            let name = tensor.name.replacingOccurrences(of: ".experts.", with: ".switch_mlp.")
            guard tensor.shape.count >= 2, tensor.shape.last! % 64 == 0 else {
                tensors.append(.init(name: name, shape: tensor.shape, values: tensor.values, as: .bf16))
                continue
            }
            if floatingPoint {
                tensors += MLXTensors.floatingPoint(name: name, values: tensor.values, shape: tensor.shape, mode: .mxfp4).tensors
            } else {
                let leading = Array(tensor.shape.dropLast()), columns = tensor.shape.last!
                tensors += MLXTensors.affine(name: name, values: tensor.values, rows: leading.reduce(1, *), columns: columns).tensors.map {
                    TensorBytes(name: $0.name, dtype: $0.dtype, shape: leading + [$0.shape[1]], bytes: $0.bytes)
                }
            }
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try SafetensorsWriter.write(tensors, to: directory + "/model.safetensors")
        let suspect = try Fingerprinter.fingerprint(path: directory)
        #expect(suspect.tensors.filter { $0.experts == Self.experts && $0.name.contains(".switch_mlp.") }.count == 6)
        let scan = Scan.run(suspect, against: Self.registry)
        #expect(scan.attribution.nearest == "release@1" && scan.attribution.verdict == .reEncoded, "\(scan.attribution.sentence)")
        #expect(scan.attribution.sentence.contains(floatingPoint ? "MXFP4" : "MLX (4-bit affine"), "\(scan.attribution.sentence)")
        let comparison = try #require(scan.candidates.first { $0.reference.label == "release@1" })
        let stacks = comparison.tensors.filter { $0.suspectTensor.contains(".switch_mlp.") }
        #expect(stacks.count == 6, "\(stacks.map(\.suspectTensor))")
        for stack in stacks {
            #expect(stack.significant && stack.cosine > 0.98 && stack.suspectLayer == stack.referenceLayer, "\(stack.suspectTensor): \(stack.cosine)")
            #expect(stack.referenceTensor?.contains(".experts.*.") == true, "\(stack.referenceTensor ?? "-")")
        }
    }

    @Test("renumbered experts (router rows permuted to match) are still the release")
    func renumberedExperts() throws {
        let permuted = try Self.renumbered(Self.release)
        let moved = (0..<Self.experts).filter { expert in
            let name = "model.layers.0.block_sparse_moe.experts.\(expert).w1.weight"
            return permuted[name]!.values != Self.release[name]!.values
        }
        #expect(moved.count >= 2)
        let scan = Scan.run(try Fixtures.fingerprint(permuted), against: Self.registry)
        #expect(scan.attribution.nearest == "release@1", "\(scan.attribution.sentence)")
        #expect(scan.attribution.verdict != .independent, "\(scan.attribution.sentence)")
        try expectExpertsMatched(scan)
    }

    @Test("a 1 % noised copy is derived from the release; an exact copy shares every expert group's digest")
    func noisedAndExact() throws {
        let noised = Scan.run(try Fixtures.fingerprint(Self.noised), against: Self.registry)
        #expect(noised.attribution.nearest == "release@1", "\(noised.attribution.sentence)")
        #expect(noised.attribution.verdict == .derived, "\(noised.attribution.sentence)")
        let exact = Scan.compare(try Fixtures.fingerprint(Self.release, layout: .init(dtype: .f32, shards: 2, reverseOrder: true)),
                                 Self.registry[1].fingerprint)
        let groups = exact.tensors.filter { $0.suspectTensor.contains(".experts.*.") }
        #expect(groups.count == 6)
        #expect(groups.allSatisfy { $0.exact != nil }, "\(groups.map { ($0.suspectTensor, $0.exact ?? "-") })")
        #expect(exact.verdict.kind == .identical || exact.verdict.kind == .reEncoded, "\(exact.verdict.sentence)")
    }

    @Test("the honest sibling is attributed to the base, and an independent MoE is not flagged")
    func siblingAndIndependent() throws {
        let sibling = Scan.run(try Fixtures.fingerprint(Self.sibling), against: Self.registry)
        #expect(sibling.attribution.nearest == "base@1", "\(sibling.attribution.sentence)")
        let unrelated = ModelGenerator.mixtureOfExperts(ModelGenerator.generate(Self.spec, seed: 900), experts: Self.experts, seed: 901)
        let scan = Scan.run(try Fixtures.fingerprint(unrelated), against: Self.registry)
        #expect(scan.attribution.verdict == .independent, "\(scan.attribution.sentence)")
        #expect(!scan.flagged)
    }

    @Test("with routers large enough to be evidence, renumbered experts in a GGUF copy are derived (experts renumbered), not a re-encoding")
    func renumberedWithRouterEvidence() throws {
        // The sample MoE's architecture: 16 experts, routers of 16 × 64 = 1024 values.
        let release = ModelGenerator.mixtureOfExperts(ModelGenerator.generate(SampleLineage.moeSpec, seed: 70), experts: SampleLineage.moeExperts, seed: 71)
        let registered = try Fixtures.fingerprint(release)
        let directory = Fixtures.temporaryDirectory("moe")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var model = CheckpointModel(release)
        _ = try ExpertPermutation(seed: 3).apply(to: &model)
        try model.write(to: directory + "/permuted", overwrite: true)
        let path = directory + "/permuted.gguf"
        try CheckpointConversion.writeGGUF(from: try CheckpointReader(path: directory + "/permuted"), to: path, options: .init(matrixType: .q8_0))
        let comparison = Scan.compare(try Fingerprinter.fingerprint(path: path), registered)
        #expect(comparison.verdict.kind == .derived, "\(comparison.verdict.sentence)")
        #expect(comparison.verdict.sentence.contains("experts renumbered"), "\(comparison.verdict.sentence)")
        #expect(comparison.verdict.evidence.contains { $0.contains("2 of 2 mixture-of-experts routers do not match (estimated cosine below 0.9)") }, "\(comparison.verdict.evidence)")
        // The same GGUF conversion without renumbering is a re-encoding: the routers match.
        let plain = directory + "/plain.gguf"
        try CheckpointConversion.writeGGUF(from: try CheckpointReader(path: try Fixtures.write(release, to: directory)), to: plain, options: .init(matrixType: .q8_0))
        let reencoded = Scan.compare(try Fingerprinter.fingerprint(path: plain), registered)
        #expect(reencoded.verdict.kind == .reEncoded, "\(reencoded.verdict.sentence)")
        #expect(reencoded.tensors.filter { $0.role == "mlp.router" }.count == 2)
    }

    @Test("compare --deep reads expert groups and stacks expert by expert: a GGUF copy agrees, renumbered experts do not")
    func deepComparison() throws {
        let directory = Fixtures.temporaryDirectory("moe")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let releasePath = try Fixtures.write(Self.release, to: directory)
        let release = try CheckpointReader(path: releasePath)
        let registered = try Fingerprinter.fingerprint(release)
        for (name, model) in [("copy", Self.release), ("renumbered", try Self.renumbered(Self.release))] {
            try FileManager.default.createDirectory(atPath: directory + "/" + name, withIntermediateDirectories: true)
            let source = try CheckpointReader(path: try Fixtures.write(model, to: directory + "/" + name))
            let path = directory + "/\(name).gguf"
            try CheckpointConversion.writeGGUF(from: source, to: path, options: .init(
                matrixType: .q8_0, otherType: .f32, architecture: "llama", headCount: Self.spec.headCount, headCountKV: Self.spec.keyValueHeadCount))
            let suspect = try CheckpointReader(path: path)
            let comparison = Scan.compare(try Fingerprinter.fingerprint(suspect), registered)
            let deep = try FullWeightComparison.compare(suspect: suspect, reference: release, matches: comparison.tensors)
            #expect(deep.skipped.isEmpty, "\(deep.skipped)")
            let experts = deep.pairs.filter { $0.suspectTensor.hasSuffix("_exps.weight") }
            #expect(experts.count == 6)
            #expect(experts.allSatisfy { $0.referenceTensor.contains(".experts.*.") && $0.elements == Self.experts * 256 * 128 })
            if name == "copy" {
                // Q8_0 rounding only (the sketches' deviation of the same copy is ≈ 0.005).
                #expect(experts.allSatisfy { $0.cosine > 0.9999 }, "\(experts.map(\.cosine))")
            } else {
                // The sums agree, the experts one by one do not: only fixed points of the renumbering line up.
                #expect(comparison.tensors.filter { $0.suspectTensor.hasSuffix("_exps.weight") }.allSatisfy { $0.cosine > 0.99 })
                #expect(experts.allSatisfy { $0.cosine < 0.9 }, "\(experts.map(\.cosine))")
            }
        }
    }

    /// MXFP4 blocks and E8M0 scales of `values` (rows of whole 32-value blocks), gpt-oss's layout:
    /// each block's exponent the smallest that fits its largest magnitude under 6, codes rounded to nearest.
    static func mxfp4(_ values: [Float]) -> (blocks: [UInt8], scales: [UInt8]) {
        let magnitudes: [Float] = [0, 0.5, 1, 1.5, 2, 3, 4, 6]
        var blocks: [UInt8] = [], scales: [UInt8] = []
        for start in stride(from: 0, to: values.count, by: 32) {
            let block = values[start..<(start + 32)]
            let largest = block.map(abs).max()!
            let exponent = largest > 0 ? Int((log2(Double(largest) / 6)).rounded(.up)) : 0
            scales.append(UInt8(exponent + 127))
            let codes = block.map { value -> UInt8 in
                let scaled = abs(value) / Float(sign: .plus, exponent: exponent, significand: 1)
                let index = magnitudes.indices.min { abs(magnitudes[$0] - scaled) < abs(magnitudes[$1] - scaled) }!
                return UInt8(index) | (value < 0 ? 8 : 0)
            }
            for pair in stride(from: 0, to: 32, by: 2) { blocks.append(codes[pair] | codes[pair + 1] << 4) }
        }
        return (blocks, scales)
    }

    @Test("a gpt-oss-style MXFP4 release and its BF16 dequantization (experts transposed, as transformers writes them) match expert stack for expert stack")
    func mxfp4Release() throws {
        let (hidden, ff, experts, layers) = (64, 32, 4, 2)
        var rng = SplitMix64(seed: 90)
        func gaussian(_ count: Int, _ std: Float = 0.02) -> [Float] { (0..<count).map { _ in rng.nextGaussian() * std } }
        func transposedExperts(_ values: [Float], rows: Int, columns: Int) -> [Float] {
            (0..<experts).flatMap { e in Fixtures.transpose(Array(values[(e * rows * columns)..<((e + 1) * rows * columns)]), rows: rows, cols: columns) }
        }
        let directory = Fixtures.temporaryDirectory("mxfp4")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func writeSingle(_ name: String, _ blocks: [UInt8], _ scales: [UInt8], _ shape: [Int]) throws -> String {
            let path = directory + "/\(name)-\(UUID().uuidString).safetensors"
            try SafetensorsWriter.write([
                .init(name: "model.layers.0.mlp.experts.\(name)_blocks", dtype: .u8, shape: shape + [16], bytes: blocks),
                .init(name: "model.layers.0.mlp.experts.\(name)_scales", dtype: .u8, shape: shape, bytes: scales),
            ], to: path)
            return path
        }
        var release: [SafetensorsWriter.Tensor] = [], dequantized: [SafetensorsWriter.Tensor] = []
        func both(_ name: String, _ shape: [Int], _ values: [Float]) {
            release.append(.init(name: name, shape: shape, values: values, as: .bf16))
            dequantized.append(.init(name: name, shape: shape, values: values, as: .bf16))
        }
        both("model.embed_tokens.weight", [256, hidden], gaussian(256 * hidden))
        for layer in 0..<layers {
            let prefix = "model.layers.\(layer)."
            for projection in ["q_proj", "k_proj", "v_proj", "o_proj"] { both(prefix + "self_attn.\(projection).weight", [hidden, hidden], gaussian(hidden * hidden)) }
            both(prefix + "mlp.router.weight", [experts, hidden], gaussian(experts * hidden))
            for (name, rows, columns) in [("gate_up_proj", 2 * ff, hidden), ("down_proj", hidden, ff)] {
                let values = gaussian(experts * rows * columns)
                let (blocks, scales) = Self.mxfp4(values)
                release.append(.init(name: prefix + "mlp.experts.\(name)_blocks", dtype: .u8, shape: [experts, rows, columns / 32, 16], bytes: blocks))
                release.append(.init(name: prefix + "mlp.experts.\(name)_scales", dtype: .u8, shape: [experts, rows, columns / 32], bytes: scales))
                // The exact dequantized values, each expert transposed (BF16 holds E2M1 × 2^k exactly).
                let reader = try CheckpointReader(path: try writeSingle(name, blocks, scales, [experts, rows, columns / 32]))
                var exact = [Float](repeating: 0, count: experts * rows * columns)
                let weight = try #require(reader.checkpoint.tensor(named: "model.layers.0.mlp.experts.\(name)"))
                let count = exact.count
                try exact.withUnsafeMutableBufferPointer { try reader.readElements(of: weight, range: 0..<count, into: $0) }
                dequantized.append(.init(name: prefix + "mlp.experts.\(name)", shape: [experts, columns, rows],
                                         values: transposedExperts(exact, rows: rows, columns: columns), as: .bf16))
            }
        }
        try SafetensorsWriter.write(release, to: directory + "/release.safetensors")
        try SafetensorsWriter.write(dequantized, to: directory + "/dequantized.safetensors")
        let reference = try Fingerprinter.fingerprint(path: directory + "/release.safetensors")
        let stacks = reference.tensors.filter { $0.experts == experts }
        #expect(stacks.map(\.dtype) == Array(repeating: "F4", count: 2 * layers) && stacks.allSatisfy { $0.scale?.block == [1, 32] }, "\(stacks.map { ($0.name, $0.dtype, $0.scale?.block ?? []) })")
        let comparison = Scan.compare(try Fingerprinter.fingerprint(path: directory + "/dequantized.safetensors"), reference)
        let matched = comparison.tensors.filter { $0.suspectTensor.contains(".experts.") }
        #expect(matched.count == 2 * layers)
        #expect(matched.allSatisfy { $0.significant && $0.transposed && $0.cosine > 0.9999 && $0.referenceTensor == $0.suspectTensor },
                "\(matched.map { ($0.suspectTensor, $0.referenceTensor ?? "-", $0.cosine, $0.transposed) })")
        #expect(comparison.verdict.kind == .reEncoded, "\(comparison.verdict.sentence)")
        // llama.cpp's conversion splits the fused, interleaved gate_up_proj rows into ffn_gate_exps and
        // ffn_up_exps: they line up with the release's parts (output rows of the MXFP4 blocks).
        let gguf = directory + "/release-Q8_0.gguf"
        try CheckpointConversion.writeGGUF(from: try CheckpointReader(path: directory + "/release.safetensors"), to: gguf, options: .init(matrixType: .q8_0))
        let split = Scan.compare(try Fingerprinter.fingerprint(path: gguf), reference)
        let parts = split.tensors.filter { $0.suspectTensor.contains("ffn_gate_exps") || $0.suspectTensor.contains("ffn_up_exps") }
        #expect(parts.count == 2 * layers && parts.allSatisfy { $0.significant && $0.cosine > 0.99 && $0.referenceTensor?.hasSuffix("]") == true },
                "\(parts.map { ($0.suspectTensor, $0.referenceTensor ?? "-", $0.cosine) })")
        #expect(split.verdict.kind == .reEncoded, "\(split.verdict.sentence)")
    }

    @Test("experts renamed beyond recognition (opaque names) are regrouped by what they match: the noise is measured, an exact copy stays exact")
    func opaqueNames() throws {
        let directory = Fixtures.temporaryDirectory("moe")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (name, noise) in [("exact", Float(0)), ("noised", Float(0.02))] {
            var model = CheckpointModel(Self.release)
            var plan = PerturbationPlan(seed: 4)
            if noise > 0 { plan.add(GaussianNoise(relativeStandardDeviation: noise, seed: plan.seed(for: .noise))) }
            plan.add(TensorRenaming(scheme: .opaque, seed: plan.seed(for: .rename)))
            _ = try plan.apply(to: &model)
            try model.write(to: directory + "/" + name, overwrite: true)
            let suspect = try Fingerprinter.fingerprint(path: directory + "/" + name)
            #expect(suspect.expertGroups.isEmpty && !suspect.tensors.contains { $0.name.contains("experts") })
            let comparison = Scan.compare(suspect, Self.registry[1].fingerprint)
            let regrouped = comparison.tensors.filter { $0.suspectTensor.hasSuffix("(+\(Self.experts - 1) experts)") }
            #expect(regrouped.count == 6, "\(comparison.tensors.map(\.suspectTensor))")
            #expect(regrouped.allSatisfy { $0.referenceTensor?.contains(".experts.*.") == true && $0.cosine > 0.999 })
            if noise > 0 {
                #expect(comparison.verdict.kind == .derived, "\(comparison.verdict.sentence)")
                #expect(comparison.verdict.evidence.contains { $0.contains("uniform across matrices (≈0.019") || $0.contains("uniform across matrices (≈0.020") }, "\(comparison.verdict.evidence)")
            } else {
                #expect(comparison.verdict.kind == .reEncoded, "\(comparison.verdict.sentence)")
                #expect(regrouped.allSatisfy { $0.exact == "raw" })
            }
        }
    }

    @Test("a fingerprint written before expert groups (each expert with its own sketch) is grouped at matching the same way")
    func fingerprintsWithoutGroups() throws {
        let current = try Fixtures.fingerprint(Self.noised)
        // The experts' own sketches, from the same weights under names that do not say "expert".
        let unnamed = ModelWeights(spec: Self.noised.spec, tensors: Self.noised.tensors.map {
            .init(name: $0.name.replacingOccurrences(of: ".experts.", with: ".expert_"), shape: $0.shape, values: $0.values)
        })
        let ownSketches = try Fixtures.fingerprint(unnamed)
        #expect(ownSketches.expertGroups.isEmpty)
        var old = current
        old.expertGroups = []
        for index in old.tensors.indices where old.tensors[index].sketch.isEmpty && old.tensors[index].name.contains(".experts.") {
            old.tensors[index].sketch = ownSketches.tensors[index].sketch
        }
        let registered = Self.registry[1].fingerprint
        let now = Scan.compare(current, registered).tensors, then = Scan.compare(old, registered).tensors
        #expect(then.map(\.suspectTensor) == now.map(\.suspectTensor))
        #expect(then.filter { $0.suspectTensor.contains(".experts.*.") }.count == 6)
        for (a, b) in zip(now, then) { #expect(abs(a.cosine - b.cosine) < 1e-6 && a.significant == b.significant, "\(a.suspectTensor)") }
    }
}
