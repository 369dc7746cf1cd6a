import Checkpoints
import Fingerprinting
import Foundation
import Matching
import ModelFixtures
import SyntheticModels
import Testing

/// GGUF copies of GPT-NeoX (Pythia), BLOOM and Falcon 40B releases: llama.cpp's converter
/// regroups their fused query/key/value rows, which the reader undoes.
@Suite("GGUF copies of releases with fused query/key/value rows")
struct GroupedQKVAttributionTests {
    /// The lineage's release with GPT-NeoX's names and layout: query, key and value fused per
    /// head (`[q_h, k_h, v_h]` rows for each head `h`), no gate projection.
    static func gptNeoX(_ model: ModelWeights) -> ModelWeights {
        let spec = model.spec
        let headRows = spec.hiddenSize / spec.headCount
        func tensor(_ name: String) -> ModelWeights.Tensor { model.tensors[model.index(of: name)!] }
        var tensors: [ModelWeights.Tensor] = [
            .init(name: "gpt_neox.embed_in.weight", shape: tensor("model.embed_tokens.weight").shape, values: tensor("model.embed_tokens.weight").values),
        ]
        for layer in 0..<spec.layerCount {
            let hf = "model.layers.\(layer)", neox = "gpt_neox.layers.\(layer)"
            let (q, k, v) = (tensor("\(hf).self_attn.q_proj.weight"), tensor("\(hf).self_attn.k_proj.weight"), tensor("\(hf).self_attn.v_proj.weight"))
            let columns = q.shape[1]
            var fused: [Float] = []
            for head in 0..<spec.headCount {
                for part in [q, k, v] { fused += part.values[head * headRows * columns..<(head + 1) * headRows * columns] }
            }
            tensors.append(.init(name: "\(neox).attention.query_key_value.weight", shape: [3 * spec.hiddenSize, columns], values: fused))
            for (from, to) in [("input_layernorm", "input_layernorm"), ("post_attention_layernorm", "post_attention_layernorm"),
                               ("self_attn.o_proj", "attention.dense"), ("mlp.up_proj", "mlp.dense_h_to_4h"), ("mlp.down_proj", "mlp.dense_4h_to_h")] {
                let original = tensor("\(hf).\(from).weight")
                tensors.append(.init(name: "\(neox).\(to).weight", shape: original.shape, values: original.values))
            }
        }
        tensors.append(.init(name: "gpt_neox.final_layer_norm.weight", shape: tensor("model.norm.weight").shape, values: tensor("model.norm.weight").values))
        tensors.append(.init(name: "embed_out.weight", shape: tensor("lm_head.weight").shape, values: tensor("lm_head.weight").values))
        return ModelWeights(spec: spec, tensors: tensors)
    }

    @Test("an F32 GGUF of an F32 GPT-NeoX release reads as identical, names and rows restored; its stored (regrouped) rows alone are not even a re-encoding")
    func gptNeoXCopy() throws {
        let release = Self.gptNeoX(LineageTests.lineage.release)
        #expect(release.spec.keyValueHeadCount == release.spec.headCount)
        let reference = try Fixtures.fingerprint(release)
        let directory = Fixtures.temporaryDirectory("grouped-qkv")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let reader = try CheckpointReader(path: try Fixtures.write(release, to: directory))
        let path = directory + "/copy-F32.gguf"
        try CheckpointConversion.writeGGUF(from: reader, to: path, options: .init(
            matrixType: .f32, otherType: .f32, architecture: "gptneox", headCount: release.spec.headCount))

        let copy = try Fingerprinter.fingerprint(path: path)
        #expect(copy.tensors.contains { $0.name == "gpt_neox.layers.0.attention.query_key_value.weight" })
        let result = Scan.compare(copy, reference)
        #expect(result.verdict.kind == .identical, "\(result.verdict.sentence)")
        #expect(result.verdict.sentence.contains("byte for byte and under the same names"), "\(result.verdict.sentence)")

        // What a reader that left the rows as stored would see: the fused tensors no longer exact.
        let asStored = try CheckpointReader(path: path)
        var regrouped = release
        for (index, tensor) in regrouped.tensors.enumerated() where tensor.name.hasSuffix("query_key_value.weight") {
            let info = try #require(asStored.checkpoint.tensor(named: tensor.name))
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))[Int(info.offset)..<Int(info.offset) + tensor.values.count * 4]
            regrouped.tensors[index].values = bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            #expect(regrouped.tensors[index].values != tensor.values)
        }
        let unregrouped = Scan.compare(try Fixtures.fingerprint(regrouped), reference)
        #expect(unregrouped.verdict.kind != .reEncoded, "\(unregrouped.verdict.sentence)")
    }
}
