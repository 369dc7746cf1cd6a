import Checkpoints
import Foundation
import Testing

@Suite("Converted copies (GGUF quantized, PyTorch re-saved) read back as their original")
struct CheckpointConversionTests {
    @Test("a llama safetensors → GGUF Q8_0 copy maps back to the original names and rows", arguments: [DType.q8_0, .f32])
    func llamaToGGUF(matrixType: DType) throws {
        // The tiny Llama's hidden size (12) is not a block multiple, so use a fresh one.
        let directory = try FormatTestDirectory()
        let source = directory.path("model.safetensors")
        let (hidden, heads, kvHeads) = (64, 4, 2)
        let headDim = hidden / heads
        func values(_ count: Int, _ seed: Float) -> [Float] { (0..<count).map { sin(Float($0) * 0.37 + seed) } }
        try SafetensorsWriter.write([
            .init(name: "model.embed_tokens.weight", shape: [10, hidden], values: values(10 * hidden, 1)),
            .init(name: "model.layers.0.self_attn.q_proj.weight", shape: [heads * headDim, hidden], values: values(hidden * hidden, 2)),
            .init(name: "model.layers.0.self_attn.k_proj.weight", shape: [kvHeads * headDim, hidden], values: values(kvHeads * headDim * hidden, 3)),
            .init(name: "model.layers.0.input_layernorm.weight", shape: [hidden], values: values(hidden, 4)),
        ], to: source)
        let original = try CheckpointReader(path: source)
        let copy = directory.path("model-\(matrixType.name).gguf")
        try CheckpointConversion.writeGGUF(from: original, to: copy, options: .init(
            matrixType: matrixType, architecture: "llama", headCount: heads, headCountKV: kvHeads))

        let reader = try CheckpointReader(path: copy)
        #expect(reader.checkpoint.tensors.map(\.name) == original.checkpoint.tensors.map(\.name))
        #expect(reader.checkpoint.tensor(named: "model.layers.0.self_attn.q_proj.weight")?.storedName == "blk.0.attn_q.weight")
        #expect(reader.checkpoint.quantizationTypes == (matrixType.isBlockQuantized ? [matrixType] : []))
        for tensor in original.checkpoint.tensors {
            let want = try readAllFloats(original, tensor)
            let got = try readAllFloats(reader, try #require(reader.checkpoint.tensor(named: tensor.name)))
            if tensor.shape.count == 2, matrixType.isBlockQuantized {
                // Quantized per row: equal to quantizing the original rows.
                #expect(sameBits(got, decode(GGMLQuantizer.quantize(want, as: matrixType), as: matrixType)), "\(tensor.name)")
            } else {
                #expect(got == want, "\(tensor.name)")
            }
        }
    }

    @Test("a GGUF or safetensors checkpoint re-saved as PyTorch reads back identically")
    func toPyTorch() throws {
        let directory = try FormatTestDirectory()
        let gguf = try CheckpointReader(path: FormatFixtures.path("GGUF/tiny-llama.gguf"))
        let path = directory.path("pytorch_model.bin")
        try CheckpointConversion.writePyTorch(from: gguf, to: path)
        let reader = try CheckpointReader(path: path)
        #expect(reader.checkpoint.tensors.map(\.name) == gguf.checkpoint.tensors.map(\.name))
        for tensor in gguf.checkpoint.tensors {
            let copy = try #require(reader.checkpoint.tensor(named: tensor.name))
            #expect(copy.shape == tensor.shape && copy.dtype == tensor.dtype)
            #expect(try readAllFloats(reader, copy) == readAllFloats(gguf, tensor), "\(tensor.name)")
        }
    }
}
