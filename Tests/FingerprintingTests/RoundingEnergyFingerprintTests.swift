import Checkpoints
import Fingerprinting
import Foundation
import ModelFixtures
import SyntheticModels
import Testing

@Suite("Rounding energy of GGML tensors in the fingerprint")
struct RoundingEnergyFingerprintTests {
    /// A tiny Llama written as safetensors, then as a Q8_0 GGUF; returns the GGUF's path.
    static func q8GGUF(in directory: String) throws -> String {
        let model = ModelGenerator.generate(.tinyLlama, seed: 61)
        let reader = try CheckpointReader(path: try Fixtures.write(model, to: directory))
        let path = directory + "/model-q8_0.gguf"
        try CheckpointConversion.writeGGUF(from: reader, to: path, options: .init(
            matrixType: .q8_0, otherType: .f32, architecture: "llama", headCount: model.spec.headCount, headCountKV: model.spec.keyValueHeadCount))
        return path
    }

    @Test("present for Q8_0 tensors, equal to the blocks' own Σ step²/12, independent of chunk size and threads")
    func computedFromBlocks() throws {
        let directory = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try Self.q8GGUF(in: directory)
        var encodings: [[UInt8]] = []
        var fingerprints: [Fingerprint] = []
        for (threads, chunk) in [(1, 4 << 20), (3, 1000), (2, 34 * 7)] {
            var options = FingerprintOptions()
            options.threads = threads
            options.chunkBytes = chunk
            let fingerprint = try Fingerprinter.fingerprint(path: path, options: options)
            fingerprints.append(fingerprint)
            encodings.append(try fingerprint.encoded())
        }
        for encoding in encodings.dropFirst() { #expect(encoding == encodings[0]) }

        let reader = try CheckpointReader(path: path)
        let fingerprint = fingerprints[0]
        var checked = 0
        for (tensor, printed) in zip(reader.checkpoint.tensors, fingerprint.tensors) {
            guard tensor.dtype == .q8_0 else {
                #expect(printed.roundingEnergy == nil, "\(tensor.name)")
                continue
            }
            var bytes: [UInt8] = []
            try reader.readChunks(of: tensor) { bytes += Array($0.bytes) }
            let direct = bytes.withUnsafeBytes { DType.q8_0.expectedRoundingEnergy(ofBlocks: $0) }
            let energy = try #require(printed.roundingEnergy, "\(tensor.name)")
            #expect(direct > 0 && abs(energy - direct) <= 1e-12 * direct, "\(tensor.name): \(energy) vs \(direct)")
            // Q8_0 keeps about 2⁻⁸ of a block's largest value: the rounding is a small fraction of the norm.
            let relative = (energy / printed.statistics!.sumSquares).squareRoot()
            #expect(relative > 0.001 && relative < 0.02, "\(tensor.name): \(relative)")
            checked += 1
        }
        #expect(checked >= 10)

        let decoded = try Fingerprint.decode(encodings[0], name: "q8").fingerprint
        #expect(decoded.tensors.map(\.roundingEnergy) == fingerprint.tensors.map(\.roundingEnergy))
    }

    @Test("a fingerprint file with a negative rounding energy is rejected, naming the tensor")
    func rejectsNegativeEnergy() throws {
        let directory = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let bytes = try Fingerprinter.fingerprint(path: try Self.q8GGUF(in: directory)).encoded()
        let headerLength = Int(bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        var header = String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self)
        // The fingerprint document is a JSON string inside the header: its quotes are escaped.
        let key = "\\\"roundingEnergy\\\":"
        let start = try #require(header.range(of: key)).upperBound
        let end = header[start...].firstIndex { !"0123456789.e-+".contains($0) }!
        let value = String(header[start..<end])
        header.replaceSubrange(start..<end, with: "-1" + String(repeating: " ", count: value.count - 2))
        let edited = Array(bytes[0..<8]) + Array(header.utf8) + Array(bytes[(8 + headerLength)...])
        #expect(edited.count == bytes.count)
        do {
            _ = try Fingerprint.decode(edited, name: "edited.fp")
            Issue.record("a negative rounding energy was accepted")
        } catch let error as FingerprintFileError {
            #expect(error.description.contains("rounding energy"), "\(error.description)")
            #expect(error.description.contains("edited.fp"), "\(error.description)")
        }
    }
}
