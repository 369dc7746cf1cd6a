import Checkpoints
import Foundation

/// Reads the few facts fingerprinting uses from a Hugging Face `config.json` next to a checkpoint.
enum ConfigHintsReader {
    static func read(near checkpoint: Checkpoint) -> ModelConfigHints {
        let path = (checkpoint.rootDirectory as NSString).appendingPathComponent("config.json")
        guard let data = FileManager.default.contents(atPath: path), data.count < 1 << 20,
              let json = try? StrictJSONParser.parse(Array(data)) else {
            return ModelConfigHints()
        }
        func integer(_ keys: String...) -> Int? {
            for key in keys {
                if let value = json[key]?.exactUInt64, value > 0, value < 1 << 31 { return Int(value) }
            }
            return nil
        }
        var hints = ModelConfigHints()
        hints.modelType = json["model_type"]?.stringValue
        hints.hiddenSize = integer("hidden_size", "n_embd", "d_model")
        hints.headCount = integer("num_attention_heads", "n_head", "num_heads")
        hints.keyValueHeadCount = integer("num_key_value_heads", "n_head_kv")
        hints.vocabularySize = integer("vocab_size")
        return hints
    }
}
