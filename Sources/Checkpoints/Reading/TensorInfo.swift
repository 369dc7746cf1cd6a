/// Where one tensor is stored and how to interpret its bytes.
public struct TensorInfo: Sendable, Hashable, Codable {
    /// The name in the checkpoint; for GGUF files of mapped architectures, the Hugging Face
    /// name derived from the stored llama.cpp name (see `storedName`).
    public var name: String
    /// The element type.
    public var dtype: DType
    /// The shape, outermost dimension first (row-major / C order).
    public var shape: [Int]
    /// Index into `Checkpoint.files`.
    public var fileIndex: Int
    /// Absolute byte offset of the first element in its file.
    public var offset: UInt64
    /// Number of bytes the tensor occupies.
    public var byteCount: UInt64
    /// The name as stored in the file when `name` was mapped from it (e.g. GGUF
    /// `blk.0.attn_q.weight` for `model.layers.0.self_attn.q_proj.weight`); `nil` when they agree.
    public var storedName: String?
    /// A row reordering the reader undoes while delivering this tensor's data (e.g. llama.cpp's
    /// RoPE permutation of query/key rows); `nil` when rows are delivered as stored.
    public var rowPermutation: RowPermutation?
    /// How the codes of a GPTQ, AWQ, bitsandbytes or MLX weight are packed in its stored bytes; the reader delivers
    /// them row-major. `nil` for tensors stored in element order.
    public var packing: CodePacking?
    /// For a quantized weight stored with a companion tensor of scale factors (block-scaled
    /// FP8, per-channel INT8), how values are scaled back; the reader applies it when it
    /// decodes. `nil` for tensors stored as their values.
    public var scale: TensorScale?
    /// For such a companion tensor, the name of the weight it scales.
    public var scaledWeight: String?

    public init(
        name: String, dtype: DType, shape: [Int], fileIndex: Int, offset: UInt64, byteCount: UInt64,
        storedName: String? = nil, rowPermutation: RowPermutation? = nil, scale: TensorScale? = nil, scaledWeight: String? = nil
    ) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.fileIndex = fileIndex
        self.offset = offset
        self.byteCount = byteCount
        self.storedName = storedName
        self.rowPermutation = rowPermutation
        self.scale = scale
        self.scaledWeight = scaledWeight
    }

    /// Number of elements (1 for a scalar of shape `[]`).
    public var elementCount: Int { shape.reduce(1, *) }

    /// Bytes the reader delivers (`readChunks`, `readBytes`): `byteCount`, except for packed
    /// codes delivered one per byte from narrower stored bit streams (MLX's 2- to 6-bit).
    public var deliveredByteCount: UInt64 {
        guard packing != nil, let bytes = dtype.byteCount(forElements: elementCount) else { return byteCount }
        return UInt64(bytes)
    }

    /// The shape as a compact string, e.g. `[384, 1536]`.
    public var shapeDescription: String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
}
