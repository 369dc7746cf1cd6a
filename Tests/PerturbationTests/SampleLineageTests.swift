import Foundation
import Perturbation
import ProvenanceCrypto
import Testing

/// `Samples/` is committed; it must be exactly what `SampleLineage` writes (`make samples`).
@Suite("Committed samples are reproducible")
struct SampleLineageTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func digests(under root: String) throws -> [String: SHA256Digest] {
        var result: [String: SHA256Digest] = [:]
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let relative = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            let path = (root as NSString).appendingPathComponent(relative)
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            result[relative] = SHA256.hash(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        }
        return result
    }

    @Test("regenerating the sample lineage gives the committed bytes")
    func reproducible() throws {
        let committed = Self.repository.appendingPathComponent("Samples").path
        let regenerated = FileManager.default.temporaryDirectory.appendingPathComponent("samples-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: regenerated) }
        try SampleLineage.write(to: regenerated)
        let expected = try Self.digests(under: committed)
        let actual = try Self.digests(under: regenerated)
        #expect(!expected.isEmpty)
        #expect(Set(actual.keys) == Set(expected.keys))
        for (file, digest) in expected { #expect(actual[file] == digest, "Samples/\(file) differs from what SampleLineage writes (run make samples)") }
    }
}
