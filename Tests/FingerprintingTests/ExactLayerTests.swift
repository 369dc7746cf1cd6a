import ModelFixtures
import Checkpoints
@testable import Fingerprinting
import Foundation
import ProvenanceCrypto
import SyntheticModels
import Testing

@Suite("Exact layer: raw and canonical digests")
struct ExactLayerTests {
    /// A BF16-exact model stored as F32, and its re-encoded copy: renamed, reordered,
    /// re-sharded, some matrices (wide, tall, square) stored transposed, stored as BF16.
    @Test("rename + reorder + reshard + transpose + F32→BF16 keep every canonical digest")
    func reencodedCopyKeepsCanonicalDigests() throws {
        let model = Fixtures.bf16Exact(ModelGenerator.generate(.tinyLlama, seed: 11))
        let original = try Fixtures.fingerprint(model, layout: .init(dtype: .f32))
        let transposed: Set<String> = [
            "model.layers.0.mlp.down_proj.weight",      // wide → stored tall
            "model.layers.1.mlp.up_proj.weight",        // tall → stored wide
            "model.layers.2.self_attn.q_proj.weight",   // square
            "model.layers.3.self_attn.o_proj.weight",   // square
        ]
        let rename: (String) -> String = { "renamed/" + String($0.reversed()) }
        let copy = try Fixtures.fingerprint(model, layout: .init(dtype: .bf16, shards: 3, rename: rename, transposed: transposed, reverseOrder: true))

        #expect(original.roots.canonical == copy.roots.canonical)
        #expect(original.roots.raw != copy.roots.raw)
        let copyByName = Dictionary(uniqueKeysWithValues: copy.tensors.map { ($0.name, $0) })
        for tensor in original.tensors {
            let twin = try #require(copyByName[rename(tensor.name)])
            #expect(twin.canonical.sha256 == tensor.canonical.sha256, "\(tensor.name)")
            #expect(twin.canonical.shape == tensor.canonical.shape, "\(tensor.name)")
            #expect(twin.canonical.dtype == "BF16", "\(tensor.name)")
            #expect(twin.sha256 != tensor.sha256, "\(tensor.name): raw bytes differ (F32 vs BF16)")
        }
        // The original F32 tensors are BF16-exact, so their canonical dtype is BF16 too.
        #expect(original.tensors.allSatisfy { $0.canonical.dtype == "BF16" })
    }

    @Test("the tiled transpose (SIMD 8 × 8 tiles, scalar edges) matches the definition for 1-, 2-, 4- and 8-byte elements", arguments: [
        (rows: 8, cols: 8), (rows: 16, cols: 24), (rows: 13, cols: 29), (rows: 1, cols: 17), (rows: 64, cols: 3), (rows: 9, cols: 8),
    ])
    func tiledTranspose(shape: (rows: Int, cols: Int)) {
        func check<Element: FixedWidthInteger>(_: Element.Type) {
            let (rows, cols) = shape
            let count = rows * cols
            let input = UnsafeMutableRawBufferPointer.allocate(byteCount: count * MemoryLayout<Element>.stride, alignment: 64)
            let output = UnsafeMutableRawBufferPointer.allocate(byteCount: count * MemoryLayout<Element>.stride, alignment: 64)
            defer { input.deallocate(); output.deallocate() }
            let source = input.bindMemory(to: Element.self)
            for index in 0..<count { source[index] = Element(truncatingIfNeeded: index &* 40_503 &+ 7) }
            CanonicalPass.transpose(Element.self, input, output, rows: rows, cols: cols)
            let target = output.bindMemory(to: Element.self)
            var mismatches = 0
            for r in 0..<rows {
                for c in 0..<cols where target[c * rows + r] != source[r * cols + c] { mismatches += 1 }
            }
            #expect(mismatches == 0, "\(Element.self) \(rows)×\(cols)")
        }
        check(UInt8.self)
        check(UInt16.self)
        check(UInt32.self)
        check(UInt64.self)
    }

    @Test("a canonical tensor's canonical digest is its raw digest; raw digest is SHA-256 of the bytes")
    func canonicalEqualsRawWhenAlreadyCanonical() throws {
        let model = ModelGenerator.generate(.tinyBERT, seed: 12)
        let directory = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try Fixtures.write(model, to: directory, layout: .init(dtype: .bf16))
        let fingerprint = try Fingerprinter.fingerprint(path: path)
        let reader = try CheckpointReader(path: path)
        for (tensor, print) in zip(reader.checkpoint.tensors, fingerprint.tensors) {
            var bytes = [UInt8](repeating: 0, count: Int(tensor.byteCount))
            try bytes.withUnsafeMutableBytes { try reader.readBytes(of: tensor, at: 0, into: $0) }
            #expect(print.sha256 == SHA256.hash(bytes), "\(tensor.name)")
            if !print.canonical.transposed { #expect(print.canonical.sha256 == print.sha256, "\(tensor.name)") }
        }
        let file = try #require(fingerprint.source.files.first?.sha256)
        #expect(file == SHA256.hash(Array(try Data(contentsOf: URL(fileURLWithPath: path)))))
    }

    @Test("a one-bit change alters that tensor's digests and the roots, and nothing else")
    func oneBitChange() throws {
        let model = ModelGenerator.generate(.tinyLlama, seed: 13)
        var changed = model
        let target = "model.layers.2.mlp.up_proj.weight"
        var tensor = changed[target]!
        tensor.values[1234] = Float(bitPattern: tensor.values[1234].bitPattern ^ 1)
        changed[target] = tensor
        let before = try Fixtures.fingerprint(model)
        let after = try Fixtures.fingerprint(changed)
        #expect(before.roots.raw != after.roots.raw)
        #expect(before.roots.canonical != after.roots.canonical)
        for (a, b) in zip(before.tensors, after.tensors) {
            if a.name == target {
                #expect(a.sha256 != b.sha256)
                #expect(a.canonical.sha256 != b.canonical.sha256)
            } else {
                #expect(a.sha256 == b.sha256, "\(a.name)")
                #expect(a.canonical.sha256 == b.canonical.sha256, "\(a.name)")
            }
        }
    }

    @Test("canonical encoding rules: F16-exact F32 becomes F16, NaNs are canonical, square orientation is value-ordered")
    func canonicalRules() throws {
        let directory = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let f16Exact: [Float] = [1.5, -0.0009765625, 65504, 3.0517578e-05, 0, -2]  // exact in F16, not all in BF16
        let withNaN: [Float] = [1, .nan, -.nan, 2]
        let square: [Float] = [1, 5, 2, 7]  // row0 = [1, 5], col0 = [1, 2]: row0 > col0 → transposed
        try SafetensorsWriter.write([
            .init(name: "a", shape: [6], values: f16Exact, as: .f32),
            .init(name: "b", shape: [6], values: f16Exact, as: .f16),
            .init(name: "c", shape: [4], values: withNaN, as: .f32),
            .init(name: "d", shape: [4], values: [1, .nan, .nan, 2], as: .bf16),
            .init(name: "e", shape: [2, 2], values: square, as: .f32),
            .init(name: "f", shape: [2, 2], values: [1, 2, 5, 7], as: .f32),
        ], to: directory + "/m.safetensors")
        let fingerprint = try Fingerprinter.fingerprint(path: directory + "/m.safetensors")
        let byName = Dictionary(uniqueKeysWithValues: fingerprint.tensors.map { ($0.name, $0) })
        #expect(byName["a"]!.canonical.dtype == "F16")
        #expect(byName["a"]!.canonical.sha256 == byName["b"]!.canonical.sha256)
        #expect(byName["b"]!.canonical.sha256 == byName["b"]!.sha256)
        #expect(byName["c"]!.canonical.dtype == "BF16")
        #expect(byName["c"]!.canonical.sha256 == byName["d"]!.canonical.sha256)
        #expect(byName["e"]!.canonical.transposed)
        #expect(!byName["f"]!.canonical.transposed)
        #expect(byName["e"]!.canonical.sha256 == byName["f"]!.canonical.sha256)
        let expected = SHA256.hash(FloatEncoding.encode([1, 2, 5, 7], as: .bf16))
        #expect(byName["f"]!.canonical.sha256 == expected)
    }
}
