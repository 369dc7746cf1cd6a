/// Where one tensor is stored and how to interpret its bytes.
public struct TensorInfo: Sendable, Hashable, Codable {
    /// The name in the checkpoint.
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

    public init(name: String, dtype: DType, shape: [Int], fileIndex: Int, offset: UInt64, byteCount: UInt64) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.fileIndex = fileIndex
        self.offset = offset
        self.byteCount = byteCount
    }

    /// Number of elements (1 for a scalar of shape `[]`).
    public var elementCount: Int { shape.reduce(1, *) }

    /// The shape as a compact string, e.g. `[384, 1536]`.
    public var shapeDescription: String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
}
