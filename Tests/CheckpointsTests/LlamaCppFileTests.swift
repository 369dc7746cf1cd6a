import CheckpointFixtures
import Checkpoints
import Foundation
import ProvenanceCrypto
import Testing

/// A GGUF llama.cpp's own `llama-quantize` wrote (with an importance matrix), one GGML type per
/// weight matrix — 23 types, from Q8_0 to IQ1_S, the ternary TQ1_0/TQ2_0 and 2026's Q2_0 — read
/// against ggml's own dequantization (`Fixtures/make_llama_cpp_fixtures.py`).
@Suite("A GGUF written by llama.cpp's quantizer reads as ggml dequantizes it")
struct LlamaCppFileTests {
    static let original = LlamaCppMixedQuantization.originalTensors()

    @Test("the generator here computes the Python generator's original bit for bit")
    func generatorAgrees() throws {
        let manifest = try LlamaCppMixedQuantization.manifest()
        #expect(manifest.checkValues.count >= 10)
        for check in manifest.checkValues {
            let shape = LlamaCppMixedQuantization.tensorShapes[check.tensor - 1].shape
            let value = LlamaCppMixedQuantization.originalValue(tensor: check.tensor, index: check.index, shape: shape)
            #expect(value.bitPattern == check.bits, "tensor \(check.tensor) element \(check.index)")
        }
    }

    @Test("every tensor maps back to its Hugging Face name and shape and decodes to ggml's to_float, bit for bit, through any chunk size")
    func decodesAsGGML() throws {
        let manifest = try LlamaCppMixedQuantization.manifest()
        let reader = try CheckpointReader(path: LlamaCppMixedQuantization.gguf)
        #expect(reader.checkpoint.tensors.count == manifest.tensors.count)
        #expect(Set(manifest.tensors.map(\.type)).count == 24, "23 quantized types and F32")
        for expected in manifest.tensors {
            let tensor = try #require(reader.checkpoint.tensor(named: expected.name), "\(expected.name) (\(expected.gguf))")
            #expect(tensor.storedName == expected.gguf && tensor.dtype.name == expected.type && tensor.shape == expected.shape, "\(expected.name)")
            let whole = try readAllFloats(reader, tensor)
            let digest = whole.withUnsafeBytes { SHA256.hash(Array($0)) }
            #expect(digest == SHA256Digest(hex: expected.dequantizedSHA256), "\(expected.name) as \(expected.type)")
            // One block at a time (1 byte rounds up to a block), and an odd size.
            for chunkBytes in [1, 1000] {
                #expect(identical(try readAllFloats(reader, tensor, chunkBytes: chunkBytes), whole), "\(expected.name), chunks of \(chunkBytes)")
            }
        }
    }

    @Test("each tensor's error against the original is what the generator measured")
    func errorsAsRecorded() throws {
        let manifest = try LlamaCppMixedQuantization.manifest()
        let reader = try CheckpointReader(path: LlamaCppMixedQuantization.gguf)
        for expected in manifest.tensors {
            let tensor = try #require(reader.checkpoint.tensor(named: expected.name))
            let original = try #require(Self.original[expected.name])
            let stored = try readAllFloats(reader, tensor)
            var error = 0.0, norm = 0.0
            for (value, reference) in zip(stored, original) {
                error += (Double(value) - Double(reference)) * (Double(value) - Double(reference))
                norm += Double(reference) * Double(reference)
            }
            let relative = (error / norm).squareRoot()
            #expect(abs(relative - expected.relativeError) <= 1e-9 * max(1, expected.relativeError), "\(expected.name) as \(expected.type): \(relative) against \(expected.relativeError)")
        }
    }

    @Test("this tool's Q8_0, Q2_0 and TQ2_0 quantizers write llama.cpp's bytes (it ignores the importance matrix for them)",
          arguments: ["model.embed_tokens.weight", "model.layers.2.self_attn.o_proj.weight", "model.layers.2.self_attn.k_proj.weight"])
    func referenceQuantizers(name: String) throws {
        let reader = try CheckpointReader(path: LlamaCppMixedQuantization.gguf)
        let tensor = try #require(reader.checkpoint.tensor(named: name))
        var stored: [UInt8] = []
        try reader.readChunks(of: tensor) { chunk in stored += Array(chunk.bytes) }
        // The reader hands out llama.cpp's RoPE-permuted K rows in the original's order, blocks
        // and all (each row is whole blocks here), so the original quantizes to the same bytes.
        #expect(tensor.rowPermutation != nil || !name.contains("k_proj"))
        let quantized = GGMLQuantizer.quantize(try #require(Self.original[name]), as: tensor.dtype)
        let differing = zip(quantized, stored).filter { $0 != $1 }.count
        #expect(quantized.count == stored.count && differing == 0, "\(name) as \(tensor.dtype.name): \(differing) bytes differ")
    }
}
