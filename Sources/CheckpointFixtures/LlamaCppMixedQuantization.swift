import Checkpoints
import Foundation

/// A tiny Llama quantized by llama.cpp itself, one GGML type per weight matrix
/// (`Tests/CheckpointsTests/Fixtures/LlamaCpp/`, written by `make_llama_cpp_fixtures.py` with
/// `llama-quantize` and an importance matrix): its original weights come from a counter-based
/// generator that the Python generator and `originalTensors()` compute bit for bit alike, so the
/// original needs no committed file.
public enum LlamaCppMixedQuantization {
    /// The fixture directory.
    public static let directory = RealModels.repository.appendingPathComponent("Tests/CheckpointsTests/Fixtures/LlamaCpp").path

    /// The GGUF llama-quantize wrote.
    public static let gguf = directory + "/tiny-llama-mixed.gguf"

    /// What the generator recorded (manifest.json).
    public struct Manifest: Decodable, Sendable {
        public struct Tensor: Decodable, Sendable {
            /// The Hugging Face name.
            public var name: String
            /// The name in the GGUF file.
            public var gguf: String
            /// The GGML type the tensor is stored in.
            public var type: String
            /// Hugging Face shape.
            public var shape: [Int]
            /// SHA-256 of ggml's own `to_float` of the stored blocks, in Hugging Face layout
            /// (float32 little-endian).
            public var dequantizedSHA256: String
            /// ‖dequantized − original‖ / ‖original‖.
            public var relativeError: Double
        }

        public struct CheckValue: Decodable, Sendable {
            /// 1-based tensor number (`tensorNames` order).
            public var tensor: Int
            public var index: Int
            /// The float32 bit pattern the generator computed.
            public var bits: UInt32
        }

        public var llamaCpp: String
        public var tensors: [Tensor]
        public var checkValues: [CheckValue]
    }

    public static func manifest() throws -> Manifest {
        try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/manifest.json")))
    }

    // MARK: - The original

    /// Llama, hidden 256, intermediate 256, 3 layers, 4 heads, 2 KV heads, vocabulary 32.
    public static let layers = 3, hidden = 256, intermediate = 256, heads = 4, keyValueHeads = 2, vocabulary = 32

    /// The original's tensors in generator order (tensor number t = index + 1), with shapes.
    public static let tensorShapes: [(name: String, shape: [Int])] = {
        let keyValue = hidden / heads * keyValueHeads
        var result: [(String, [Int])] = [("model.embed_tokens.weight", [vocabulary, hidden])]
        for layer in 0..<layers {
            let prefix = "model.layers.\(layer)."
            result += [
                (prefix + "input_layernorm.weight", [hidden]),
                (prefix + "self_attn.q_proj.weight", [hidden, hidden]),
                (prefix + "self_attn.k_proj.weight", [keyValue, hidden]),
                (prefix + "self_attn.v_proj.weight", [keyValue, hidden]),
                (prefix + "self_attn.o_proj.weight", [hidden, hidden]),
                (prefix + "post_attention_layernorm.weight", [hidden]),
                (prefix + "mlp.gate_proj.weight", [intermediate, hidden]),
                (prefix + "mlp.up_proj.weight", [intermediate, hidden]),
                (prefix + "mlp.down_proj.weight", [hidden, intermediate]),
            ]
        }
        return result + [("model.norm.weight", [hidden]), ("lm_head.weight", [vocabulary, hidden])]
    }()

    /// The original value of element `index` (row-major) of tensor number `tensor` (1-based)
    /// with `shape`: an approximately normal value from four 16-bit fields of a splitmix64 hash,
    /// one in 64 made 4× larger, rows scaled 0.02–0.04 and every 61st column 6× (outlier inputs);
    /// norm vectors 1 + 0.1 g.
    public static func originalValue(tensor: Int, index: Int, shape: [Int]) -> Float {
        let h = splitmix64(UInt64(tensor) << 32 | UInt64(index))
        let fields = (h & 0xFFFF) + (h >> 16 & 0xFFFF) + (h >> 32 & 0xFFFF) + (h >> 48)
        let g = (Double(fields) / 65536.0 - 2.0) * 1.7320508075688772
        guard shape.count == 2 else { return Float(1.0 + 0.1 * g) }
        let row = index / shape[1], column = index % shape[1]
        let tail = splitmix64(h) & 63 == 0 ? 4.0 : 1.0
        let rowScale = 0.02 * (1.0 + Double(row % 7) / 6.0)
        let columnScale = column % 61 == 5 ? 6.0 : 1.0
        return Float(((g * tail) * rowScale) * columnScale)
    }

    /// Every original tensor's values, by Hugging Face name.
    public static func originalTensors() -> [String: [Float]] {
        var result: [String: [Float]] = [:]
        for (offset, entry) in tensorShapes.enumerated() {
            let count = entry.shape.reduce(1, *)
            result[entry.name] = (0..<count).map { originalValue(tensor: offset + 1, index: $0, shape: entry.shape) }
        }
        return result
    }

    /// Writes the original as an F32 safetensors checkpoint with its `config.json` into
    /// `directory` and returns the directory.
    @discardableResult
    public static func writeOriginal(to directory: String) throws -> String {
        let values = originalTensors()
        let tensors = tensorShapes.map { TensorBytes(name: $0.name, shape: $0.shape, values: values[$0.name]!) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try SafetensorsWriter.write(tensors, to: directory + "/model.safetensors")
        let config = """
            {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": \(hidden), \
            "intermediate_size": \(intermediate), "num_hidden_layers": \(layers), "num_attention_heads": \(heads), \
            "num_key_value_heads": \(keyValueHeads), "vocab_size": \(vocabulary), "rms_norm_eps": 1e-05, "rope_theta": 10000.0}
            """
        try Data(config.utf8).write(to: URL(fileURLWithPath: directory + "/config.json"))
        return directory
    }

    static func splitmix64(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
