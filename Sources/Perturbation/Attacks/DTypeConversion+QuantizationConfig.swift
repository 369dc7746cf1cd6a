import Checkpoints

// MARK: - config.json's quantization_config

extension DTypeConversion {
    /// The `quantization_config` transformers reads to load a checkpoint in `target`'s storage, for
    /// the block-scaled entries of `model` (`nil` for targets stored as plain floats, and for
    /// NVFP4 and packed INT4, whose ModelOpt and compressed-tensors configs are not written).
    static func quantizationConfig(for target: Target, in model: CheckpointModel) -> JSONValue? {
        func number(_ value: Int) -> JSONValue { .number(String(value)) }
        // GPTQ and AWQ state one group size: 128 when every matrix uses it, -1 (one group per
        // column) when every matrix is one group, else 128 (the mixed case cannot be stated).
        let scaled = model.entries.filter { $0.zeroPointCodeBits != nil }
        let groups = Set(scaled.compactMap(\.scaleBlock))
        let wholeColumns = !scaled.isEmpty && scaled.allSatisfy { $0.scaleBlock == $0.tensor.shape[1] }
        let groupSize = wholeColumns && groups != [ZeroPointEncoding.preferredGroup] ? -1 : ZeroPointEncoding.preferredGroup
        switch target {
        case .gptq, .gptq2, .gptq3, .gptq8:
            return .object([("quant_method", .string("gptq")), ("bits", number(target.gptqBits ?? 4)), ("group_size", number(groupSize)),
                            ("desc_act", .bool(true)), ("sym", .bool(true)), ("true_sequential", .bool(true)),
                            ("checkpoint_format", .string("gptq"))])
        case .awq:
            return .object([("quant_method", .string("awq")), ("bits", number(4)), ("group_size", number(groupSize)),
                            ("zero_point", .bool(true)), ("version", .string("gemm"))])
        case .nf4:
            return .object([("quant_method", .string("bitsandbytes")), ("load_in_4bit", .bool(true)), ("load_in_8bit", .bool(false)),
                            ("bnb_4bit_quant_type", .string("nf4")), ("bnb_4bit_use_double_quant", .bool(false)),
                            ("bnb_4bit_compute_dtype", .string("bfloat16")), ("bnb_4bit_quant_storage", .string("uint8"))])
        case .llmInt8:
            return .object([("quant_method", .string("bitsandbytes")), ("load_in_4bit", .bool(false)), ("load_in_8bit", .bool(true)),
                            ("llm_int8_threshold", .number("6.0")), ("llm_int8_has_fp16_weight", .bool(false))])
        case .mlx:
            return .object([("group_size", number(MLXEncoding.group)), ("bits", number(4))])
        case .mlxMXFP4, .mlxNVFP4, .mlxMXFP8:
            let mode = target.mlxFloatingPoint!
            return .object([("group_size", number(mode.group)), ("bits", number(mode.codes == .f4 ? 4 : 8)),
                            ("mode", .string(String(target.rawValue.dropFirst("mlx-".count))))])
        case .fp8Block:
            return .object([("quant_method", .string("fp8")), ("fmt", .string("e4m3")), ("activation_scheme", .string("dynamic")),
                            ("weight_block_size", .array([number(scaleBlock), number(scaleBlock)]))])
        case .f32, .f16, .bf16, .fp8, .nvfp4, .int4, .int4Asymmetric, .int4ActivationOrder, .int2, .int3:
            return nil
        }
    }
}

// MARK: - llm-compressor's recipe.yaml

extension DTypeConversion {
    /// The file llm-compressor saves beside a checkpoint it quantized, naming its modifiers.
    public static let recipeFileName = "recipe.yaml"

    /// The `recipe.yaml` llm-compressor saves for `target`'s W4A16 schemes: quantized by its
    /// `QuantizationModifier` (round to nearest, as this attack does), or for activation-ordered
    /// groups by its `GPTQModifier` (`actorder: group`, GPTQ's alone); `nil` for other targets.
    /// The reader takes the algorithm behind compressed-tensors' codes from it (`QuantizationSettings`).
    static func recipe(for target: Target) -> String? {
        let modifier: String, scheme: String, extra: String
        switch target {
        case .int4: (modifier, scheme, extra) = ("QuantizationModifier", "W4A16", "")
        case .int4Asymmetric: (modifier, scheme, extra) = ("QuantizationModifier", "W4A16_ASYM", "")
        case .int4ActivationOrder: (modifier, scheme, extra) = ("GPTQModifier", "W4A16", "\n      actorder: group")
        default: return nil
        }
        return """
            default_stage:
              default_modifiers:
                \(modifier):
                  targets: [Linear]
                  ignore: [lm_head]
                  scheme: \(scheme)\(extra)

            """
    }
}
