import ModelFixtures
import Checkpoints
import Fingerprinting
import Foundation
import Matching
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

    @Test("a GGUF whose MLP matrices use a digest-only type (IQ2_XXS) still opens and is attributed by the rest")
    func ggufWithDigestOnlyTensors() throws {
        // Rows of 256 values (a whole IQ2_XXS block) need a wider model than the shared lineage.
        let lineage = Lineage(spec: TransformerSpec(family: .llama, vocabSize: 512, hiddenSize: 256, intermediateSize: 512,
                                                    layerCount: 2, headCount: 4), seed: 300)
        let directory = Fixtures.temporaryDirectory("formats")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let reader = try CheckpointReader(path: try Fixtures.write(lineage.release, to: directory))
        let quantized = directory + "/release-q8_0.gguf"
        try CheckpointConversion.writeGGUF(from: reader, to: quantized, options: .init(matrixType: .q8_0, otherType: .f32))
        // Rewrite it with every MLP matrix stored as IQ2_XXS (arbitrary bytes of the right size:
        // this tool only hashes that type).
        let source = try CheckpointReader(path: quantized)
        var generator = SystemRandomNumberGenerator()
        var tensors: [GGUFWriter.Tensor] = []
        var replaced: [String] = []
        for tensor in source.checkpoint.tensors {
            if tensor.name.contains(".mlp."), tensor.shape.count == 2, tensor.shape[1] % 256 == 0,
               let bytes = DType.iq2XXS.byteCount(forElements: tensor.elementCount) {
                tensors.append(.init(name: tensor.name, dtype: .iq2XXS, shape: tensor.shape, bytes: (0..<bytes).map { _ in UInt8.random(in: 0...255, using: &generator) }))
                replaced.append(tensor.name)
                continue
            }
            var bytes: [UInt8] = []
            try source.readChunks(of: tensor) { bytes += $0.bytes }
            tensors.append(.init(name: tensor.name, dtype: tensor.dtype, shape: tensor.shape, bytes: bytes))
        }
        #expect(!replaced.isEmpty)
        let path = directory + "/release-iq2.gguf"
        try GGUFWriter.write(tensors, metadata: GGUFMetadata(), to: path)

        let opened = try CheckpointReader(path: path)
        #expect(opened.checkpoint.quantizationTypes == [.q8_0, .iq2XXS])
        let info = try #require(opened.checkpoint.tensor(named: replaced[0]))
        var floats = [Float](repeating: 0, count: 256)
        #expect(throws: CheckpointError.self) {
            try floats.withUnsafeMutableBufferPointer { try opened.readElements(of: info, range: 0..<256, into: $0) }
        }
        let suspect = try Fingerprinter.fingerprint(opened)
        let digestOnly = suspect.tensors.filter { $0.dtype == "IQ2_XXS" }
        #expect(digestOnly.count == replaced.count)
        #expect(digestOnly.allSatisfy { $0.statistics == nil && $0.sketch.isEmpty })
        let scan = Scan.run(suspect, against: try lineage.registry())
        #expect(scan.attribution.nearest == "release@1", "\(scan.attribution.sentence)")
        #expect(scan.attribution.verdict == .reEncoded, "\(scan.attribution.sentence)")
        // The verdict names only the types it compared, and says what it could not compare.
        #expect(scan.attribution.sentence.contains("quantized to Q8_0"), "\(scan.attribution.sentence)")
        #expect(!scan.attribution.sentence.contains("IQ2_XXS"), "\(scan.attribution.sentence)")
        let evidence = try #require(scan.candidates.first { $0.reference.label == "release@1" }).verdict.evidence
        #expect(evidence.contains { $0.hasPrefix("\(replaced.count) weight matrices") && $0.contains("IQ2_XXS, which this tool reads by digest only") },
                "\(evidence)")
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
