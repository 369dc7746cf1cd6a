import Checkpoints
import SyntheticModels

/// Hugging Face `config.json`: generated for in-memory models, read for head counts, and
/// kept consistent when an attack changes the architecture (layers, vocabulary, tying).
enum ModelConfig {
    /// A minimal Hugging Face config for `spec`, enough for `read` to recover the spec and for
    /// `transformers` to build the model.
    static func generate(for spec: TransformerSpec) -> JSONValue {
        func number(_ value: Int) -> JSONValue { .number(String(value)) }
        switch spec.family {
        case .llama:
            return .object([
                ("architectures", .array([.string("LlamaForCausalLM")])),
                ("model_type", .string("llama")),
                ("hidden_act", .string("silu")),
                ("hidden_size", number(spec.hiddenSize)),
                ("intermediate_size", number(spec.intermediateSize)),
                ("num_hidden_layers", number(spec.layerCount)),
                ("num_attention_heads", number(spec.headCount)),
                ("num_key_value_heads", number(spec.keyValueHeadCount)),
                ("vocab_size", number(spec.vocabSize)),
                ("max_position_embeddings", number(spec.maxPositions)),
                ("rms_norm_eps", .number("1e-06")),
                ("rope_theta", .number("10000.0")),
                ("tie_word_embeddings", .bool(spec.tiedEmbeddings)),
            ])
        case .bert:
            return .object([
                ("architectures", .array([.string("BertModel")])),
                ("model_type", .string("bert")),
                ("hidden_act", .string("gelu")),
                ("hidden_size", number(spec.hiddenSize)),
                ("intermediate_size", number(spec.intermediateSize)),
                ("num_hidden_layers", number(spec.layerCount)),
                ("num_attention_heads", number(spec.headCount)),
                ("vocab_size", number(spec.vocabSize)),
                ("max_position_embeddings", number(spec.maxPositions)),
                ("type_vocab_size", number(2)),
                ("layer_norm_eps", .number("1e-12")),
            ])
        }
    }

    /// `config` with `key` set to `value` (replacing the first occurrence, else appended).
    static func setting(_ key: String, to value: JSONValue, in config: JSONValue?) -> JSONValue? {
        guard case .object(var pairs)? = config else { return config }
        if let index = pairs.firstIndex(where: { $0.key == key }) {
            pairs[index].value = value
        } else {
            pairs.append((key, value))
        }
        return .object(pairs)
    }

    /// `config` without `key`.
    static func removing(_ key: String, from config: JSONValue?) -> JSONValue? {
        guard case .object(let pairs)? = config else { return config }
        return .object(pairs.filter { $0.key != key })
    }

    /// A positive integer field, or `nil`.
    static func integer(_ config: JSONValue?, _ keys: String...) -> Int? {
        for key in keys {
            if let value = config?[key]?.exactUInt64, value > 0, value < 1 << 31 { return Int(value) }
        }
        return nil
    }

    /// The config as JSON text, indented by two spaces (as `transformers` writes it), keys in order.
    static func text(_ value: JSONValue) -> String {
        var out = ""
        render(value, indent: 0, into: &out)
        return out + "\n"
    }

    private static func render(_ value: JSONValue, indent: Int, into out: inout String) {
        let pad = String(repeating: " ", count: indent + 2), closing = String(repeating: " ", count: indent)
        switch value {
        case .object(let pairs):
            if pairs.isEmpty { out += "{}"; return }
            out += "{\n"
            for (index, pair) in pairs.enumerated() {
                out += pad + JSONText.quote(pair.key) + ": "
                render(pair.value, indent: indent + 2, into: &out)
                out += index + 1 < pairs.count ? ",\n" : "\n"
            }
            out += closing + "}"
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "[\n"
            for (index, item) in items.enumerated() {
                out += pad
                render(item, indent: indent + 2, into: &out)
                out += index + 1 < items.count ? ",\n" : "\n"
            }
            out += closing + "]"
        case .string(let text): out += JSONText.quote(text)
        case .number(let text): out += text
        case .bool(let flag): out += flag ? "true" : "false"
        case .null: out += "null"
        }
    }
}
