import Checkpoints
import Fingerprinting
import Foundation
import Matching
import ModelFixtures
import Perturbation
import SyntheticModels
import Testing

/// Releases that fuse each MoE layer's gate and up projections (`gate_up_proj`: Llama 4 halves,
/// gpt-oss interleaved) against copies that split them, as every GGUF conversion does.
@Suite("Fused gate/up releases are matched part by part against split copies")
struct FusedGateUpAttributionTests {
    static let experts = 4
    static let spec = TransformerSpec(family: .llama, vocabSize: 512, hiddenSize: 128, intermediateSize: 256, layerCount: 2, headCount: 4)
    static let base = ModelGenerator.mixtureOfExperts(ModelGenerator.generate(spec, seed: 960), experts: experts, seed: 961)
    static let release = SimulatedTraining.fineTune(base, seed: 962, strength: 0.05)
    static let independent = ModelGenerator.mixtureOfExperts(ModelGenerator.generate(spec, seed: 970), experts: experts, seed: 971)

    static func fused(_ model: ModelWeights, interleaved: Bool) -> ModelWeights {
        Fixtures.fuseGateUp(model, experts: experts, interleaved: interleaved)
    }

    static func registry(interleaved: Bool) throws -> [(label: String, fingerprint: Fingerprint)] {
        [("base@1", try Fixtures.fingerprint(fused(base, interleaved: interleaved))),
         ("release@1", try Fixtures.fingerprint(fused(release, interleaved: interleaved))),
         ("independent@1", try Fixtures.fingerprint(fused(independent, interleaved: interleaved)))]
    }

    /// A Q8_0 GGUF of `model` in its fused layout, written as `convert_hf_to_gguf.py` does
    /// (fused stacks split into `blk.N.ffn_gate_exps` and `blk.N.ffn_up_exps`, the `[E, I, H]`
    /// down stacks transposed per expert into `blk.N.ffn_down_exps`).
    static func splitGGUF(_ model: ModelWeights, interleaved: Bool, in directory: String) throws -> Fingerprint {
        try splitGGUF(fused: fused(model, interleaved: interleaved), in: directory)
    }

    static func splitGGUF(fused: ModelWeights, in directory: String) throws -> Fingerprint {
        let reader = try CheckpointReader(path: try Fixtures.write(fused, to: directory))
        let path = directory + "/copy-Q8_0.gguf"
        try CheckpointConversion.writeGGUF(from: reader, to: path, options: .init(
            matrixType: .q8_0, otherType: .f32, architecture: "llama", headCount: spec.headCount, headCountKV: spec.keyValueHeadCount))
        let opened = try CheckpointReader(path: path)
        let split = opened.checkpoint.tensors.filter { $0.name.hasPrefix("blk.") && $0.name.contains("_exps") }
        #expect(split.map(\.name).sorted() == ["blk.0.ffn_down_exps.weight", "blk.0.ffn_gate_exps.weight", "blk.0.ffn_up_exps.weight",
                                              "blk.1.ffn_down_exps.weight", "blk.1.ffn_gate_exps.weight", "blk.1.ffn_up_exps.weight"])
        #expect(split.allSatisfy { tensor in
            tensor.dtype == .q8_0 && tensor.shape == (tensor.name.contains("down") ? [experts, spec.hiddenSize, spec.intermediateSize]
                                                                                  : [experts, spec.intermediateSize, spec.hiddenSize])
        })
        #expect(!opened.checkpoint.tensors.contains { $0.name.contains("gate_up") || $0.name.contains("experts.down_proj") })
        return try Fingerprinter.fingerprint(opened)
    }

    @Test("a GGUF that splits the fused stacks is a quantized re-encoding of the release, gate and up matched part for part",
          arguments: [false, true])
    func splitGGUFCopy(interleaved: Bool) throws {
        let directory = Fixtures.temporaryDirectory("fused")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let registry = try Self.registry(interleaved: interleaved)
        let suspect = try Self.splitGGUF(Self.release, interleaved: interleaved, in: directory)
        let scan = Scan.run(suspect, against: registry)
        #expect(scan.attribution.nearest == "release@1", "\(scan.attribution.sentence)")
        #expect(scan.attribution.verdict == .reEncoded, "\(scan.attribution.sentence)")
        #expect(scan.attribution.sentence.contains("quantized to Q8_0"), "\(scan.attribution.sentence)")
        let comparison = try #require(scan.candidates.first { $0.reference.label == "release@1" })
        for layer in 0..<Self.spec.layerCount {
            for part in ["gate", "up"] {
                let match = try #require(comparison.tensors.first { $0.suspectTensor == "blk.\(layer).ffn_\(part)_exps.weight" })
                let block = interleaved ? "mlp" : "feed_forward"
                #expect(match.referenceTensor == "model.layers.\(layer).\(block).experts.gate_up_proj[\(part)]", "\(match.referenceTensor ?? "-")")
                #expect(match.significant && match.cosine > 0.99 && match.transposed, "\(match.suspectTensor): \(match.cosine)")
            }
        }
    }

    @Test("without the parts (a fingerprint written before them) the split copy's gate and up match nothing and it looks derived; a split the wrong way matches nothing")
    func partsAreTheEvidence() throws {
        let directory = Fixtures.temporaryDirectory("fused")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var registered = try Self.registry(interleaved: false)[1].fingerprint
        let suspect = try Self.splitGGUF(Self.release, interleaved: false, in: directory)
        let withParts = Scan.compare(suspect, registered)
        registered.fusedParts = []
        let withoutParts = Scan.compare(suspect, registered)
        func matched(_ comparison: Comparison) -> Int {
            comparison.tensors.filter { ($0.suspectTensor.contains("ffn_gate_exps") || $0.suspectTensor.contains("ffn_up_exps")) && $0.significant }.count
        }
        #expect(matched(withParts) == 4)
        #expect(matched(withoutParts) == 0)
        #expect(withParts.verdict.kind == .reEncoded, "\(withParts.verdict.sentence)")
        // Unmatched gate and up stacks made the quantized copy look changed.
        #expect(withoutParts.verdict.kind == .derived, "\(withoutParts.verdict.sentence)")
        // A conversion that splits the wrong way (interleaved columns cut in halves) mixes gate and up: no match.
        let interleavedRelease = try Self.registry(interleaved: true)[1].fingerprint
        let misnamed = ModelWeights(spec: Self.spec, tensors: Self.fused(Self.release, interleaved: true).tensors.map {
            .init(name: $0.name.replacingOccurrences(of: ".mlp.", with: ".feed_forward."), shape: $0.shape, values: $0.values)
        })
        try FileManager.default.createDirectory(atPath: directory + "/misread", withIntermediateDirectories: true)
        let crossed = Scan.compare(try Self.splitGGUF(fused: misnamed, in: directory + "/misread"), interleavedRelease)
        let gates = crossed.tensors.filter { $0.suspectTensor.hasSuffix("ffn_gate_exps.weight") }
        #expect(gates.count == 2 && gates.allSatisfy { !$0.significant || $0.cosine < 0.9 }, "\(gates.map(\.cosine))")
    }

    @Test("a fused copy matches as a whole (exactly); an independent model's split GGUF is not flagged")
    func fusedCopyAndIndependent() throws {
        let directory = Fixtures.temporaryDirectory("fused")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let registry = try Self.registry(interleaved: true)
        let copy = Scan.compare(try Fixtures.fingerprint(Self.fused(Self.release, interleaved: true), layout: .init(shards: 2, reverseOrder: true)),
                                registry[1].fingerprint)
        #expect(copy.verdict.kind == .identical || copy.verdict.kind == .reEncoded, "\(copy.verdict.sentence)")
        // Fused on both sides: the wholes match (exactly), and parts are not needed.
        let fused = copy.tensors.filter { $0.suspectTensor.contains("gate_up_proj") }
        #expect(fused.count == 2 && fused.allSatisfy { $0.exact != nil && $0.referenceTensor == $0.suspectTensor },
                "\(fused.map { ($0.suspectTensor, $0.exact ?? "-") })")

        let unrelated = ModelGenerator.mixtureOfExperts(ModelGenerator.generate(Self.spec, seed: 980), experts: Self.experts, seed: 981)
        let scan = Scan.run(try Self.splitGGUF(unrelated, interleaved: true, in: directory), against: registry)
        #expect(scan.attribution.verdict == .independent, "\(scan.attribution.sentence)")
        #expect(!scan.flagged)
    }

    @Test("Granite MoE (input_linear: gate rows then up rows per expert): a GGUF written as convert_hf_to_gguf.py writes granitemoe is a re-encoding, part for part")
    func graniteMixture() throws {
        let directory = Fixtures.temporaryDirectory("fused")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let release = Fixtures.graniteExperts(Self.release, experts: Self.experts)
        let registered = try Fixtures.fingerprint(release)
        // Both Granite stacks are stacks, and input_linear's halves are sketched as parts.
        #expect(registered.tensors.filter { $0.name.contains("_linear") }.allSatisfy { $0.experts == Self.experts })
        #expect(registered.fusedParts.count == 2 * Self.spec.layerCount)

        let reader = try CheckpointReader(path: try Fixtures.write(release, to: directory))
        let path = directory + "/granitemoe-Q8_0.gguf"
        try CheckpointConversion.writeGGUF(from: reader, to: path, options: .init(
            matrixType: .q8_0, otherType: .f32, architecture: "granitemoe", headCount: Self.spec.headCount, headCountKV: Self.spec.keyValueHeadCount))
        let copy = try CheckpointReader(path: path)
        let stored = Set(copy.checkpoint.tensors.map { $0.storedName ?? $0.name })
        #expect(stored.isSuperset(of: ["blk.0.ffn_gate_exps.weight", "blk.0.ffn_up_exps.weight", "blk.0.ffn_down_exps.weight", "blk.0.ffn_gate_inp.weight"]),
                "\(stored.sorted())")
        let comparison = Scan.compare(try Fingerprinter.fingerprint(copy), registered)
        #expect(comparison.verdict.kind == .reEncoded, "\(comparison.verdict.sentence)")
        for layer in 0..<Self.spec.layerCount {
            for part in ["gate", "up"] {
                let match = try #require(comparison.tensors.first { $0.suspectTensor == "blk.\(layer).ffn_\(part)_exps.weight" })
                #expect(match.referenceTensor == "model.layers.\(layer).block_sparse_moe.input_linear.weight[\(part)]" && match.cosine > 0.99,
                        "\(match.referenceTensor ?? "-"): \(match.cosine)")
            }
        }
    }

    @Test("a lossless (BF16) GGUF of a BF16 fused release is a re-encoding though its split parts have no digests; a change of 1e-4 of the norm is not",
          arguments: ["llama4", "gpt-oss", "granite"])
    func losslessSplit(layout: String) throws {
        let directory = Fixtures.temporaryDirectory("fused")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func fusedRelease(_ model: ModelWeights) -> ModelWeights {
            switch layout {
            case "granite": Fixtures.graniteExperts(model, experts: Self.experts)
            case "gpt-oss": Self.withExpertBiases(Self.fused(model, interleaved: true))
            default: Self.fused(model, interleaved: false)
            }
        }
        let bfloat16 = Fixtures.Layout(dtype: .bf16)
        let registered = try Fixtures.fingerprint(fusedRelease(Self.release), layout: bfloat16)
        func bfloat16GGUF(of model: ModelWeights, named name: String) throws -> Fingerprint {
            try FileManager.default.createDirectory(atPath: directory + "/" + name, withIntermediateDirectories: true)
            let reader = try CheckpointReader(path: try Fixtures.write(fusedRelease(model), to: directory + "/" + name, layout: bfloat16))
            let path = directory + "/\(name).gguf"
            try CheckpointConversion.writeGGUF(from: reader, to: path, options: .init(
                matrixType: .bf16, otherType: .f32, architecture: layout == "granite" ? "granitemoe" : "llama",
                headCount: Self.spec.headCount, headCountKV: Self.spec.keyValueHeadCount))
            return try Fingerprinter.fingerprint(path: path)
        }
        let copy = Scan.compare(try bfloat16GGUF(of: Self.release, named: "copy"), registered)
        #expect(copy.verdict.kind == .reEncoded, "\(copy.verdict.sentence)")
        if layout == "gpt-oss" {
            // Its biases are split too (`ffn_gate_exps.bias`, `ffn_up_exps.bias`), matched to the bias's parts.
            let biases = copy.tensors.filter { $0.suspectTensor.hasSuffix("_exps.bias") }
            #expect(biases.count == 2 * Self.spec.layerCount && biases.allSatisfy { $0.referenceTensor?.contains("gate_up_proj_bias[") == true && $0.cosine > 0.999 },
                    "\(biases.map { ($0.suspectTensor, $0.referenceTensor ?? "-", $0.cosine) })")
        }
        #expect(copy.verdict.sentence.contains("fused gate/up projections on one side, separate on the other"), "\(copy.verdict.sentence)")
        let parts = copy.tensors.filter { $0.referenceTensor.map { $0.hasSuffix("[gate]") || $0.hasSuffix("[up]") } ?? false }
        let worst = parts.map { 1 / ($0.cosine * $0.cosine) - 1 }.max() ?? .infinity
        print("lossless split (\(layout)): \(parts.count) parts, largest 1/ρ² − 1 = \(worst)")
        // gpt-oss's biases are split too: two more parts per layer.
        #expect(parts.count == (layout == "gpt-oss" ? 4 : 2) * Self.spec.layerCount && worst < 1e-13, "\(parts.count) parts, \(worst)")
        // The reverse direction: the fused release scanned against its split copy.
        #expect(Scan.compare(registered, try bfloat16GGUF(of: Self.release, named: "again")).verdict.kind == .reEncoded)

        var changed = Self.release
        for index in changed.tensors.indices where changed.tensors[index].name.contains(".experts.0.w1") {
            changed.tensors[index].values = changed.tensors[index].values.enumerated().map { $0.element * (1 + 1e-4 * Float(($0.offset % 7) - 3)) }
        }
        let changedCopy = Scan.compare(try bfloat16GGUF(of: changed, named: "changed"), registered)
        #expect(changedCopy.verdict.kind == .derived, "\(changedCopy.verdict.sentence)")
    }

    /// `model` (gpt-oss layout) with gpt-oss's expert biases: `…experts.gate_up_proj_bias` `[E, 2I]`
    /// (gate and up interleaved) and `…experts.down_proj_bias` `[E, H]`.
    static func withExpertBiases(_ model: ModelWeights) -> ModelWeights {
        var result = model
        for tensor in model.tensors where tensor.name.hasSuffix("mlp.experts.gate_up_proj") {
            let (experts, hidden, fused) = (tensor.shape[0], tensor.shape[1], tensor.shape[2])
            let prefix = String(tensor.name.dropLast("gate_up_proj".count))
            let layer = Double(ExpertLayout.layerIndex(name: tensor.name) ?? 0)
            func values(_ count: Int, _ phase: Double) -> [Float] { (0..<count).map { Float(sin(Double($0) * 0.37 + phase)) * 0.02 } }
            result.tensors.append(.init(name: prefix + "gate_up_proj_bias", shape: [experts, fused], values: values(experts * fused, layer)))
            result.tensors.append(.init(name: prefix + "down_proj_bias", shape: [experts, hidden], values: values(experts * hidden, layer + 0.5)))
        }
        return result
    }

    @Test("Granite 4.0 (shared_mlp.input_linear: gate rows, then up rows): a BF16 GGUF written as convert_hf_to_gguf.py writes granite is a re-encoding, part for part")
    func graniteSharedMLP() throws {
        let directory = Fixtures.temporaryDirectory("fused")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let dense = SimulatedTraining.fineTune(ModelGenerator.generate(Self.spec, seed: 995), seed: 996, strength: 0.05)
        let granite = ModelWeights(spec: Self.spec, tensors: Fixtures.fuseDenseGateUp(dense).tensors.map {
            .init(name: $0.name.replacingOccurrences(of: "mlp.gate_up_proj", with: "shared_mlp.input_linear")
                .replacingOccurrences(of: "mlp.down_proj", with: "shared_mlp.output_linear"), shape: $0.shape, values: $0.values)
        })
        let bfloat16 = Fixtures.Layout(dtype: .bf16)
        let registered = try Fixtures.fingerprint(granite, layout: bfloat16)
        #expect(registered.fusedParts.count == 2 * Self.spec.layerCount)
        let reader = try CheckpointReader(path: try Fixtures.write(granite, to: directory, layout: bfloat16))
        let path = directory + "/granite-BF16.gguf"
        try CheckpointConversion.writeGGUF(from: reader, to: path, options: .init(
            matrixType: .bf16, otherType: .f32, architecture: "granite", headCount: Self.spec.headCount, headCountKV: Self.spec.keyValueHeadCount))
        let copy = try CheckpointReader(path: path)
        #expect(Set(copy.checkpoint.tensors.compactMap(\.storedName)).isSuperset(of: ["blk.0.ffn_gate.weight", "blk.0.ffn_up.weight", "blk.0.ffn_down.weight"]))
        let comparison = Scan.compare(try Fingerprinter.fingerprint(copy), registered)
        #expect(comparison.verdict.kind == .reEncoded, "\(comparison.verdict.sentence)")
        #expect(comparison.verdict.sentence.contains("fused gate/up projections on one side, separate on the other"), "\(comparison.verdict.sentence)")
        for layer in 0..<Self.spec.layerCount {
            for part in ["gate", "up"] {
                let match = try #require(comparison.tensors.first { $0.suspectTensor == "model.layers.\(layer).mlp.\(part)_proj.weight" })
                #expect(match.referenceTensor == "model.layers.\(layer).shared_mlp.input_linear.weight[\(part)]", "\(match.referenceTensor ?? "-")")
            }
        }
    }

    @Test("dense Phi-3-style fusion: a llamafied copy (gate_proj and up_proj) matches the parts, a renamed fused copy the whole")
    func denseFusion() throws {
        let dense = ModelGenerator.generate(Self.spec, seed: 990)
        let release = Fixtures.fuseDenseGateUp(SimulatedTraining.fineTune(dense, seed: 991, strength: 0.05))
        let registered = try Fixtures.fingerprint(release)
        #expect(registered.fusedParts.count == 2 * Self.spec.layerCount)
        // The llamafied copy: the same weights with gate and up as separate matrices, in BF16.
        let llamafied = ModelWeights(spec: Self.spec, tensors: release.tensors.flatMap { tensor -> [ModelWeights.Tensor] in
            guard tensor.name.hasSuffix("gate_up_proj.weight") else { return [tensor] }
            let half = tensor.values.count / 2
            let shape = [tensor.shape[0] / 2, tensor.shape[1]]
            return [.init(name: tensor.name.replacingOccurrences(of: "gate_up_proj", with: "gate_proj"), shape: shape, values: Array(tensor.values[..<half])),
                    .init(name: tensor.name.replacingOccurrences(of: "gate_up_proj", with: "up_proj"), shape: shape, values: Array(tensor.values[half...]))]
        })
        let split = Scan.compare(try Fixtures.fingerprint(llamafied, layout: .init(dtype: .bf16)), registered)
        #expect(split.verdict.kind == .reEncoded, "\(split.verdict.sentence)")
        for layer in 0..<Self.spec.layerCount {
            for (name, part) in [("gate_proj", "gate"), ("up_proj", "up")] {
                let match = try #require(split.tensors.first { $0.suspectTensor == "model.layers.\(layer).mlp.\(name).weight" })
                #expect(match.referenceTensor == "model.layers.\(layer).mlp.gate_up_proj.weight[\(part)]" && match.cosine > 0.999,
                        "\(match.referenceTensor ?? "-"): \(match.cosine)")
            }
        }
        // Renamed beyond recognition, a fused copy has no parts of its own and matches the whole.
        var renamed = CheckpointModel(release)
        _ = try TensorRenaming(scheme: .opaque, seed: 3).apply(to: &renamed)
        let opaque = Scan.compare(try Fixtures.fingerprint(ModelWeights(spec: Self.spec, tensors: renamed.entries.map(\.tensor))), registered)
        #expect(opaque.verdict.kind == .identical || opaque.verdict.kind == .reEncoded, "\(opaque.verdict.sentence)")
        #expect(opaque.tensors.filter { $0.referenceTensor?.hasSuffix("gate_up_proj.weight") == true && $0.significant }.count == Self.spec.layerCount)
    }
}
