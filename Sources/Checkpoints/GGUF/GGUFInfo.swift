/// What a GGUF checkpoint declares about itself, read from its (first shard's) metadata.
public struct GGUFInfo: Sendable, Hashable {
    /// GGUF format version of the first shard (2 or 3).
    public var version: UInt32
    /// Data alignment in bytes (`general.alignment`, default 32).
    public var alignment: Int
    /// The first shard's metadata, in file order (later shards hold only `split.*` keys).
    public var metadata: GGUFMetadata
    /// `general.architecture`, e.g. `llama`.
    public var architecture: String?
    /// `general.file_type`, llama.cpp's name for the quantization mix (e.g. 15).
    public var fileType: UInt32?
    /// The name of `fileType` without llama.cpp's `MOSTLY_` prefix (e.g. `Q4_K_M`), when known.
    public var fileTypeName: String?
    /// Vocabulary size: the number of `tokenizer.ggml.tokens`, else `ARCH.vocab_size`.
    public var vocabularySize: Int?
    /// `ARCH.attention.head_count` and `head_count_kv` (the latter defaults to the former).
    public var headCount: Int?
    public var headCountKV: Int?
    /// The architecture whose llama.cpp → Hugging Face tensor name table was applied, or
    /// `nil` when names are kept as stored.
    public var nameMappingArchitecture: String?
    /// Number of files (shards) the model is split into.
    public var splitCount: Int

    public init(version: UInt32, alignment: Int, metadata: GGUFMetadata, splitCount: Int = 1) {
        self.version = version
        self.alignment = alignment
        self.metadata = metadata
        self.splitCount = splitCount
        architecture = metadata["general.architecture"]?.string
        if let type = metadata["general.file_type"]?.integer, let code = UInt32(exactly: type) {
            fileType = code
            fileTypeName = Self.fileTypeNames[code]
        }
        if case .array(let tokens)? = metadata["tokenizer.ggml.tokens"] {
            vocabularySize = tokens.count
        } else if let architecture, let size = metadata["\(architecture).vocab_size"]?.integer {
            vocabularySize = size
        }
        if let architecture {
            headCount = metadata["\(architecture).attention.head_count"]?.integer
            headCountKV = metadata["\(architecture).attention.head_count_kv"]?.integer ?? headCount
        }
    }

    /// llama.cpp's `llama_ftype` names (gguf-py `LlamaFileType`), `MOSTLY_` dropped.
    static let fileTypeNames: [UInt32: String] = [
        0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K",
        11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S",
        17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS",
        23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S",
        29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0", 37: "TQ2_0",
        38: "MXFP4_MOE", 39: "NVFP4", 40: "Q1_0", 41: "Q2_0", 1024: "GUESSED",
    ]
}
