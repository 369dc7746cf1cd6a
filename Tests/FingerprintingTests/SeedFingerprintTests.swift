import Fingerprinting
import Foundation
import Testing

/// `Fingerprints/` seeds every new registry; its sample releases must be what this build
/// computes from `Samples/` (otherwise run `make fingerprints`).
@Suite("Committed seed fingerprints are current")
struct SeedFingerprintTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("the sample releases' fingerprints equal a fresh fingerprint of Samples/", arguments: [
        ("acme__tiny-base@1.0.fingerprint.safetensors", "acme-tiny-base"),
        ("acme__tiny-chat@1.0.fingerprint.safetensors", "acme-tiny-chat"),
    ])
    func current(file: String, sample: String) throws {
        let committed = try Fingerprint.read(from: Self.repository.appendingPathComponent("Fingerprints/" + file).path)
        #expect(committed.extraMetadata["release"] != nil)
        let fresh = try Fingerprinter.fingerprint(path: Self.repository.appendingPathComponent("Samples/" + sample).path)
        #expect(try committed.fingerprint.encoded() == fresh.encoded(), "Fingerprints/\(file) is stale: run make fingerprints")
    }
}
