/// A checkpoint could not be read: which file, which tensor, which rule.
///
/// `description` reads as a sentence, ready for a command-line error message.
public struct CheckpointError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file the problem was found in (as the user named it, or relative to the checkpoint).
    public var file: String
    /// The tensor involved, when there is one.
    public var tensor: String?
    /// The rule that was broken.
    public var rule: Rule

    public init(file: String, tensor: String? = nil, rule: Rule) {
        self.file = file
        self.tensor = tensor
        self.rule = rule
    }

    /// The rules a checkpoint must satisfy.
    public enum Rule: Sendable, Equatable {
        // Locating input
        case notFound
        case noCheckpointFiles
        case ambiguousSnapshot([String])
        case unrecognizedFile
        case ambiguousCheckpoint([String])
        case duplicateTensorAcrossFiles(otherFile: String)
        // Safetensors framing
        case fileShorterThanHeaderLength(fileSize: UInt64)
        case headerLengthBeyondFile(headerLength: UInt64, fileSize: UInt64)
        case headerTooLarge(headerLength: UInt64, limit: UInt64)
        case headerNotUTF8(byteOffset: Int)
        case headerNotJSON(String)
        case headerNotObject
        case metadataNotStringMap(key: String)
        case duplicateTensorName
        case missingField(String)
        case invalidField(field: String, reason: String)
        case unknownDType(String)
        case unsupportedDType(DType, reason: String)
        case shapeOverflow
        case byteLengthMismatch(expected: UInt64, declared: UInt64)
        case offsetsReversed(start: UInt64, end: UInt64)
        case offsetsOverlap(start: UInt64, previousEnd: UInt64)
        case offsetsGap(start: UInt64, previousEnd: UInt64)
        case offsetsOutOfRange(end: UInt64, dataSize: UInt64)
        case trailingBytes(covered: UInt64, dataSize: UInt64)
        // Sharded checkpoints
        case indexNotJSON(String)
        case indexMissingWeightMap
        case indexShardMissing(shard: String)
        case indexTensorMissingFromShard(shard: String)
        case indexTensorInOtherShard(shard: String, actualShard: String)
        case indexTensorClaimedTwice(shards: [String])
        case tensorNotInIndex
        case indexInvalidShardName(String)
        // Scaled weights (block-scaled FP8, per-channel INT8)
        case scaleAmbiguous(companions: [String])
        case scaleDType(companion: String, dtype: DType)
        case scaleShape(companion: String, shape: [Int], weightShape: [Int])
        /// MXFP4 blocks (`W_blocks`, U8 `[…, G, 16]`) whose `W_scales` companion is not U8 `[…, G]`.
        case microscaleShape(companion: String, shape: [Int], dtype: DType, blocksShape: [Int])
        /// NVFP4 codes (U8 `[…, C/2]`) with an F8_E4M3 block-scale companion whose shape, or
        /// whose per-tensor scale, does not fit.
        case nvfp4Companion(companion: String, reason: String)
        case scaleTooLarge(companion: String, factors: Int, limit: Int)
        case scaleZeroPoint(companion: String)
        /// A compressed-tensors `pack-quantized` weight (`weight_packed`) whose companions do not fit it.
        case packedLayout(companion: String, reason: String)
        /// A GPTQ or AWQ weight (`qweight`) whose companions (`scales`, `qzeros`, `g_idx`) do not fit it.
        case zeroPointLayout(companion: String, reason: String)
        /// A compressed-tensors `weight_g_idx` (activation-ordered column groups) that does not fit its weight.
        case columnGroups(companion: String, reason: String)
        /// A bitsandbytes 4-bit weight whose companions (`absmax`, `quant_map`, quant state) do not fit it.
        case bitsAndBytesLayout(companion: String, reason: String)
        /// A bitsandbytes 8-bit (LLM.int8) weight whose companions (`SCB`, `weight_format`) do not fit it.
        case llmInt8Layout(companion: String, reason: String)
        /// An MLX affine-quantized weight whose companions (`scales`, `biases`) or bit width do not fit it.
        case mlxLayout(companion: String, reason: String)
        // Other formats (rules and sentences in GGUF/ and PyTorch/)
        case gguf(GGUFRule)
        case pytorch(PyTorchRule)
        // I/O
        case io(operation: String, errno: Int32, message: String)
        case truncated(expected: UInt64, got: UInt64)
    }

    public var description: String {
        let subject = tensor.map { "tensor '\($0)' in \(file)" } ?? file
        switch rule {
        case .notFound:
            return "\(file) does not exist."
        case .noCheckpointFiles:
            return "\(file) holds no checkpoint: no .safetensors, .gguf or PyTorch .bin/.pt file, no shard index and no Hugging Face snapshot was found."
        case .ambiguousSnapshot(let snapshots):
            return "\(file) is a Hugging Face cache entry with several snapshots (\(snapshots.joined(separator: ", "))) and no refs/main; name the snapshot directory instead."
        case .unrecognizedFile:
            return "\(file) is not a checkpoint this tool can read: neither its name (.safetensors, .gguf, PyTorch .bin/.pt/.pth, a shard index) nor its first bytes (a safetensors header, GGUF magic, a zip archive) say what it is."
        case .ambiguousCheckpoint(let candidates):
            return "\(file) holds several separate checkpoints (\(candidates.joined(separator: ", "))); name one of them."
        case .duplicateTensorAcrossFiles(let other):
            return "\(subject) is also stored in \(other); a tensor may appear in only one file."
        case .fileShorterThanHeaderLength(let size):
            return "\(file) is \(size) bytes long, shorter than the 8-byte safetensors header length field."
        case .headerLengthBeyondFile(let length, let size):
            return "\(file) declares a \(length)-byte header but the file is only \(size) bytes long (rule: the header must fit in the file)."
        case .headerTooLarge(let length, let limit):
            return "\(file) declares a \(length)-byte header, above the \(limit)-byte limit of the safetensors format."
        case .headerNotUTF8(let offset):
            return "\(file) has a header that is not valid UTF-8 (first bad byte at header offset \(offset))."
        case .headerNotJSON(let detail):
            return "\(file) has a header that is not valid JSON: \(detail)."
        case .headerNotObject:
            return "\(file) has a header that is not a JSON object."
        case .metadataNotStringMap(let key):
            return "\(file) has __metadata__ entry '\(key)' that is not a string (rule: __metadata__ maps strings to strings)."
        case .duplicateTensorName:
            return "\(subject) is declared twice in the header (rule: tensor names are unique)."
        case .missingField(let field):
            return "\(subject) has no '\(field)' field (rule: every tensor has dtype, shape and data_offsets)."
        case .invalidField(let field, let reason):
            return "\(subject) has an invalid '\(field)': \(reason)."
        case .unknownDType(let name):
            return "\(subject) has dtype '\(name)', which is not a safetensors dtype."
        case .unsupportedDType(let dtype, let reason):
            return "\(subject) has dtype \(dtype.name), which cannot be read: \(reason)."
        case .shapeOverflow:
            return "\(subject) has a shape whose element count or byte size overflows 64 bits."
        case .byteLengthMismatch(let expected, let declared):
            return "\(subject) spans \(declared) bytes but its shape and dtype need \(expected) (rule: shape × dtype size = data_offsets length)."
        case .offsetsReversed(let start, let end):
            return "\(subject) has data_offsets [\(start), \(end)] that end before they start."
        case .offsetsOverlap(let start, let previousEnd):
            return "\(subject) starts at data offset \(start), overlapping the previous tensor which ends at \(previousEnd) (rule: tensors do not overlap)."
        case .offsetsGap(let start, let previousEnd):
            return "\(subject) starts at data offset \(start), leaving a gap after the previous tensor which ends at \(previousEnd) (rule: tensors are contiguous)."
        case .offsetsOutOfRange(let end, let dataSize):
            return "\(subject) ends at data offset \(end), beyond the \(dataSize)-byte data section (the file is truncated or the offsets are wrong)."
        case .trailingBytes(let covered, let dataSize):
            return "\(file) has \(dataSize - covered) bytes after the last tensor (rule: the tensors cover the data section exactly to the end of the file)."
        case .indexNotJSON(let detail):
            return "\(file) is not a valid shard index: \(detail)."
        case .indexMissingWeightMap:
            return "\(file) has no 'weight_map' object mapping tensor names to shard files."
        case .indexShardMissing(let shard):
            return "\(file) names shard '\(shard)', which does not exist."
        case .indexTensorMissingFromShard(let shard):
            return "\(file) maps tensor '\(tensor ?? "?")' to shard '\(shard)', but that shard has no such tensor."
        case .indexTensorInOtherShard(let shard, let actual):
            return "\(file) maps tensor '\(tensor ?? "?")' to shard '\(shard)', but it is stored in '\(actual)'."
        case .indexTensorClaimedTwice(let shards):
            return "\(file) claims tensor '\(tensor ?? "?")' more than once (\(shards.joined(separator: ", ")))."
        case .tensorNotInIndex:
            return "\(subject) is not listed in the shard index's weight_map."
        case .indexInvalidShardName(let name):
            return "\(file) names shard '\(name)', which is not a plain file name in the checkpoint directory."
        case .scaleAmbiguous(let companions):
            return "\(subject) has two scale tensors (\(companions.map { "'\($0)'" }.joined(separator: " and "))); a quantized weight may have only one."
        case .scaleDType(let companion, let dtype):
            return "\(subject) is scaled by '\(companion)', whose dtype \(dtype.name) is not a float (rule: scale factors are F32, BF16 or F16)."
        case .scaleShape(let companion, let shape, let weightShape):
            let dims = TensorScale.matrixView(weightShape)
            return "\(subject) has shape \(Self.shapeText(weightShape)) but its scale tensor '\(companion)' has shape \(Self.shapeText(shape)), "
                + "which fits no scaling (rule: [] or [1] per tensor, [\(dims.rows)] or [\(dims.rows), 1] per row, or one factor per block: "
                + "[⌈\(dims.rows)/b⌉, ⌈\(dims.columns)/b⌉] with b = 128 or a block size that divides the dimension)."
        case .microscaleShape(let companion, let shape, let dtype, let blocksShape):
            return "\(subject) holds MXFP4 blocks of shape \(Self.shapeText(blocksShape)) but '\(companion)' is \(dtype.name) \(Self.shapeText(shape)) "
                + "(rule: MXFP4 scales are U8 (E8M0) with one value per 32-value block: \(Self.shapeText(Array(blocksShape.dropLast()))))."
        case .nvfp4Companion(let companion, let reason):
            return "\(subject) holds NVFP4 codes, but '\(companion)' \(reason) (rule: NVFP4 is U8 [..., C/2] two E2M1 codes per byte, "
                + "F8_E4M3 block scales [..., C/16] and one per-tensor F32 scale, `weight_scale_2` or `weight_global_scale`)."
        case .scaleTooLarge(let companion, let factors, let limit):
            return "\(subject) is scaled by '\(companion)' with \(factors) factors, more than the \(limit) this tool holds in memory for one weight."
        case .bitsAndBytesLayout(let companion, let reason):
            return "\(subject) is a bitsandbytes 4-bit weight, but '\(companion)' \(reason) (rule: W is U8 holding two codes per byte, "
                + "W.quant_state.bitsandbytes__nf4 or __fp4 the JSON quant state with 'blocksize' and 'shape', W.quant_map F32 [16], "
                + "W.absmax one factor per block, and with U8 factors W.nested_absmax and W.nested_quant_map)."
        case .mlxLayout(let companion, let reason):
            return "\(subject) is an MLX quantized weight (U32 words of packed codes), but '\(companion)' \(reason) (rule: P.weight U32 [N, K·bits/32] "
                + "or a stack [E, N, K·bits/32]; affine mode: P.scales and P.biases F16, BF16 or F32 [N, K/group] with the group size of "
                + "config.json's 'quantization' (the layer's own entry, else 'group_size', else 64), value = code × scale + bias, codes of 2, 3, 4, 5, 6 or 8 bits; "
                + "floating-point modes, no biases: U8 P.scales [N, K/32] E8M0 (mxfp4, mxfp8) or [N, K/16] F8_E4M3 (nvfp4))."
        case .llmInt8Layout(let companion, let reason):
            return "\(subject) is a bitsandbytes 8-bit (LLM.int8) weight, but '\(companion)' \(reason) (rule: P.weight is I8 [R, C] row-major, "
                + "P.SCB holds each row's largest magnitude, F32 [R] (value = code × SCB / 127), and P.weight_format, when present, is one U8 0: row-major)."
        case .zeroPointLayout(let companion, let reason):
            return "\(subject) is a GPTQ/AWQ packed weight, but '\(companion)' \(reason) (rule: GPTQ stores qweight [K·bits/32, N], "
                + "AWQ qweight [K, N/8], both with scales [G, N], qzeros I32 [G, N·bits/32] and, for GPTQ, g_idx [K] naming each row's group)."
        case .columnGroups(let companion, let reason):
            return "\(subject) has its columns grouped in activation order by '\(companion)', which \(reason) (rule: weight_g_idx is I32 or I64 [C], "
                + "each column's group in 0 … G−1, beside a matrix scaled per row or by an [R, G] group scale)."
        case .scaleZeroPoint(let companion):
            return "\(subject) has a zero-point tensor '\(companion)' this tool does not read (rule: zero points of an I8 weight are I8, one per scale factor; "
                + "float weights have none), and reading the codes without it would give wrong values."
        case .packedLayout(let companion, let reason):
            return "\(subject) is a compressed-tensors pack-quantized weight, but '\(companion)' \(reason) (rule: weight_packed I32 [R, C·bits/32] "
                + "of 4- or 8-bit codes, weight_shape [R, C], weight_scale per tensor, row or group, and for asymmetric quantization "
                + "weight_zero_point I32 [R·bits/32, G] packed down the rows, or I8 shaped like the scale)."
        case .gguf(let rule):
            return rule.sentence(subject: subject, file: file)
        case .pytorch(let rule):
            return rule.sentence(subject: subject, file: file)
        case .io(let operation, let errno, let message):
            return "\(file) could not be read (\(operation): \(message), errno \(errno))."
        case .truncated(let expected, let got):
            return "\(subject) could not be read in full: expected \(expected) bytes, the file ended after \(got)."
        }
    }

    private static func shapeText(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
}
