import Checkpoints
import SyntheticModels

/// Converts every floating-point tensor to another precision: values are rounded to the
/// target format (round to nearest even) and stored in it.
///
/// `fp8` is an FP8 round trip, the trace a model leaves after an FP8 release is upcast again:
/// each tensor is scaled by the power of two 2^k that brings its largest magnitude closest
/// to (not above) 448, rounded to F8_E4M3, scaled back, and stored as BF16 (which holds every
/// such value exactly). Integer buffers are untouched.
///
/// `fp8-block` is a block-scaled FP8 release as DeepSeek-V3 and Qwen3-FP8 publish them: every
/// 2-D weight other than the embedding tables and the output head is stored as F8_E4M3 codes
/// with one F32 factor per 128 × 128 block (`NAME_scale_inv`); every other floating-point
/// tensor as BF16.
///
/// `nvfp4` is an NVFP4 release as NVIDIA's ModelOpt exports it: the same matrices (those whose
/// rows hold whole blocks of 16) as U8 E2M1 codes with F8_E4M3 block scales (`NAME_scale`, one
/// per 16 values) and an F32 per-tensor scale (`NAME_scale_2`) (`NVFP4Encoding`); the rest as BF16.
///
/// `int4` is a W4A16 release in compressed-tensors' `pack-quantized` format, as llm-compressor
/// writes it: the same matrices (those whose rows hold whole words of 8 values) as symmetric INT4
/// codes per group of 128 (or per row when 128 does not divide it), `NAME_packed` (I32),
/// `NAME_scale` (BF16) and `NAME_shape` (I64) replacing `NAME` (`PackedIntegerEncoding`); the rest as BF16.
/// `int4-asym` is the same with llm-compressor's W4A16_ASYM scheme (AWQModifier's default): a
/// zero point per group, packed down the rows as `NAME_zero_point` (I32). `int4-actorder` is
/// W4A16 as llm-compressor's GPTQModifier saves it with `actorder: group`: each group is 128
/// columns of equal rank when the columns are ranked by squared norm (standing in for the
/// calibration Hessian's diagonal), recorded as `NAME_g_idx` (I32) — round to nearest, not GPTQ's
/// error feedback. `int3` and `int2` are AutoRound's W3A16 and W2A16 in the same format: symmetric
/// 3- or 2-bit codes per group of 128 (or per row), ten or sixteen per I32 word.
///
/// `gptq` and `awq` are 4-bit releases as AutoGPTQ and AutoAWQ save them: the same matrices
/// (named `P.weight`, output and input features multiples of 8) as INT4 codes per group of 128
/// input features (or one group when 128 does not divide them) with zero points (symmetric for
/// GPTQ, zero 8; asymmetric for AWQ) —
/// `P.qweight`, `P.qzeros`, `P.scales` (F16) and for GPTQ `P.g_idx` (activation order) replacing
/// `P.weight` (`ZeroPointEncoding`: round to nearest, not the quantizers' own searches); the rest as F16.
/// `gptq-2bit`, `gptq-3bit` and `gptq-8bit` are GPTQ at those widths (AutoGPTQ's packing: 16, 32
/// per three, 4 rows per word; features multiples of 16, 32 and 4).
///
/// `nf4` is a model saved by transformers after loading it with bitsandbytes' `load_in_4bit`
/// (NF4, blocks of 64, no double quantization): the same matrices (rows holding whole blocks) as
/// `W` (U8 codes), `W.absmax`, `W.quant_map` and `W.quant_state.bitsandbytes__nf4`
/// (`NF4Encoding`); the rest as BF16.
///
/// `mlx` is a model converted by `mlx_lm convert -q`: every matrix named `….weight` whose rows
/// hold whole groups of 64 (embeddings and head included) as `P.weight` (U32 words of 4-bit
/// codes), `P.scales` and `P.biases` (BF16; `MLXEncoding`); the rest as BF16. `mlx-mxfp4`,
/// `mlx-nvfp4` and `mlx-mxfp8` are `mlx_lm convert -q --q-mode …`: the same matrices (rows
/// holding whole groups of 32, or 16 for nvfp4) as `P.weight` (U32 words of E2M1 or E4M3
/// codes) and `P.scales` (U8 E8M0 exponents, or F8_E4M3 scales for nvfp4; `MLXFloatingPointEncoding`).
///
/// `llm-int8` is a model saved by transformers after loading it with bitsandbytes'
/// `load_in_8bit`: the same matrices (named `P.weight`) as `P.weight` (I8 codes), `P.SCB` (F32,
/// each row's largest magnitude) and `P.weight_format` (`LLMInt8Encoding`); the rest as F16.
public struct DTypeConversion: Perturbation {
    public enum Target: String, Sendable, CaseIterable {
        case f32, f16, bf16, fp8
        case fp8Block = "fp8-block"
        case nvfp4
        case int4
        case int4Asymmetric = "int4-asym"
        case int4ActivationOrder = "int4-actorder"
        case int2, int3
        case gptq, awq
        case gptq2 = "gptq-2bit", gptq3 = "gptq-3bit", gptq8 = "gptq-8bit"
        case nf4
        case llmInt8 = "llm-int8"
        case mlx
        case mlxMXFP4 = "mlx-mxfp4", mlxNVFP4 = "mlx-nvfp4", mlxMXFP8 = "mlx-mxfp8"

        /// MLX's floating-point mode of the `mlx-…` float targets (codes, values per scale), else `nil`.
        public var mlxFloatingPoint: (codes: DType, group: Int)? {
            switch self {
            case .mlxMXFP4: (.f4, 32)
            case .mlxNVFP4: (.f4, 16)
            case .mlxMXFP8: (.f8E4M3, 32)
            default: nil
            }
        }

        /// The code width of the narrow pack-quantized targets (`int2`, `int3`), else `nil`.
        public var narrowPackedBits: Int? {
            switch self {
            case .int2: 2
            case .int3: 3
            default: nil
            }
        }

        /// GPTQ's code width (2, 3, 4 or 8), else `nil`.
        public var gptqBits: Int? {
            switch self {
            case .gptq: 4
            case .gptq2: 2
            case .gptq3: 3
            case .gptq8: 8
            default: nil
            }
        }

        /// The stored dtype (of tensors that are not block-scaled).
        public var storageDType: DType {
            switch self {
            case .f32: .f32
            case .f16, .gptq, .gptq2, .gptq3, .gptq8, .awq, .llmInt8: .f16
            case .bf16, .fp8, .fp8Block, .nvfp4, .int4, .int4Asymmetric, .int4ActivationOrder, .int2, .int3, .nf4, .mlx,
                 .mlxMXFP4, .mlxNVFP4, .mlxMXFP8: .bf16
            }
        }
    }

    /// The block edge of `fp8-block`.
    public static let scaleBlock = 128

    public var target: Target
    public var step: PerturbationStep { .convertDType }

    public init(target: Target) {
        self.target = target
    }

    /// `values` rounded as the conversion rounds them.
    public static func rounded(_ values: [Float], to target: Target) -> [Float] {
        switch target {
        case .f32:
            return values
        case .f16, .gptq, .gptq2, .gptq3, .gptq8, .awq, .llmInt8:
            return values.map { FloatBits.float16(FloatEncoding.float16Bits($0)) }
        case .bf16:
            return values.map { FloatBits.bfloat16(FloatEncoding.bfloat16Bits($0)) }
        case .fp8Block, .nvfp4, .int4, .int4Asymmetric, .int4ActivationOrder, .int2, .int3, .nf4, .mlx, .mlxMXFP4, .mlxNVFP4, .mlxMXFP8:
            return values.map { FloatBits.bfloat16(FloatEncoding.bfloat16Bits($0)) }
        case .fp8:
            let largest = values.reduce(Float(0)) { $1.isFinite ? max($0, abs($1)) : $0 }
            guard largest > 0 else { return values }
            // 2^k · largest ≤ 448 < 2^(k+1) · largest.
            let ratio = Float(448) / largest
            var exponent = ratio.isFinite ? min(Int(ratio.exponent), 127) : 127
            if largest * power2(exponent) > 448 { exponent -= 1 }
            let scale = power2(exponent), inverse = power2(-exponent)
            let table = EightBitTable.e4m3
            return values.map { FloatBits.float8E4M3(table.code(nearest: $0 * scale)) * inverse }
        }
    }

    private static func power2(_ exponent: Int) -> Float {
        Float(sign: .plus, exponent: exponent, significand: 1)
    }

    public func apply(to model: inout CheckpointModel) throws(PerturbationError) -> PerturbationRecord {
        var converted = 0, scaled = 0
        for index in model.entries.indices where model.entries[index].isFloatingPoint {
            model.entries[index].scaleBlock = nil
            model.entries[index].codePacking = nil
            // A layout chosen by an earlier conversion (or kept from the file read) does not carry over.
            model.entries[index].affineBiases = false
            model.entries[index].mlxFloatingPoint = false
            model.entries[index].asymmetric = false
            model.entries[index].activationOrder = false
            if target == .fp8Block, Self.isBlockScaled(model.entries[index], in: model) {
                // The codes and factors are chosen when the values are written.
                model.entries[index].storageDType = .f8E4M3
                model.entries[index].scaleBlock = Self.scaleBlock
                scaled += 1
            } else if target == .nvfp4, Self.isBlockScaled(model.entries[index], in: model),
                      model.entries[index].storedShape[1] % NVFP4Encoding.block == 0 {
                model.entries[index].storageDType = .f4
                model.entries[index].scaleBlock = NVFP4Encoding.block
                scaled += 1
            } else if [.int4, .int4Asymmetric, .int4ActivationOrder].contains(target), Self.isBlockScaled(model.entries[index], in: model),
                      case let columns = model.entries[index].storedShape[1], columns % 8 == 0 {
                model.entries[index].storageDType = .i4
                model.entries[index].scaleBlock = PackedIntegerEncoding.group(columns: columns)
                model.entries[index].asymmetric = target == .int4Asymmetric
                model.entries[index].activationOrder = target == .int4ActivationOrder
                scaled += 1
            } else if let bits = target.narrowPackedBits, Self.isBlockScaled(model.entries[index], in: model),
                      case let columns = model.entries[index].storedShape[1] {
                model.entries[index].storageDType = .u8
                model.entries[index].scaleBlock = PackedIntegerEncoding.group(columns: columns)
                model.entries[index].codePacking = CodePacking.Order.packQuantized(bits: bits, dense: true)
                scaled += 1
            } else if target == .nf4, Self.isBlockScaled(model.entries[index], in: model),
                      model.entries[index].storedShape[1] % NF4Encoding.block == 0 {
                model.entries[index].storageDType = .i4
                model.entries[index].scaleBlock = NF4Encoding.block
                model.entries[index].codePacking = .bitsandbytesNF4
                scaled += 1
            } else if target == .mlx, model.entries[index].tensor.shape.count == 2, !model.entries[index].storedTransposed,
                      model.entries[index].name.hasSuffix("weight"), model.entries[index].tensor.shape[1] % MLXEncoding.group == 0 {
                // mlx_lm quantizes every Linear and Embedding whose rows hold whole groups, embeddings and head included.
                model.entries[index].storageDType = .i4
                model.entries[index].scaleBlock = MLXEncoding.group
                model.entries[index].affineBiases = true
                scaled += 1
            } else if let mode = target.mlxFloatingPoint, model.entries[index].tensor.shape.count == 2, !model.entries[index].storedTransposed,
                      model.entries[index].name.hasSuffix("weight"), model.entries[index].tensor.shape[1] % mode.group == 0 {
                // mlx_lm's floating-point modes quantize the same layers as its affine mode.
                model.entries[index].storageDType = mode.codes
                model.entries[index].scaleBlock = mode.group
                model.entries[index].mlxFloatingPoint = true
                scaled += 1
            } else if target == .llmInt8, Self.isBlockScaled(model.entries[index], in: model),
                      !model.entries[index].storedTransposed, model.entries[index].name.hasSuffix(".weight") {
                model.entries[index].storageDType = .i8
                model.entries[index].scaleBlock = model.entries[index].tensor.shape[1]
                scaled += 1
            } else if let bits = target.gptqBits ?? (target == .awq ? 4 : nil), Self.isBlockScaled(model.entries[index], in: model),
                      !model.entries[index].storedTransposed, model.entries[index].name.hasSuffix(".weight"),
                      case let shape = model.entries[index].tensor.shape, case let multiple = bits == 3 ? 32 : 32 / bits,
                      shape[0] % multiple == 0, shape[1] % multiple == 0 {
                // Features filling whole words: 8 at 4 bits (AWQ's interleave too), 16 at 2, 32 at 3, 4 at 8.
                model.entries[index].storageDType = bits == 4 ? .i4 : .u8
                model.entries[index].scaleBlock = ZeroPointEncoding.group(inFeatures: shape[1])
                model.entries[index].codePacking = target == .awq ? .awq : CodePacking.Order.gptq(bits: bits)
                scaled += 1
            } else {
                model.entries[index].tensor.values = Self.rounded(model.entries[index].tensor.values, to: target)
                model.entries[index].storageDType = target.storageDType
            }
            converted += 1
        }
        let how = switch target {
        case .fp8: "rounded through F8_E4M3 with a per-tensor power-of-two scale, stored as BF16"
        case .fp8Block: "\(scaled) weight matrices as F8_E4M3 with one F32 scale factor per \(Self.scaleBlock)×\(Self.scaleBlock) block, the rest as BF16"
        case .nvfp4: "\(scaled) weight matrices as NVFP4 (E2M1 codes, an F8_E4M3 scale per \(NVFP4Encoding.block) values and an F32 per-tensor scale), the rest as BF16"
        case .int4: "\(scaled) weight matrices as packed INT4 (symmetric, a BF16 scale per group of \(PackedIntegerEncoding.preferredGroup) values or per row), the rest as BF16"
        case .int4ActivationOrder: "\(scaled) weight matrices as packed INT4 (symmetric, a BF16 scale per group of \(PackedIntegerEncoding.preferredGroup) columns in activation order, recorded in weight_g_idx), the rest as BF16"
        case .int2, .int3:
            "\(scaled) weight matrices as packed INT\(target.narrowPackedBits ?? 0) (compressed-tensors, \(32 / (target.narrowPackedBits ?? 1)) codes per I32 word, symmetric, a BF16 scale per group of \(PackedIntegerEncoding.preferredGroup) values or per row), the rest as BF16"
        case .int4Asymmetric: "\(scaled) weight matrices as packed INT4 (asymmetric, a BF16 scale and a zero point per group of \(PackedIntegerEncoding.preferredGroup) values or per row), the rest as BF16"
        case .gptq, .gptq2, .gptq3, .gptq8:
            "\(scaled) weight matrices as GPTQ INT\(target.gptqBits ?? 4) (symmetric, F16 scales and zero points per group of \(ZeroPointEncoding.preferredGroup) input features or one group, groups in activation order), the rest as F16"
        case .awq: "\(scaled) weight matrices as AWQ INT4 (asymmetric, F16 scales and zero points per group of \(ZeroPointEncoding.preferredGroup) input features or one group), the rest as F16"
        case .mlx: "\(scaled) matrices as MLX 4-bit affine (U32 words, a BF16 scale and bias per group of \(MLXEncoding.group) values), the rest as BF16"
        case .mlxMXFP4: "\(scaled) matrices as MLX mxfp4 (E2M1 codes in U32 words, an E8M0 exponent per 32 values), the rest as BF16"
        case .mlxNVFP4: "\(scaled) matrices as MLX nvfp4 (E2M1 codes in U32 words, an F8_E4M3 scale per 16 values), the rest as BF16"
        case .mlxMXFP8: "\(scaled) matrices as MLX mxfp8 (F8_E4M3 codes in U32 words, an E8M0 exponent per 32 values), the rest as BF16"
        case .llmInt8: "\(scaled) weight matrices as bitsandbytes LLM.int8 (I8 codes, an F32 SCB per row: value = code × SCB / 127), the rest as F16"
        case .nf4: "\(scaled) weight matrices as bitsandbytes NF4 (an F32 factor per block of \(NF4Encoding.block) values), the rest as BF16"
        default: "stored as \(target.storageDType.name)"
        }
        // transformers loads a quantized checkpoint by config.json's quantization_config; a
        // dequantized one must not keep the config of the storage it came from.
        let quantization = scaled > 0 ? Self.quantizationConfig(for: target, in: model) : nil
        if let quantization {
            model.config = ModelConfig.setting("quantization_config", to: quantization, in: model.config)
        } else {
            model.config = ModelConfig.removing("quantization_config", from: model.config)
        }
        // llm-compressor's recipe names the algorithm that chose the codes: kept only for the codes it describes.
        model.companionFiles.removeAll { $0.name == Self.recipeFileName }
        if scaled > 0, let recipe = Self.recipe(for: target) {
            model.companionFiles.append(.init(name: Self.recipeFileName, bytes: Array(recipe.utf8)))
        }
        // mlx_lm reads `quantization` (and writes both).
        if target == .mlx || target.mlxFloatingPoint != nil, let quantization {
            model.config = ModelConfig.setting("quantization", to: quantization, in: model.config)
        } else {
            model.config = ModelConfig.removing("quantization", from: model.config)
        }
        var parameters: [String: ManifestValue] = [
            "target": .string(target.rawValue), "stored_dtype": .string(target.storageDType.name), "tensors": .integer(converted)]
        if let method = quantization?["quant_method"]?.stringValue { parameters["quantization_config"] = .string(method) }
        if [.fp8Block, .nvfp4, .int4, .int4Asymmetric, .int4ActivationOrder, .int2, .int3, .gptq, .gptq2, .gptq3, .gptq8, .awq, .nf4, .llmInt8, .mlx].contains(target)
            || target.mlxFloatingPoint != nil { parameters["block_scaled"] = .integer(scaled) }
        return PerturbationRecord(
            attack: step.name, functionPreserving: false,
            summary: "converted \(converted) floating-point tensors: \(how)", parameters: parameters)
    }

    /// Whether `fp8-block` stores this entry as scaled FP8: a matrix that is not an embedding
    /// table or the output head (by the architecture's names when known, else every matrix).
    static func isBlockScaled(_ entry: CheckpointModel.Entry, in model: CheckpointModel) -> Bool {
        guard entry.tensor.shape.count == 2 else { return false }
        guard let family = model.spec?.family else { return true }
        switch TensorRole.classify(entry.name, family: family).role {
        case .tokenEmbedding, .positionEmbedding, .tokenTypeEmbedding, .languageModelHead: return false
        default: return true
        }
    }
}
