import CheckpointFixtures
import Checkpoints
import Foundation
import Testing

/// Files compressed-tensors 0.20.1 itself wrote (Fixtures/make_compressed_tensors_fixtures.py):
/// every scheme reads as its own `decompress_model` gives the weights back.
@Suite("compressed-tensors files written by compressed-tensors read as it dequantizes them")
struct CompressedTensorsFileTests {
    /// Scheme directory, the delivered code type, and the packing order of the codes (`nil`: stored as delivered).
    static let schemes: [(name: String, dtype: DType, packing: CodePacking.Order?)] = [
        ("w4a16-group", .i4, nil), ("w4a16-asym", .i4, nil), ("w8a16-channel", .u8, nil), ("w2a16-group", .u8, .packQuantized2),
        ("w3a16-group", .u8, .packQuantizedDense3), ("w3a16-asym", .u8, .packQuantizedDense3), ("w5a16-channel", .u8, .packQuantizedDense5),
        ("w6a16-asym-channel", .u8, .packQuantizedDense6), ("w7a16-channel", .u8, .packQuantizedDense7),
        ("w8a8-int", .i8, nil), ("fp8-channel", .f8E4M3, nil), ("nvfp4", .f4, nil),
    ]

    @Test("each scheme's weights match compressed-tensors' own dequantization (to float rounding); odd widths are dense rows since 0.18",
          arguments: schemes.map(\.name))
    func scheme(_ name: String) throws {
        let (_, dtype, packing) = try #require(Self.schemes.first { $0.name == name })
        let reader = try CheckpointReader(path: FormatFixtures.path("CompressedTensors/\(name)/model"))
        let expected = try CheckpointReader(path: FormatFixtures.path("CompressedTensors/\(name)/expected.safetensors"))
        #expect(expected.checkpoint.tensors.count == 2)
        for want in expected.checkpoint.tensors {
            let tensor = try #require(reader.checkpoint.tensor(named: want.name), "\(name): \(want.name)")
            #expect(tensor.dtype == dtype && tensor.shape == want.shape && tensor.packing?.order == packing,
                    "\(name): \(tensor.dtype) \(tensor.shape) \(tensor.packing?.order.rawValue ?? "-")")
            let wanted = try readAllFloats(expected, want)
            // compressed-tensors unpacks NVFP4 codes to BF16 and dequantizes in BF16: its values carry BF16 rounding.
            let tolerance: Float = name == "nvfp4" ? 0x1p-7 : 0x1p-20
            try expectReads(reader, tensor, as: wanted, within: tolerance, chunkSizes: [7, CheckpointReader.defaultChunkBytes])
            // Random access across a row boundary (the stream of the next row starts on a fresh word).
            let range = 70..<100, bound = (wanted.map(abs).max() ?? 0) * tolerance
            var part = [Float](repeating: .nan, count: range.count)
            try part.withUnsafeMutableBufferPointer { try reader.readElements(of: tensor, range: range, into: $0) }
            #expect(zip(part, wanted[range]).allSatisfy { abs($0 - $1) <= bound }, "\(name) \(want.name): random access")
        }
    }

    @Test("80 three-bit codes fill 8 words per row in both layouts: without the config's version the dense one is taken, with 0.17 stated the padded one")
    func versionDecides() throws {
        let directory = try TemporaryDirectory()
        let source = FormatFixtures.path("CompressedTensors/w3a16-group/model")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: source + "/model.safetensors"))
        try bytes.write(to: URL(fileURLWithPath: directory.path("model.safetensors")))
        let reader = try CheckpointReader(path: directory.path(""))
        #expect(reader.checkpoint.tensor(named: "model.layers.0.mlp.up_proj.weight")?.packing?.order == .packQuantizedDense3)
        _ = try directory.write(#"{"quantization_config": {"quant_method": "compressed-tensors", "format": "pack-quantized", "version": "0.17.1"}}"#,
                                to: "config.json")
        // ⌈80 / 10⌉ = ⌈80·3 / 32⌉ = 8: the words cannot tell; the version names the layout.
        let old = try CheckpointReader(path: directory.path(""))
        #expect(old.checkpoint.tensor(named: "model.layers.0.mlp.up_proj.weight")?.packing?.order == .packQuantized3)
    }
}
