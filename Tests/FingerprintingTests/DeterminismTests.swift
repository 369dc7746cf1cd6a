import ModelFixtures
import Checkpoints
@testable import Fingerprinting
import Foundation
import SyntheticModels
import Testing

@Suite("Determinism: same input, same fingerprint bytes")
struct DeterminismTests {
    @Test("independent of thread count, chunk size and the directory it lives in")
    func byteIdentical() throws {
        let model = ModelGenerator.generate(.tinyLlama, seed: 7)
        let first = Fixtures.temporaryDirectory(), second = Fixtures.temporaryDirectory()
        defer { for path in [first, second] { try? FileManager.default.removeItem(atPath: path) } }
        let pathA = try Fixtures.write(model, to: first, layout: .init(dtype: .bf16, shards: 2))
        let pathB = try Fixtures.write(model, to: second, layout: .init(dtype: .bf16, shards: 2))

        var outputs: [[UInt8]] = []
        for (path, threads, chunk) in [(pathA, 1, 4 << 20), (pathA, 4, 4096), (pathB, 2, 1000), (pathB, 3, 77_777)] {
            var options = FingerprintOptions()
            options.threads = threads
            options.chunkBytes = chunk
            let fingerprint = try Fingerprinter.fingerprint(path: path, options: options)
            let out = Fixtures.temporaryDirectory() + "/fp.safetensors"
            try fingerprint.write(to: out)
            outputs.append(Array(try Data(contentsOf: URL(fileURLWithPath: out))))
        }
        #expect(outputs.count == 4)
        for output in outputs.dropFirst() { #expect(output == outputs[0]) }
    }

    @Test("a different public seed gives different sketches and keys but the same digests")
    func seedMatters() throws {
        let model = ModelGenerator.generate(.tinyLlama, seed: 8)
        var options = FingerprintOptions()
        let standard = try Fixtures.fingerprint(model, options: options)
        options.seed = PublicSeed("another-seed")
        let other = try Fixtures.fingerprint(model, options: options)
        #expect(standard.roots == other.roots)
        #expect(standard.tensors.map(\.sha256) == other.tensors.map(\.sha256))
        #expect(standard.tensors[1].sketch != other.tensors[1].sketch)
        #expect(standard.indexKeys != other.indexKeys)
    }
}
