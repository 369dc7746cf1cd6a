import Foundation

/// What a checkpoint's companion JSON files say about how its quantized weights are stored,
/// where the tensors alone cannot tell: GPTQModel's `gptq_v2` checkpoints keep the zero points
/// as they are, while AutoGPTQ's (and GPTQModel's default `gptq`) store each zero one less.
/// Read from `quantize_config.json` (`checkpoint_format`, or `format`) and `config.json`
/// (`quantization_config.checkpoint_format`) beside the weights, and MLX's group size from
/// `config.json` (`quantization.group_size`), compressed-tensors' code widths from `config.json`
/// (`quantization_config.config_groups`), and which algorithm chose the codes of an
/// llm-compressor checkpoint from the `recipe.yaml` it saves beside them; files that are
/// missing, larger than 1 MiB or not JSON (UTF-8 text for the recipe) say nothing (they are
/// companions, not the checkpoint).
public struct QuantizationSettings: Sendable, Hashable {
    /// The algorithm that chose a weight's codes, where the layout does not tell (GPTQ's and
    /// AWQ's own layouts do): it decides how far the rounding may exceed round to nearest's.
    public enum Quantizer: String, Sendable, Hashable, Codable {
        /// GPTQ (error feedback; llm-compressor's `GPTQModifier`).
        case gptq
        /// AWQ (activation-aware scaling and clipping; `AWQModifier`).
        case awq
        /// Round to nearest with min–max scales (`QuantizationModifier` alone).
        case roundToNearest = "round-to-nearest"
    }

    /// Whether GPTQ zero points are stored one less than dequantization uses (`false` for `gptq_v2`).
    public var gptqZerosStoredMinusOne = true
    /// The file and field the setting came from, e.g. `quantize_config.json checkpoint_format "gptq_v2"`.
    public var source: String?
    /// MLX's group size, from `config.json`'s `quantization` (`group_size`); `nil` when not stated.
    public var mlxGroupSize: Int?
    /// Group sizes `mlx_lm` states for single layers (mixed-precision conversions write
    /// `"model.layers.0.mlp.down_proj": {"group_size": 64, "bits": 6}` into `quantization`), by
    /// module path: the weight `PATH.weight` is grouped by it instead of `mlxGroupSize`.
    public var mlxLayerGroupSizes: [String: Int] = [:]
    /// The quantizer llm-compressor's `recipe.yaml` names: GPTQ when it lists a `GPTQModifier`,
    /// else AWQ for an `AWQModifier`, else round to nearest for a `QuantizationModifier`; `nil`
    /// without a recipe or with none of them.
    public var quantizer: Quantizer?
    /// The code widths compressed-tensors' `config.json` states (`quantization_config.config_groups.*.weights.num_bits`);
    /// they tell 7-bit from 8-bit packed rows (both four codes per word). Empty when not stated.
    public var packQuantizedBits: Set<Int> = []
    /// The compressed-tensors version that wrote the checkpoint (`config.json`'s
    /// `quantization_config.version`, `[major, minor]`): from 0.18 its odd-width codes are
    /// packed densely, before ⌊32/bits⌋ per word. `nil` when not stated.
    public var compressedTensorsVersion: [Int]?

    /// Whether compressed-tensors' 3-, 5-, 6- and 7-bit rows are dense bit streams: `true` from
    /// version 0.18, `false` before, `nil` when the version is not stated.
    public var densePackQuantized: Bool? {
        compressedTensorsVersion.map { $0.lexicographicallyPrecedes([0, 18]) == false }
    }

    /// What a checkpoint without companion JSON implies: AutoGPTQ's zero convention, no MLX group size.
    public init() {}

    static let maximumBytes = 1 << 20

    /// The settings stated in `directory`'s `quantize_config.json` or `config.json` (the first that states one).
    public static func read(fromDirectory directory: String) -> QuantizationSettings {
        var settings = QuantizationSettings()
        settings.quantizer = smallText(at: (directory as NSString).appendingPathComponent("recipe.yaml")).flatMap(quantizer(inRecipe:))
        let config = smallJSON(at: (directory as NSString).appendingPathComponent("config.json"))
        if let group = config?["quantization"]?["group_size"]?.exactUInt64, group > 0, group <= 1 << 16 {
            settings.mlxGroupSize = Int(group)
        }
        if case .object(let entries)? = config?["quantization"] {
            for entry in entries {
                guard case .object = entry.value, let group = entry.value["group_size"]?.exactUInt64, group > 0, group <= 1 << 16 else { continue }
                settings.mlxLayerGroupSizes[entry.key] = Int(group)
            }
        }
        if case .object(let groups)? = config?["quantization_config"]?["config_groups"] {
            settings.packQuantizedBits = Set(groups.compactMap { group in
                group.value["weights"]?["num_bits"]?.exactUInt64.flatMap { $0 >= 1 && $0 <= 8 ? Int($0) : nil }
            })
        }
        if let version = config?["quantization_config"]?["version"]?.stringValue {
            let parts = version.split(separator: ".").prefix(2).compactMap { Int($0.prefix { $0.isNumber }) }
            if parts.count == 2 { settings.compressedTensorsVersion = parts }
        }
        let candidates: [(file: String, section: JSONValue?)] = [
            ("quantize_config.json", smallJSON(at: (directory as NSString).appendingPathComponent("quantize_config.json"))),
            ("config.json", config?["quantization_config"]),
        ]
        for (file, section) in candidates {
            guard let section else { continue }
            for field in ["checkpoint_format", "format"] {
                guard let format = section[field]?.stringValue else { continue }
                settings.gptqZerosStoredMinusOne = format != "gptq_v2"
                settings.source = "\(file) \(field) \"\(format)\""
                return settings
            }
        }
        return settings
    }

    /// The quantizer a recipe names (its modifiers' type names; YAML is not parsed further).
    static func quantizer(inRecipe text: String) -> Quantizer? {
        // GPTQ first: a recipe may smooth or scale (AWQ) before GPTQ chooses the codes.
        if text.contains("GPTQModifier") { return .gptq }
        if text.contains("AWQModifier") { return .awq }
        if text.contains("QuantizationModifier") { return .roundToNearest }
        return nil
    }

    private static func smallJSON(at path: String) -> JSONValue? {
        guard let bytes = smallFile(at: path), let json = try? StrictJSONParser.parse(bytes), case .object = json else { return nil }
        return json
    }

    private static func smallText(at path: String) -> String? {
        smallFile(at: path).flatMap { String(validating: $0, as: UTF8.self) }
    }

    private static func smallFile(at path: String) -> [UInt8]? {
        // Sized after following links (a Hugging Face snapshot's files are links into blobs/).
        let path = CheckpointLocator.resolvedPath(path)
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path), (attributes[.type] as? FileAttributeType) == .typeRegular,
              let size = attributes[.size] as? Int, size <= maximumBytes,
              let data = FileManager.default.contents(atPath: path), data.count <= maximumBytes else { return nil }
        return Array(data)
    }
}
