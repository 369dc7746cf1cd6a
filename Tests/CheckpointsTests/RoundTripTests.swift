import Checkpoints
import Foundation
import Testing

@Suite("Safetensors write → read round trip")
struct RoundTripTests {
    @Test("tensors written by SafetensorsWriter read back with the same names, shapes and values")
    func roundTrip() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("model.safetensors").path
        let values: [Float] = (0..<12).map { Float($0) * 0.25 - 1 }
        try SafetensorsWriter.write([
            .init(name: "b", shape: [3, 4], values: values, as: .bf16),
            .init(name: "a", shape: [12], values: values, as: .f32),
        ], metadata: ["format": "pt"], to: path)

        let reader = try CheckpointReader(path: path)
        #expect(reader.checkpoint.tensors.map(\.name) == ["b", "a"])
        #expect(reader.checkpoint.files[0].metadata == ["format": "pt"])
        for tensor in reader.checkpoint.tensors {
            var decoded: [Float] = []
            try reader.readChunks(of: tensor, chunkBytes: 6) { chunk in
                var out = [Float](repeating: .nan, count: chunk.elementCount)
                out.withUnsafeMutableBufferPointer { chunk.decode(into: $0) }
                decoded += out
            }
            #expect(decoded == values, "tensor \(tensor.name)")
        }
    }
}
