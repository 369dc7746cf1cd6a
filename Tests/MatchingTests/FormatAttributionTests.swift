import ModelFixtures
import Checkpoints
import Fingerprinting
import Foundation
import Matching
import Perturbation
import SyntheticModels
import Testing

/// Copies that circulate in other formats (issue 8): GGUF quantizations and PyTorch archives.
@Suite("GGUF and PyTorch copies are attributed to the release")
struct FormatAttributionTests {
    static let lineage = LineageTests.lineage

    func releaseCheckpoint() throws -> (directory: String, reader: CheckpointReader) {
        let directory = Fixtures.temporaryDirectory("formats")
        let path = try Fixtures.write(Self.lineage.release, to: directory)
        return (directory, try CheckpointReader(path: path))
    }

    @Test("a GGUF quantization is a quantized re-encoding of the release, naming its types", arguments: [DType.q8_0, .q4_0, .q5_1, .mxfp4])
    func gguf(type: DType) throws {
        let (directory, reader) = try releaseCheckpoint()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/release-\(type.name).gguf"
        let spec = Self.lineage.release.spec
        try CheckpointConversion.writeGGUF(from: reader, to: path, options: .init(
            matrixType: type, otherType: .f32, architecture: "llama", headCount: spec.headCount, headCountKV: spec.keyValueHeadCount))
        let suspect = try Fingerprinter.fingerprint(path: path)
        #expect(suspect.source.format == "gguf")
        let scan = Scan.run(suspect, against: LineageTests.registry)
        #expect(scan.attribution.nearest == "release@1", "\(scan.attribution.sentence)")
        #expect(scan.attribution.verdict == .reEncoded, "\(scan.attribution.sentence)")
        #expect(scan.attribution.sentence.contains("quantized to \(type.name)"), "\(scan.attribution.sentence)")
    }

    @Test("a GGUF keeping some matrices exact (F32, as llama.cpp keeps position embeddings) is uniform within each storage type, not 'further training'")
    func ggufWithExactMatrices() throws {
        let (directory, reader) = try releaseCheckpoint()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/release-mixed.gguf"
        let spec = Self.lineage.release.spec
        // Matrices whose rows are not whole 32-value blocks (down_proj's 176) fall back to F32.
        try CheckpointConversion.writeGGUF(from: reader, to: path, options: .init(
            matrixType: .q4_0, matrixFallbacks: [.f32], otherType: .f32, architecture: "llama", headCount: spec.headCount, headCountKV: spec.keyValueHeadCount))
        let suspect = try Fingerprinter.fingerprint(path: path)
        let matrixTypes = Set(suspect.tensors.filter { $0.shape.count == 2 }.map(\.dtype))
        try #require(matrixTypes == ["Q4_0", "F32"], "\(matrixTypes)")
        let comparison = try #require(Scan.run(suspect, against: LineageTests.registry).candidates.first { $0.reference.label == "release@1" })
        #expect(comparison.verdict.kind == .reEncoded, "\(comparison.verdict.sentence)")
        #expect(comparison.verdict.evidence.contains { $0.hasPrefix("The deviation is uniform within each storage type") && $0.contains("F32 ≈0") },
                "\(comparison.verdict.evidence)")
        #expect(!comparison.verdict.evidence.contains { $0.contains("further training") }, "\(comparison.verdict.evidence)")
    }

    @Test("an F16 GGUF of a BF16 release (llama.cpp's --outtype f16) is a re-encoding though its smallest values round; a lightly changed copy is not")
    func float16CopyOfBFloat16Release() throws {
        let directory = Fixtures.temporaryDirectory("formats")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let bfloat16 = Fixtures.Layout(dtype: .bf16)
        let reference = try Fixtures.fingerprint(Self.lineage.base, layout: bfloat16)
        func float16Copy(of model: ModelWeights, named name: String) throws -> Fingerprint {
            try FileManager.default.createDirectory(atPath: directory + "/" + name, withIntermediateDirectories: true)
            let reader = try CheckpointReader(path: try Fixtures.write(model, to: directory + "/" + name, layout: bfloat16))
            let path = directory + "/\(name)-f16.gguf"
            try CheckpointConversion.writeGGUF(from: reader, to: path, options: .init(
                matrixType: .f16, otherType: .f32, architecture: "llama", headCount: model.spec.headCount, headCountKV: model.spec.keyValueHeadCount))
            return try Fingerprinter.fingerprint(path: path)
        }

        let copy = try float16Copy(of: Self.lineage.base, named: "copy")
        // BF16 values below 2^-17 did round to F16's subnormal step: otherwise the copy would be exact and test nothing.
        let roundedTensors = copy.tensors.filter { tensor in !reference.tensors.contains { $0.canonical.sha256 == tensor.canonical.sha256 } }
        try #require(!roundedTensors.isEmpty && roundedTensors.allSatisfy { $0.dtype == "F16" && $0.valueGrid == "BF16" }, "\(roundedTensors.map(\.name))")
        let result = Scan.compare(copy, reference)
        #expect(result.verdict.kind == .reEncoded, "\(result.verdict.sentence)")
        #expect(result.verdict.sentence.contains("converted to F16 ("), "\(result.verdict.sentence)")
        #expect(result.verdict.evidence.contains { $0.contains("storing BF16 values as F16") }, "\(result.verdict.evidence)")
        let rounding = try #require(result.verdict.rounding)
        print("F16 copy of a BF16 release: \(roundedTensors.count) tensors rounded, deviation \(rounding.deviation), bound \(rounding.allowedRounding)")

        // A change a tenth of BF16's own step (then rounded to BF16 and stored as F16) is far above the subnormal bound.
        let changed = try float16Copy(of: SimulatedTraining.fineTune(Self.lineage.base, seed: 7, strength: 0.0005), named: "changed")
        let changedResult = Scan.compare(changed, reference)
        #expect(changedResult.verdict.kind == .derived, "\(changedResult.verdict.sentence)")
        #expect(changedResult.verdict.sentence.contains("weights changed"), "\(changedResult.verdict.sentence)")
    }

    @Test("norms stored as 1 + w beside exact matrices (llama.cpp's Gemma conversion) are a re-encoding, either way round; norms changed beyond that rounding are not")
    func normsStoredAsOnePlusW() throws {
        func bfloat16(_ value: Float) -> Float { FloatBits.bfloat16(FloatEncoding.bfloat16Bits(value)) }
        var release = Self.lineage.release
        for index in release.tensors.indices { release.tensors[index].values = release.tensors[index].values.map(bfloat16) }
        let norms = release.tensors.indices.filter { release.tensors[$0].shape.count == 1 && release.tensors[$0].name.hasSuffix("norm.weight") }
        try #require(norms.count >= 3 && norms.allSatisfy { Set(release.tensors[$0].values).count > 1 }, "norms must vary to be evidence")
        func shifted(by change: (Int) -> Float) -> ModelWeights {
            var copy = release
            // In F32, as convert_hf_to_gguf.py adds it (exact for BF16 weights of this size).
            for index in norms { copy.tensors[index].values = copy.tensors[index].values.enumerated().map { $0.element + 1 + change($0.offset) } }
            return copy
        }
        let reference = try Fixtures.fingerprint(release, layout: .init(dtype: .bf16))
        let converted = try Fixtures.fingerprint(shifted { _ in 0 }, layout: .init(dtype: .f32))

        for (suspect, registered) in [(converted, reference), (reference, converted)] {
            let result = Scan.compare(suspect, registered)
            #expect(result.verdict.kind == .reEncoded, "\(result.verdict.sentence)")
            #expect(result.verdict.sentence.contains("\(norms.count) norms stored as 1 + w"), "\(result.verdict.sentence)")
            #expect(result.verdict.evidence.contains { $0.contains("model.layers.0.input_layernorm.weight ↔ model.layers.0.input_layernorm.weight") },
                    "\(result.verdict.evidence)")
        }

        // Norm-only tuning of 0.02 (about four times BF16's rounding of values near 2) shows.
        let tuned = try Fixtures.fingerprint(shifted { 0.02 * sin(Float($0) * 1.7) }, layout: .init(dtype: .f32))
        let tunedResult = Scan.compare(tuned, reference)
        #expect(tunedResult.verdict.kind == .derived, "\(tunedResult.verdict.sentence)")
        #expect(!tunedResult.verdict.sentence.contains("1 + w"), "\(tunedResult.verdict.sentence)")
    }

    @Test("a copy with tensors that hold no weights added (llama.cpp's rope_freqs for Llama 3.1's scaled RoPE) is a re-encoding; a changed copy with them is not")
    func computedBuffersAdded() throws {
        let release = Self.lineage.release
        let headDimension = release.spec.hiddenSize / release.spec.headCount
        // Llama 3.1's frequency factors: 1 for high frequencies, up to the scaling factor 8 for low ones.
        let factors = (0..<(headDimension / 2)).map { Float(1 + 7 * $0 * 2 / headDimension) }
        func withRoPEFrequencies(_ model: ModelWeights) -> ModelWeights {
            var copy = model
            copy.tensors.append(.init(name: "rope_freqs.weight", shape: [factors.count], values: factors))
            return copy
        }
        let reference = try Fixtures.fingerprint(release)
        let converted = try Fixtures.fingerprint(withRoPEFrequencies(release))
        #expect(converted.tensors.first { $0.name == "rope_freqs.weight" }?.role == .buffer)
        let result = Scan.compare(converted, reference)
        #expect(result.verdict.kind == .reEncoded, "\(result.verdict.sentence)")
        #expect(result.verdict.sentence.contains("beside tensors that hold no weights (rope_freqs.weight)"), "\(result.verdict.sentence)")
        #expect(!result.verdict.sentence.contains("renamed"), "\(result.verdict.sentence)")

        let changed = try Fixtures.fingerprint(withRoPEFrequencies(SimulatedTraining.fineTune(release, seed: 9, strength: 0.01)))
        #expect(Scan.compare(changed, reference).verdict.kind == .derived)
    }

    /// A release wide enough for 256-value blocks (IQ1–IQ3 rows), and its registry.
    static let wideLineage = Lineage(spec: TransformerSpec(family: .llama, vocabSize: 512, hiddenSize: 256, intermediateSize: 512,
                                                           layerCount: 2, headCount: 4), seed: 300)
    static let wideRegistry = try! wideLineage.registry()

    /// `model` written to `directory`, then converted to a llama.cpp-style GGUF with every
    /// matrix in `type`; returns the GGUF's path.
    static func ggufCopy(of model: ModelWeights, as type: DType, in directory: String) throws -> String {
        let reader = try CheckpointReader(path: try Fixtures.write(model, to: directory))
        let path = directory + "/copy-\(type.name).gguf"
        try CheckpointConversion.writeGGUF(from: reader, to: path, options: .init(
            matrixType: type, otherType: .f32, architecture: "llama", headCount: model.spec.headCount, headCountKV: model.spec.keyValueHeadCount))
        return path
    }

    /// Scans a GGUF copy of `model` in `type` against the wide lineage's registry.
    static func scanGGUFCopy(of model: ModelWeights, as type: DType) throws -> ScanResult {
        let directory = Fixtures.temporaryDirectory("formats")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        return Scan.run(try Fingerprinter.fingerprint(path: try ggufCopy(of: model, as: type, in: directory)), against: wideRegistry)
    }

    @Test("a GGUF in a K-quant, a lattice type (IQ1–IQ3) or Q1_0 is a quantized re-encoding of the release",
          arguments: [DType.q6K, .q4K, .q2K, .iq3S, .iq2XXS, .iq1M, .q1_0])
    func latticeGGUF(type: DType) throws {
        let lineage = Self.wideLineage
        let directory = Fixtures.temporaryDirectory("formats")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let opened = try CheckpointReader(path: try Self.ggufCopy(of: lineage.release, as: type, in: directory))
        #expect(opened.checkpoint.quantizationTypes == [type])
        let suspect = try Fingerprinter.fingerprint(opened)
        let quantized = suspect.tensors.filter { $0.dtype == type.name }
        #expect(quantized.count == lineage.release.tensors.filter { $0.shape.count == 2 }.count)
        #expect(quantized.allSatisfy { $0.statistics != nil && !$0.sketch.isEmpty })
        let scan = Scan.run(suspect, against: Self.wideRegistry)
        #expect(scan.attribution.nearest == "release@1", "\(scan.attribution.sentence)")
        #expect(scan.attribution.verdict == .reEncoded, "\(scan.attribution.sentence)")
        #expect(scan.attribution.sentence.contains("quantized to \(type.name)"), "\(scan.attribution.sentence)")
        if type.hasRoundingGrid {
            let verdict = try #require(scan.candidates.first { $0.reference.label == "release@1" }).verdict
            #expect(quantized.allSatisfy { ($0.roundingEnergy ?? 0) > 0 })
            #expect(verdict.evidence.contains { $0.contains("the file's own block scales predict") }, "\(verdict.evidence)")
            // The prediction is the observed deviation, within 20 %.
            let rounding = try #require(verdict.rounding)
            #expect(rounding.fromBlockScales && rounding.explained)
            #expect(abs(rounding.deviation / rounding.expectedRounding - 1) < 0.2, "\(rounding)")
        } else {
            #expect(quantized.allSatisfy { $0.roundingEnergy == nil })
        }
    }

    @Test("the honest sibling quantized to a grid type is derived from the base: its fine-tune exceeds the rounding its block scales predict",
          arguments: [DType.q8_0, .q6K, .q5K, .q5_0])
    func gridSibling(type: DType) throws {
        let scan = try Self.scanGGUFCopy(of: Self.wideLineage.sibling, as: type)
        #expect(scan.attribution.nearest == "base@1", "\(scan.attribution.sentence)")
        #expect(scan.attribution.verdict == .derived, "\(scan.attribution.sentence)")
        #expect(scan.attribution.sentence.contains("weights changed, then quantized"), "\(scan.attribution.sentence)")
        let evidence = try #require(scan.candidates.first { $0.reference.label == "base@1" }).verdict.evidence
        #expect(evidence.contains { $0.contains("was changed before the weights were quantized") }, "\(evidence)")
    }

    @Test("a further-trained copy of the release quantized to Q4_K is derived from the release, not a re-encoding")
    func changedThenQuantized() throws {
        let changed = SimulatedTraining.fineTune(Self.wideLineage.release, seed: 301, strength: 0.12)
        let scan = try Self.scanGGUFCopy(of: changed, as: .q4K)
        #expect(scan.attribution.nearest == "release@1", "\(scan.attribution.sentence)")
        #expect(scan.attribution.verdict == .derived, "\(scan.attribution.sentence)")
        #expect(scan.attribution.sentence.contains("weights changed, then quantized"), "\(scan.attribution.sentence)")
        // The change is measured: the simulated training moved each tensor by 12 % of its norm.
        let comparison = try #require(scan.candidates.first { $0.reference.label == "release@1" })
        let rounding = try #require(comparison.verdict.rounding)
        #expect(rounding.fromBlockScales && !rounding.explained)
        #expect(rounding.change > 0.09 && rounding.change < 0.15, "\(rounding)")
    }

    @Test("against a release published as GGUF, other quantizations of it are re-encodings (also in its own type); a changed copy is not")
    func quantizedReference() throws {
        let directory = Fixtures.temporaryDirectory("formats")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for sub in ["published", "q8", "changed"] {
            try FileManager.default.createDirectory(atPath: directory + "/" + sub, withIntermediateDirectories: true)
        }
        let release = Self.wideLineage.release
        let published = try Fingerprinter.fingerprint(path: try Self.ggufCopy(of: release, as: .q4K, in: directory + "/published"))
        let q8 = try Self.ggufCopy(of: release, as: .q8_0, in: directory + "/q8")
        // Q4_K again, but from the Q8_0 copy's values: not byte-identical to the published file.
        let requantized = directory + "/requantized.gguf"
        try CheckpointConversion.writeGGUF(from: try CheckpointReader(path: q8), to: requantized, options: .init(
            matrixType: .q4K, otherType: .f32, architecture: "llama", headCount: release.spec.headCount, headCountKV: release.spec.keyValueHeadCount))
        let changed = try Self.ggufCopy(of: SimulatedTraining.fineTune(release, seed: 302, strength: 0.12), as: .q8_0, in: directory + "/changed")
        for (path, expected) in [(q8, Verdict.Kind.reEncoded), (requantized, .reEncoded), (changed, .derived)] {
            let suspect = try Fingerprinter.fingerprint(path: path)
            #expect(suspect.roots.canonical != published.roots.canonical)
            let verdict = Scan.compare(suspect, published, label: "release-gguf").verdict
            #expect(verdict.kind == expected, "\(path): \(verdict.sentence)")
            let rounding = try #require(verdict.rounding, "\(path)")
            #expect(rounding.fromBlockScales)
            if expected == .reEncoded {
                #expect(verdict.evidence.contains { $0.contains("with the reference's own rounding to Q4_K)") && $0.contains("both files' block scales predict") }, "\(verdict.evidence)")
            } else {
                #expect(verdict.sentence.contains("weights changed, then quantized"), "\(verdict.sentence)")
            }
        }
    }

    @Test("a GGUF with llama.cpp's fallback types (Q5_0 and F16 for a Q4_K request) is a re-encoding, uniform per storage type")
    func ggufFallbackTypes() throws {
        let (directory, _) = try releaseCheckpoint()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var model = CheckpointModel(Self.lineage.release)
        _ = try GGUFExport(type: .q4K).apply(to: &model)
        try model.write(to: directory + "/gguf")
        let suspect = try Fingerprinter.fingerprint(path: directory + "/gguf")
        #expect(Set(suspect.tensors.filter { $0.role.isWeightMatrix }.map(\.dtype)) == ["Q5_0", "F16"])
        let scan = Scan.run(suspect, against: LineageTests.registry)
        #expect(scan.attribution.nearest == "release@1", "\(scan.attribution.sentence)")
        #expect(scan.attribution.verdict == .reEncoded, "\(scan.attribution.sentence)")
        let evidence = try #require(scan.candidates.first { $0.reference.label == "release@1" }).verdict.evidence
        #expect(evidence.contains { $0.hasPrefix("The deviation is uniform within each storage type (Q5_0 ≈") }, "\(evidence)")
    }

    @Test("the honest sibling quantized to a lattice type or Q1_0 is still attributed to the base, not the release", arguments: [DType.iq3S, .iq2XXS, .iq1M, .q1_0])
    func latticeSibling(type: DType) throws {
        let scan = try Self.scanGGUFCopy(of: Self.wideLineage.sibling, as: type)
        #expect(scan.attribution.nearest == "base@1", "\(scan.attribution.sentence)")
        // Its fine-tune (≈5 % of each tensor's norm) hides in the rounding, and the evidence says so.
        let evidence = try #require(scan.candidates.first { $0.reference.label == "base@1" }).verdict.evidence
        #expect(scan.attribution.verdict == .reEncoded || scan.attribution.verdict == .derived, "\(scan.attribution.sentence)")
        if scan.attribution.verdict == .reEncoded {
            #expect(evidence.contains { $0.contains("light fine-tuning included, would not show") }, "\(evidence)")
        }
    }

    @Test("a PyTorch pytorch_model.bin of the release holds the same tensors")
    func pytorch() throws {
        let (directory, reader) = try releaseCheckpoint()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/pytorch_model.bin"
        try CheckpointConversion.writePyTorch(from: reader, to: path)
        let suspect = try Fingerprinter.fingerprint(path: path)
        #expect(suspect.source.format == "pytorch")
        let scan = Scan.run(suspect, against: LineageTests.registry)
        #expect(scan.attribution.nearest == "release@1", "\(scan.attribution.sentence)")
        #expect(scan.attribution.verdict == .identical || scan.attribution.verdict == .reEncoded, "\(scan.attribution.sentence)")
        let comparison = try #require(scan.candidates.first { $0.reference.label == "release@1" })
        #expect(comparison.exact.rawRootEqual)
    }
}
