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

    @Test("a GGUF quantization is a quantized re-encoding of the release, naming its types", arguments: [DType.q8_0, .q4_0, .q5_1])
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
