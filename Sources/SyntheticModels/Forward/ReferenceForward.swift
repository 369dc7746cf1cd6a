import Foundation

/// A plain, readable forward pass of the two sample architectures, used as a test oracle:
/// a function-preserving transform of the weights must leave its output unchanged.
///
/// All arithmetic is in `Double` (weights are widened from `Float`), one token sequence at a
/// time, no batching, no caching. Tensor names are the Hugging Face ones `ModelGenerator`
/// writes; shapes are checked against the spec before any arithmetic.
///
/// - Llama: token embedding → per layer [RMSNorm → multi-head attention with RoPE (rotate-half
///   convention), causal mask and grouped-query attention → residual; RMSNorm → SwiGLU MLP →
///   residual] → RMSNorm → `lm_head` (or the tied embedding). Returns logits, tokens × vocab.
/// - BERT: word + absolute position + token-type embeddings → LayerNorm → per layer
///   [bidirectional multi-head attention with biases → dense → residual → LayerNorm; dense →
///   GELU (erf) → dense → residual → LayerNorm]. Returns the final hidden states, tokens × hidden.
public enum ReferenceForward {
    /// Runs `model` on `tokens` (and `tokenTypes` for BERT, zeros when `nil`).
    public static func run(
        _ model: ModelWeights, tokens: [Int], tokenTypes: [Int]? = nil, options: ForwardOptions = ForwardOptions()
    ) throws(ForwardError) -> Activations {
        switch model.spec.family {
        case .llama: try llamaLogits(model, tokens: tokens, options: options)
        case .bert: try bertHiddenStates(model, tokens: tokens, tokenTypes: tokenTypes, options: options)
        }
    }
}

// MARK: - Tensor lookup

/// Finds tensors by name and checks their shapes.
struct TensorLookup {
    let model: ModelWeights

    func matrix(_ name: String, _ rows: Int, _ columns: Int) throws(ForwardError) -> ModelWeights.Tensor {
        try tensor(name, [rows, columns])
    }

    func vector(_ name: String, _ count: Int) throws(ForwardError) -> ModelWeights.Tensor {
        try tensor(name, [count])
    }

    func tensor(_ name: String, _ shape: [Int]) throws(ForwardError) -> ModelWeights.Tensor {
        guard let tensor = model[name] else { throw ForwardError(tensor: name, rule: .missingTensor) }
        guard tensor.shape == shape else { throw ForwardError(tensor: name, rule: .wrongShape(expected: shape, actual: tensor.shape)) }
        return tensor
    }
}

// MARK: - Dense math

enum DenseMath {
    /// `x · Wᵀ + b` for `W` of shape (out, in), as stored by PyTorch `nn.Linear`.
    static func linear(_ x: Activations, _ weight: ModelWeights.Tensor, bias: ModelWeights.Tensor? = nil) -> Activations {
        let outputs = weight.shape[0], inputs = weight.shape[1]
        precondition(x.columns == inputs, "linear: \(weight.name) takes \(inputs) inputs, got \(x.columns)")
        var y = Activations(zeros: x.rows, outputs)
        weight.values.withUnsafeBufferPointer { w in
            for t in 0..<x.rows {
                let row = x.row(t)
                for o in 0..<outputs {
                    var sum = 0.0
                    let base = o * inputs
                    for i in 0..<inputs { sum += row[i] * Double(w[base + i]) }
                    if let bias { sum += Double(bias.values[o]) }
                    y[t, o] = sum
                }
            }
        }
        return y
    }

    /// Root-mean-square normalisation of each row, times `weight`.
    static func rmsNorm(_ x: Activations, weight: ModelWeights.Tensor, epsilon: Double) -> Activations {
        var y = x
        for t in 0..<x.rows {
            var squares = 0.0
            for c in 0..<x.columns { squares += x[t, c] * x[t, c] }
            let scale = 1 / (squares / Double(x.columns) + epsilon).squareRoot()
            for c in 0..<x.columns { y[t, c] = x[t, c] * scale * Double(weight.values[c]) }
        }
        return y
    }

    /// Layer normalisation of each row (biased variance, as PyTorch), then `weight` and `bias`.
    static func layerNorm(_ x: Activations, weight: ModelWeights.Tensor, bias: ModelWeights.Tensor, epsilon: Double) -> Activations {
        var y = x
        let n = Double(x.columns)
        for t in 0..<x.rows {
            var mean = 0.0
            for c in 0..<x.columns { mean += x[t, c] }
            mean /= n
            var variance = 0.0
            for c in 0..<x.columns { variance += (x[t, c] - mean) * (x[t, c] - mean) }
            variance /= n
            let scale = 1 / (variance + epsilon).squareRoot()
            for c in 0..<x.columns { y[t, c] = (x[t, c] - mean) * scale * Double(weight.values[c]) + Double(bias.values[c]) }
        }
        return y
    }

    static func add(_ a: Activations, _ b: Activations) -> Activations {
        var y = a
        for index in y.values.indices { y.values[index] += b.values[index] }
        return y
    }

    /// Rotary position embedding, Hugging Face "rotate half" convention: within each head,
    /// dimension `i` pairs with `i + headDimension/2`, angle `position · base^(−2i/headDimension)`.
    static func rotary(_ x: Activations, heads: Int, headDimension: Int, base: Double) -> Activations {
        var y = x
        let half = headDimension / 2
        for position in 0..<x.rows {
            for head in 0..<heads {
                let offset = head * headDimension
                for i in 0..<half {
                    let frequency = 1 / pow(base, Double(2 * i) / Double(headDimension))
                    let angle = Double(position) * frequency
                    let (cosine, sine) = (cos(angle), sin(angle))
                    let first = x[position, offset + i], second = x[position, offset + i + half]
                    y[position, offset + i] = first * cosine - second * sine
                    y[position, offset + i + half] = second * cosine + first * sine
                }
            }
        }
        return y
    }

    /// Scaled dot-product attention over heads; query head `h` reads key/value head
    /// `h / (heads / keyValueHeads)` (grouped-query attention).
    static func attention(
        queries: Activations, keys: Activations, values: Activations,
        heads: Int, keyValueHeads: Int, headDimension: Int, causal: Bool
    ) -> Activations {
        let tokens = queries.rows
        let group = heads / keyValueHeads
        let scale = 1 / Double(headDimension).squareRoot()
        var context = Activations(zeros: tokens, heads * headDimension)
        for head in 0..<heads {
            let q0 = head * headDimension, kv0 = (head / group) * headDimension
            for t in 0..<tokens {
                let visible = causal ? t + 1 : tokens
                var scores = [Double](repeating: 0, count: visible)
                for s in 0..<visible {
                    var dot = 0.0
                    for i in 0..<headDimension { dot += queries[t, q0 + i] * keys[s, kv0 + i] }
                    scores[s] = dot * scale
                }
                let largest = scores.max() ?? 0
                var total = 0.0
                for s in 0..<visible {
                    scores[s] = exp(scores[s] - largest)
                    total += scores[s]
                }
                for i in 0..<headDimension {
                    var sum = 0.0
                    for s in 0..<visible { sum += scores[s] * values[s, kv0 + i] }
                    context[t, q0 + i] = sum / total
                }
            }
        }
        return context
    }

    static func silu(_ x: Double) -> Double { x / (1 + exp(-x)) }

    /// GELU with the exact error function (BERT's `hidden_act = "gelu"`).
    static func gelu(_ x: Double) -> Double { 0.5 * x * (1 + erf(x / 2.0.squareRoot())) }
}
