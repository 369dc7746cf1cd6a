import Checkpoints
import Foundation
import Perturbation
import Testing

/// `perturb --dtype mlx…` against bytes MLX itself wrote (Tests/CheckpointsTests/Fixtures/make_mlx_fixtures.py,
/// MLX 0.32.4, its CPU build): the same original weights give the same packed words and scales.
@Suite("perturb's MLX writers store the bytes MLX's own quantizer does")
struct MLXWriterTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../CheckpointsTests/Fixtures/MLX").standardizedFileURL.path

    /// The stored bytes of each of `names` (values and companions by stored name) in the checkpoint at `path`.
    static func storedBytes(of names: [String], in path: String) throws -> [String: [UInt8]] {
        let reader = try CheckpointReader(path: path)
        var bytes: [String: [UInt8]] = [:]
        for name in names {
            let tensor = try #require(reader.checkpoint.tensors.first { ($0.storedName ?? $0.name) == name }, "\(name)")
            let file = try Data(contentsOf: URL(fileURLWithPath: reader.checkpoint.files[tensor.fileIndex].path))
            bytes[name] = Array(file[Int(tensor.offset)..<Int(tensor.offset + tensor.byteCount)])
        }
        return bytes
    }

    @Test("mlx-mxfp4, mlx-nvfp4 and mlx-mxfp8 match MLX's words and scales byte for byte; mlx (4-bit affine) its words",
          arguments: [(DTypeConversion.Target.mlxMXFP4, "model.layers.1.self_attn.q_proj."), (.mlxNVFP4, "model.layers.1.self_attn.k_proj."),
                      (.mlxMXFP8, "model.layers.1.self_attn.v_proj."), (.mlx, "model.layers.0.self_attn.q_proj.")])
    func matchesMLX(target: DTypeConversion.Target, prefix: String) throws {
        var model = try CheckpointModel.read(from: Self.fixtures + "/originals.safetensors")
        _ = try DTypeConversion(target: target).apply(to: &model)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mlx-writer-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try model.write(to: directory)
        // Affine scales and biases: MLX keeps the input's F32, perturb stores BF16 as mlx_lm does for a BF16 model.
        let names = [prefix + "weight"] + (target == .mlx ? [] : [prefix + "scales"])
        let ours = try Self.storedBytes(of: names, in: directory)
        let theirs = try Self.storedBytes(of: names, in: Self.fixtures + "/model")
        for name in names {
            var (a, b) = (try #require(ours[name]), try #require(theirs[name]))
            if target == .mlxMXFP4 || target == .mlxNVFP4, name.hasSuffix("weight") {
                // MLX's CPU quantizer (the fixture's) stores a negative value rounded to zero as +0, its Metal
                // kernel (and perturb) as −0 (E2M1 code 8): the same value; compared without the zero's sign.
                func unsignedZeros(_ bytes: [UInt8]) -> [UInt8] {
                    bytes.map { byte in (byte & 0x0F == 0x08 ? byte & 0xF0 : byte) & (byte & 0xF0 == 0x80 ? 0x0F : 0xFF) }
                }
                (a, b) = (unsignedZeros(a), unsignedZeros(b))
            }
            let first = a.indices.first { $0 >= b.count || a[$0] != b[$0] }
            #expect(a.count == b.count && first == nil, "\(name): \(a.count) vs \(b.count) bytes, first difference at \(first.map { "\($0): \(a[$0]) vs \(b[$0])" } ?? "-")")
        }
    }
}
