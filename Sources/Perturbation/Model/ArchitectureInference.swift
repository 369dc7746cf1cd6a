import Checkpoints
import SyntheticModels

/// Recognises a Hugging Face Llama or BERT checkpoint from its tensor names and shapes, and
/// reads what shapes cannot tell (head counts, tying) from `config.json`.
enum ArchitectureInference {
    /// The spec, or the reason it could not be inferred.
    static func infer(_ entries: [CheckpointModel.Entry], config: JSONValue?) -> Result<TransformerSpec, InferenceFailure> {
        var shapes: [String: [Int]] = [:]
        for entry in entries { shapes[entry.name] = entry.tensor.shape }
        if shapes["model.embed_tokens.weight"] != nil { return inferLlama(shapes, config: config) }
        if shapes["embeddings.word_embeddings.weight"] != nil { return inferBERT(shapes, config: config) }
        return .failure(InferenceFailure("neither model.embed_tokens.weight (Llama) nor embeddings.word_embeddings.weight (BERT) is present"))
    }

    struct InferenceFailure: Error {
        var reason: String
        init(_ reason: String) { self.reason = reason }
    }

    private static let transposedFailure = InferenceFailure(
        "the weight matrices appear to be stored transposed ((in, out) layout), so their roles cannot be trusted")

    /// Layer indices present under `prefix`, which must be exactly `0..<count`.
    private static func layerCount(_ shapes: [String: [Int]], prefix: String) -> Result<Int, InferenceFailure> {
        let layers = Set(shapes.keys.compactMap { TensorRole.splitLayer($0, prefix: prefix)?.layer })
        guard let top = layers.max() else { return .failure(InferenceFailure("no \(prefix)N tensors")) }
        guard layers.count == top + 1 else { return .failure(InferenceFailure("layers under \(prefix) are not numbered 0..<\(layers.count)")) }
        return .success(top + 1)
    }

    private static func matrix(_ shapes: [String: [Int]], _ name: String) -> Result<(Int, Int), InferenceFailure> {
        guard let shape = shapes[name] else { return .failure(InferenceFailure("\(name) is missing")) }
        guard shape.count == 2 else { return .failure(InferenceFailure("\(name) has shape \(shape), not a matrix")) }
        return .success((shape[0], shape[1]))
    }

    /// Head count: from config.json, else the largest count with a head dimension of 64, 128,
    /// 32, 16 or 8 dividing both widths (a guess; config.json is authoritative).
    private static func headCounts(hidden: Int, keyValueWidth: Int, config: JSONValue?) -> Result<(Int, Int), InferenceFailure> {
        if let heads = ModelConfig.integer(config, "num_attention_heads", "n_head", "num_heads") {
            let keyValueHeads = ModelConfig.integer(config, "num_key_value_heads") ?? heads
            guard hidden % heads == 0, keyValueWidth == keyValueHeads * (hidden / heads), heads % keyValueHeads == 0 else {
                return .failure(InferenceFailure("config.json's \(heads) heads / \(keyValueHeads) key-value heads do not fit hidden size \(hidden) and key width \(keyValueWidth)"))
            }
            return .success((heads, keyValueHeads))
        }
        for headDimension in [64, 128, 32, 16, 8] where hidden % headDimension == 0 && keyValueWidth % headDimension == 0 {
            let heads = hidden / headDimension, keyValueHeads = keyValueWidth / headDimension
            if heads % keyValueHeads == 0 { return .success((heads, keyValueHeads)) }
        }
        return .failure(InferenceFailure("no config.json and no head dimension fits hidden size \(hidden)"))
    }

    private static func inferLlama(_ shapes: [String: [Int]], config: JSONValue?) -> Result<TransformerSpec, InferenceFailure> {
        Result { () throws(InferenceFailure) -> TransformerSpec in
            let (vocab, hidden) = try matrix(shapes, "model.embed_tokens.weight").get()
            let layers = try layerCount(shapes, prefix: "model.layers.").get()
            let (queryRows, _) = try matrix(shapes, "model.layers.0.self_attn.q_proj.weight").get()
            guard queryRows == hidden else {
                throw InferenceFailure("q_proj has \(queryRows) rows, not the hidden size \(hidden) (separate head dimensions are not supported)")
            }
            let (keyValueWidth, keyInputs) = try matrix(shapes, "model.layers.0.self_attn.k_proj.weight").get()
            let (intermediate, gateInputs) = try matrix(shapes, "model.layers.0.mlp.gate_proj.weight").get()
            guard keyInputs == hidden, gateInputs == hidden else { throw transposedFailure }
            let (heads, keyValueHeads) = try headCounts(hidden: hidden, keyValueWidth: keyValueWidth, config: config).get()
            let tied = shapes["lm_head.weight"] == nil
            let positions = ModelConfig.integer(config, "max_position_embeddings") ?? 128
            return TransformerSpec(
                family: .llama, vocabSize: vocab, hiddenSize: hidden, intermediateSize: intermediate, layerCount: layers,
                headCount: heads, keyValueHeadCount: keyValueHeads, maxPositions: positions, tiedEmbeddings: tied)
        }
    }

    private static func inferBERT(_ shapes: [String: [Int]], config: JSONValue?) -> Result<TransformerSpec, InferenceFailure> {
        Result { () throws(InferenceFailure) -> TransformerSpec in
            let (vocab, hidden) = try matrix(shapes, "embeddings.word_embeddings.weight").get()
            let (positions, _) = try matrix(shapes, "embeddings.position_embeddings.weight").get()
            let layers = try layerCount(shapes, prefix: "encoder.layer.").get()
            let (intermediate, inputs) = try matrix(shapes, "encoder.layer.0.intermediate.dense.weight").get()
            guard inputs == hidden else { throw transposedFailure }
            let (heads, _) = try headCounts(hidden: hidden, keyValueWidth: hidden, config: config).get()
            return TransformerSpec(
                family: .bert, vocabSize: vocab, hiddenSize: hidden, intermediateSize: intermediate, layerCount: layers,
                headCount: heads, maxPositions: positions)
        }
    }
}
