import CheckpointFixtures
import Checkpoints
import Foundation
import Testing

/// Committed fixtures under `Tests/CheckpointsTests/Fixtures` (made by the scripts there).
enum FormatFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    static func bytes(_ relative: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: root.appendingPathComponent(relative)))
    }

    /// A little-endian float32 file.
    static func floats(_ relative: String) throws -> [Float] {
        let raw = try bytes(relative)
        return stride(from: 0, to: raw.count, by: 4).map { offset in
            Float(bitPattern: UInt32(raw[offset]) | UInt32(raw[offset + 1]) << 8 | UInt32(raw[offset + 2]) << 16 | UInt32(raw[offset + 3]) << 24)
        }
    }
}

/// A fresh directory removed when the value goes away.
final class FormatTestDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("formats-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func write(_ bytes: [UInt8], to name: String) throws -> String {
        let path = path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// Bitwise equality of float arrays (NaN payloads included, +0 ≠ −0).
func sameBits(_ a: [Float], _ b: [Float]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
}

/// Where `values` first differ from `expected` bit for bit ("INDEX: VALUE vs EXPECTED"), or in
/// length; `nil` when they are the same bits.
func firstBitDifference(_ values: [Float], _ expected: [Float]) -> String? {
    guard values.count == expected.count else { return "\(values.count) values, expected \(expected.count)" }
    return zip(values, expected).enumerated().first { $0.element.0.bitPattern != $0.element.1.bitPattern }
        .map { "\($0.offset): \($0.element.0) vs \($0.element.1)" }
}

/// Checks that `tensor` reads, through chunks of each of `chunkSizes`, as `expected` (a library's
/// own dequantization) to within `tolerance` × the largest magnitude of `expected`.
func expectReads(
    _ reader: CheckpointReader, _ tensor: TensorInfo, as expected: [Float], within tolerance: Float, chunkSizes: [Int],
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let bound = (expected.map(abs).max() ?? 0) * tolerance
    for chunkBytes in chunkSizes {
        let values = try readAllFloats(reader, tensor, chunkBytes: chunkBytes)
        let worst = zip(values, expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(values.count == expected.count && zip(values, expected).allSatisfy { abs($0 - $1) <= bound },
                "\(tensor.name), chunks of \(chunkBytes): largest difference \(worst), allowed \(bound)", sourceLocation: sourceLocation)
    }
}

/// Decodes a whole tensor through `readChunks`, checking chunk bookkeeping on the way.
func readAllFloats(_ reader: CheckpointReader, _ tensor: TensorInfo, chunkBytes: Int = CheckpointReader.defaultChunkBytes) throws -> [Float] {
    var values: [Float] = []
    try reader.readChunks(of: tensor, chunkBytes: chunkBytes) { chunk in
        #expect(chunk.firstElement == values.count, "chunks of \(tensor.name) arrive in element order")
        #expect(chunk.elementCount % tensor.dtype.block.elements == 0)
        var decoded = [Float](repeating: .nan, count: chunk.elementCount)
        decoded.withUnsafeMutableBufferPointer { chunk.decode(into: $0) }
        values += decoded
    }
    return values
}

/// Decodes raw stored bytes of `dtype`.
func decode(_ bytes: [UInt8], as dtype: DType) -> [Float] {
    let count = bytes.count / dtype.block.bytes * dtype.block.elements
    var values = [Float](repeating: .nan, count: count)
    bytes.withUnsafeBytes { raw in
        values.withUnsafeMutableBufferPointer { dtype.decode(raw, into: $0) }
    }
    return values
}

/// The error thrown by `body`, as a `CheckpointError`.
func checkpointError(_ body: () throws -> Void) -> CheckpointError? {
    do {
        try body()
        return nil
    } catch let error as CheckpointError {
        return error
    } catch {
        Issue.record("unexpected error type: \(error)")
        return nil
    }
}

/// A reader of `tensors` written as one safetensors file `name` in `directory`.
func openSafetensors(_ tensors: [TensorBytes], in directory: TemporaryDirectory, name: String = "model.safetensors") throws -> CheckpointReader {
    try CheckpointReader(path: try directory.write(SafetensorsBytes.file(tensors), to: name))
}

/// `count` weight-like values of several magnitudes and both signs, the same on every run.
func wavyValues(count: Int) -> [Float] {
    (0..<count).map { Float(sin(Double($0) * 0.37)) * (1 + Float($0 % 7) * 0.3) }
}

/// Checks that opening each case's tensors (one safetensors file) fails with an error whose
/// sentence holds every string of `naming` and the case's reason.
func expectOpeningFails(_ cases: [([TensorBytes], String)], naming: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
    for (tensors, reason) in cases {
        let directory = try TemporaryDirectory()
        #expect(sourceLocation: sourceLocation) {
            _ = try openSafetensors(tensors, in: directory)
        } throws: { error in
            (naming + [reason]).allSatisfy { "\(error)".contains($0) }
        }
    }
}

/// The rounding energy of the weight `name` (its codes streamed in chunks of `chunkBytes`),
/// as the fingerprint computes it.
func streamedRoundingEnergy(_ reader: CheckpointReader, weight name: String, chunkBytes: Int = CheckpointReader.defaultChunkBytes,
                            sourceLocation: SourceLocation = #_sourceLocation) throws -> Double {
    let weight = try #require(reader.checkpoint.tensor(named: name), sourceLocation: sourceLocation)
    let scales = try #require(try reader.scaleFactors(of: weight), sourceLocation: sourceLocation)
    var energy = 0.0
    try reader.readChunks(of: weight, chunkBytes: chunkBytes, withScales: false) { chunk in
        energy += scales.roundingEnergy(ofCodes: chunk.bytes, dtype: weight.dtype, firstElement: chunk.firstElement)
    }
    return energy
}

/// A uniform number in (0, 1) from a fixed hash of `index`: the same on every run, so ratios the
/// tests print are reproducible.
func fixedUniform(_ index: Int) -> Double {
    let x = sin(Double(index) * 12.9898 + 78.233) * 43758.5453
    return max(x - x.rounded(.down), 1e-12)
}

/// `count` values uniform in (−1, 1), from `fixedUniform`.
func fixedUniformValues(count: Int) -> [Float] {
    (0..<count).map { Float(fixedUniform($0)) * 2 - 1 }
}
