/// A tensor to write whose bytes are in memory: the input of every checkpoint writer
/// (`SafetensorsWriter`, `GGUFWriter`, `PyTorchWriter`).
public struct TensorBytes: Sendable {
    public var name: String
    public var dtype: DType
    /// Row-major shape, outermost dimension first.
    public var shape: [Int]
    /// The stored bytes: `dtype.byteCount(forElements:)` of the shape's element count.
    public var bytes: [UInt8]

    public init(name: String, dtype: DType, shape: [Int], bytes: [UInt8]) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// A tensor from `Float` values: F32/F64/F16/BF16 are encoded (round to nearest even),
    /// Q8_0/Q4_0/Q4_1/Q5_0/Q5_1/MXFP4 quantized as gguf-py does (`GGMLQuantizer`).
    public init(name: String, shape: [Int], values: [Float], as dtype: DType = .f32) {
        let bytes = dtype.isBlockQuantized ? GGMLQuantizer.quantize(values, as: dtype) : FloatEncoding.encode(values, as: dtype)
        self.init(name: name, dtype: dtype, shape: shape, bytes: bytes)
    }
}
