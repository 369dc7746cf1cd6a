/// A checkpoint on disk: its files and the tensors they hold, validated.
///
/// Opening a checkpoint reads and checks headers only; tensor data is read later,
/// in bounded chunks, through `CheckpointReader`.
public struct Checkpoint: Sendable {
    /// The container format.
    public enum Format: String, Sendable, Codable {
        case safetensors
        /// llama.cpp's GGUF (v2/v3), possibly quantized and split.
        case gguf
        /// PyTorch `torch.save` zip archives (`pytorch_model.bin`, `.pt`, `.pth`).
        case pytorch
    }

    /// How the files were found.
    public enum Layout: String, Sendable, Codable {
        /// One file named directly.
        case singleFile = "single-file"
        /// A directory holding one or more files, no index.
        case directory
        /// A directory with a shard index (`model.safetensors.index.json`).
        case shardedIndex = "sharded-index"
        /// A Hugging Face cache entry (`models--ORG--NAME/snapshots/REV/`).
        case huggingFaceCache = "huggingface-cache"
        /// A split GGUF model (`NAME-00001-of-0000N.gguf`), found from a shard or its directory.
        case ggufSplit = "gguf-split"
    }

    /// One file of the checkpoint.
    public struct File: Sendable, Hashable, Codable {
        /// The name relative to the checkpoint root (no host path), e.g. `model-00001-of-00002.safetensors`.
        public var name: String
        /// The resolved path used for reading (symlinks in a Hugging Face cache resolved).
        public var path: String
        /// Size in bytes.
        public var size: UInt64
        /// Bytes before the first tensor (length field and header; for GGUF the aligned data
        /// start; for PyTorch the offset of the first stored tensor record).
        public var headerSize: UInt64
        /// The file's `__metadata__` (safetensors), its key/values rendered as text (GGUF), or
        /// its archive records (PyTorch: `archive`, `byteorder`, `version`).
        public var metadata: [String: String]
    }

    /// The path as the user gave it.
    public var path: String
    /// The directory holding the checkpoint's files (before resolving symlinks), where
    /// companion files such as `config.json` live.
    public var rootDirectory: String
    public var format: Format
    public var layout: Layout
    /// Files in reading order.
    public var files: [File]
    /// All tensors, in file order then offset order.
    public var tensors: [TensorInfo]
    /// The shard index's own `metadata` object (string values only), if any.
    public var indexMetadata: [String: String]
    /// A Hugging Face cache entry's repository id (`ORG/NAME`) and revision, when known.
    public var huggingFaceRepository: String?
    public var huggingFaceRevision: String?
    /// GGUF details (version, typed metadata, architecture, vocabulary, quantization mix).
    public var gguf: GGUFInfo? = nil

    /// Total bytes of tensor data.
    public var tensorBytes: UInt64 { tensors.reduce(0) { $0 + $1.byteCount } }

    /// Total element count; tensors that share storage (tied weights in PyTorch archives) count
    /// once, and the scale factors of quantized weights are not parameters.
    public var parameterCount: Int { distinctStorage.reduce(0) { $0 + ($1.scaledWeight == nil ? $1.elementCount : 0) } }

    /// Tensors with distinct storage (same file, offset and length count once).
    var distinctStorage: [TensorInfo] {
        var seen = Set<[UInt64]>()
        return tensors.filter { seen.insert([UInt64($0.fileIndex), $0.offset, $0.byteCount]).inserted || $0.byteCount == 0 }
    }

    /// Element counts per dtype.
    public var parameterCountByDType: [DType: Int] {
        distinctStorage.filter { $0.scaledWeight == nil }.reduce(into: [:]) { $0[$1.dtype, default: 0] += $1.elementCount }
    }

    /// The tensor with this name.
    public func tensor(named name: String) -> TensorInfo? {
        tensors.first { $0.name == name }
    }
}
