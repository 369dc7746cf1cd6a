import Checkpoints

extension SafetensorsWriter.Tensor {
    /// A tensor of any dtype whose bytes follow a deterministic pattern that depends on `seed`,
    /// so that tensors differ from each other and misplaced bytes are noticed.
    public static func patterned(_ name: String, dtype: DType, shape: [Int], seed: UInt64 = 1) -> Self {
        let count = dtype.byteCount(forElements: shape.reduce(1, *)) ?? 0
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        let bytes = (0..<count).map { _ -> UInt8 in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return UInt8(truncatingIfNeeded: state >> 24)
        }
        return Self(name: name, dtype: dtype, shape: shape, bytes: bytes)
    }
}
