/// A stored tensor's name, type, shape and bytes, without its scaling: what a `TensorScale`
/// keeps of the companion tensors it reads (a `TensorInfo` cannot hold a `TensorInfo`);
/// `tensor` rebuilds the tensor for reading.
public struct TensorLocation: Sendable, Hashable, Codable {
    public var name: String
    public var dtype: DType
    public var shape: [Int]
    /// Where its bytes are: index into `Checkpoint.files`, absolute offset, length.
    public var fileIndex: Int
    public var offset: UInt64
    public var byteCount: UInt64

    public init(_ tensor: TensorInfo) {
        name = tensor.name
        dtype = tensor.dtype
        shape = tensor.shape
        fileIndex = tensor.fileIndex
        offset = tensor.offset
        byteCount = tensor.byteCount
    }

    /// The tensor, for reading.
    public var tensor: TensorInfo {
        TensorInfo(name: name, dtype: dtype, shape: shape, fileIndex: fileIndex, offset: offset, byteCount: byteCount)
    }
}
