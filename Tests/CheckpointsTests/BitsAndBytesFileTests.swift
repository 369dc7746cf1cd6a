import Checkpoints
import Foundation
import Testing

/// A file bitsandbytes 0.50.2 itself wrote (Fixtures/make_bitsandbytes_fixtures.py): NF4 with
/// double-quantized factors, FP4, LLM.int8, read as bitsandbytes dequantizes them.
@Suite("bitsandbytes files written by bitsandbytes read as it dequantizes them")
struct BitsAndBytesFileTests {
    @Test("NF4 (double-quantized factors), FP4 and LLM.int8 weights match bitsandbytes' dequantize_4bit and int8_vectorwise_dequant")
    func writtenByBitsAndBytes() throws {
        let reader = try CheckpointReader(path: FormatFixtures.path("BitsAndBytes/model"))
        let expected = try CheckpointReader(path: FormatFixtures.path("BitsAndBytes/expected.safetensors"))
        let kinds: [String: (DType, CodePacking.Order?)] = [
            "model.layers.0.mlp.up_proj.weight": (.i4, .bitsandbytesNF4), "model.layers.0.mlp.down_proj.weight": (.i4, .bitsandbytesFP4),
            "model.layers.0.self_attn.o_proj.weight": (.i8, nil),
        ]
        #expect(expected.checkpoint.tensors.count == kinds.count)
        for want in expected.checkpoint.tensors {
            let tensor = try #require(reader.checkpoint.tensor(named: want.name), "\(want.name)")
            let (dtype, packing) = try #require(kinds[want.name])
            #expect(tensor.dtype == dtype && tensor.shape == want.shape && tensor.packing?.order == packing, "\(want.name): \(tensor.dtype) \(tensor.shape)")
            try expectReads(reader, tensor, as: try readAllFloats(expected, want), within: 0x1p-20, chunkSizes: [5, CheckpointReader.defaultChunkBytes])
        }
    }
}
