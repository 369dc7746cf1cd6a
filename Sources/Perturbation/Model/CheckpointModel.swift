import Checkpoints
import SyntheticModels

/// A checkpoint held in memory: every tensor as `Float` values (names, shapes and order as
/// stored), how each one is to be stored, the recognised architecture, and the files that
/// travel with the weights (`config.json`, tokenizer files).
///
/// Perturbations transform a `CheckpointModel`; `read(from:)` and `write(to:)` move it from
/// and to disk. `modelWeights()` gives the `ModelWeights` view the reference forward pass runs.
public struct CheckpointModel: Sendable {
    /// One tensor and how it is stored.
    public struct Entry: Sendable {
        /// Name, logical shape (PyTorch `(out, in)` orientation) and values.
        public var tensor: ModelWeights.Tensor
        /// The dtype written to disk; initially the dtype it was read with.
        public var storageDType: DType
        /// Whether the values are floating point (integer buffers such as BERT's
        /// `position_ids` are carried along unchanged by every attack).
        public var isFloatingPoint: Bool
        /// Whether a 2-D tensor is written transposed (`(in, out)`, the Flax/JAX `kernel` layout).
        public var storedTransposed: Bool
        /// For a 2-D tensor stored as FP8 codes with scale factors: the edge of the square block
        /// one factor covers. `write` then picks each block's factor (its largest magnitude over
        /// the format's largest finite value) and adds the factors as `NAME_scale_inv` (F32, one
        /// per block), the layout of DeepSeek-V3 and Qwen3-FP8 releases. With `storageDType` F4
        /// and a block of 16, the matrix is written as NVFP4 as ModelOpt exports it (`NVFP4Encoding`):
        /// U8 codes, `NAME_scale` (F8_E4M3 block scales) and `NAME_scale_2` (F32 per-tensor scale).
        /// With `storageDType` I4 it is the group size of compressed-tensors' packed INT4
        /// (`PackedIntegerEncoding`): `NAME_packed` (I32), `NAME_scale` (BF16), `NAME_shape` (I64);
        /// with `storageDType` U8 and `codePacking` `pack-quantized-2bit`/`-3bit`, the same at 2 or 3
        /// bits (`PackedIntegerEncoding.encode`).
        /// With `storageDType` I8 (the block is then the row), it is written as bitsandbytes'
        /// LLM.int8 (`LLMInt8Encoding`): `P.weight` (I8), `P.SCB` (F32 per row), `P.weight_format` (U8 0).
        public var scaleBlock: Int?
        /// With `storageDType` I4 (U8 for GPTQ's 2-, 3- and 8-bit orders) and a `scaleBlock`: the
        /// matrix is written as GPTQ or AWQ store it (`ZeroPointEncoding`, `scaleBlock` the group
        /// of input rows): `P.qweight`, `P.qzeros`, `P.scales` (F16) and, for GPTQ, `P.g_idx`, for
        /// an entry named `P.weight`;
        /// or as bitsandbytes NF4 (`NF4Encoding`, `scaleBlock` the block of values): `W` (U8),
        /// `W.absmax`, `W.quant_map`, `W.quant_state.bitsandbytes__nf4`.
        public var codePacking: CodePacking.Order?
        /// With `storageDType` I4 and a `scaleBlock` (the group): written as MLX's affine
        /// quantization (`MLXEncoding`): `P.weight` (U32 words), `P.scales` and `P.biases` (BF16).
        public var affineBiases = false
        /// With `storageDType` F4 or F8_E4M3 and a `scaleBlock` (32, or 16 for F4): written as one
        /// of MLX's floating-point modes (`MLXFloatingPointEncoding`): `P.weight` (U32 words of
        /// codes) and `P.scales` (U8: E8M0 exponents, F8_E4M3 scales for F4 in blocks of 16, nvfp4).
        public var mlxFloatingPoint = false
        /// With `storageDType` I4 and a `scaleBlock` of packed INT4: asymmetric, as llm-compressor's
        /// W4A16_ASYM (`PackedIntegerEncoding.encodeAsymmetric`), adding `NAME_zero_point` (I32
        /// zero points packed down the rows).
        public var asymmetric = false
        /// With `storageDType` I4 and a `scaleBlock` of packed INT4 (symmetric): groups of columns
        /// in activation order, as llm-compressor's GPTQ with `actorder: group` saves them
        /// (`ActivationOrder`), adding `NAME_g_idx` (I32, each column's group).
        public var activationOrder = false

        public init(tensor: ModelWeights.Tensor, storageDType: DType, storedTransposed: Bool = false) {
            self.tensor = tensor
            self.storageDType = storageDType
            isFloatingPoint = storageDType.isFloatingPoint
            self.storedTransposed = storedTransposed
            scaleBlock = nil
            codePacking = nil
        }

        public var name: String { tensor.name }
    }

    /// A file copied next to the weights (name relative to the checkpoint directory).
    public struct CompanionFile: Sendable, Equatable {
        public var name: String
        public var bytes: [UInt8]

        public init(name: String, bytes: [UInt8]) {
            self.name = name
            self.bytes = bytes
        }
    }

    /// Tensors in storage order.
    public var entries: [Entry]
    /// The architecture, when the tensors carry Hugging Face Llama or BERT names; `nil` when
    /// it was not recognised or after renaming.
    public var spec: TransformerSpec?
    /// Why `spec` is `nil`, for messages.
    public var architectureNote: String?
    /// `__metadata__` written into every safetensors file.
    public var metadata: [String: String]
    /// Number of safetensors files to write (more than one adds `model.safetensors.index.json`).
    public var shardCount: Int
    /// The parsed `config.json`, kept in key order; structural attacks update it.
    public var config: JSONValue?
    /// Other files copied verbatim (tokenizer, sentence-transformers settings).
    public var companionFiles: [CompanionFile]
    /// When set, `write` produces one llama.cpp-style GGUF file instead of safetensors (see
    /// `GGUFExport`): 2-D tensors whose stored rows hold whole blocks of this type in it, every
    /// other tensor as F32.
    public var ggufType: DType?
    /// The `config.json` bytes as read, written back unchanged while `config` is unchanged.
    var configSource: (value: JSONValue, bytes: [UInt8])?

    /// A checkpoint holding `weights`, every tensor stored as `dtype`, with a generated
    /// Hugging Face `config.json`.
    public init(_ weights: ModelWeights, dtype: DType = .f32) {
        entries = weights.tensors.map { Entry(tensor: $0, storageDType: dtype) }
        spec = weights.spec
        architectureNote = nil
        metadata = ["format": "pt"]
        shardCount = 1
        config = ModelConfig.generate(for: weights.spec)
        companionFiles = []
    }

    /// A checkpoint from parts (used by the reader).
    public init(entries: [Entry], spec: TransformerSpec?, architectureNote: String?, metadata: [String: String],
                shardCount: Int, config: JSONValue?, companionFiles: [CompanionFile]) {
        self.entries = entries
        self.spec = spec
        self.architectureNote = architectureNote
        self.metadata = metadata
        self.shardCount = shardCount
        self.config = config
        self.companionFiles = companionFiles
    }

    // MARK: - Access

    /// The index of the entry with this name.
    public func index(of name: String) -> Int? {
        entries.firstIndex { $0.name == name }
    }

    /// The tensor with this name.
    public subscript(name: String) -> ModelWeights.Tensor? {
        index(of: name).map { entries[$0].tensor }
    }

    /// Total number of values.
    public var parameterCount: Int { entries.reduce(0) { $0 + $1.tensor.values.count } }

    /// The `ModelWeights` view (all tensors, with the architecture) for the reference forward pass.
    public func modelWeights() throws(PerturbationError) -> ModelWeights {
        guard let spec else {
            throw PerturbationError(rule: .architectureUnknown(reason: architectureNote ?? "no architecture"))
        }
        return ModelWeights(spec: spec, tensors: entries.map(\.tensor))
    }

    /// The architecture, or a typed error naming `attack`.
    func requireSpec(for attack: String) throws(PerturbationError) -> TransformerSpec {
        guard let spec else {
            throw PerturbationError(attack: attack, rule: .architectureUnknown(reason: architectureNote ?? "the tensors were renamed"))
        }
        return spec
    }

    /// The entry index for `name`, or a typed error naming `attack`.
    func requireIndex(of name: String, for attack: String) throws(PerturbationError) -> Int {
        guard let index = index(of: name) else { throw PerturbationError(attack: attack, tensor: name, rule: .missingTensor) }
        return index
    }
}
