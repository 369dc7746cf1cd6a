import Checkpoints

/// Decodes whole bytes of `dtype` to Floats (element count from the byte count).
func decodeFloats(_ dtype: DType, _ bytes: [UInt8]) -> [Float] {
    let count = bytes.count / dtype.block.bytes * dtype.block.elements
    var output = [Float](repeating: 12345, count: count)
    bytes.withUnsafeBytes { source in output.withUnsafeMutableBufferPointer { dtype.decode(source, into: $0) } }
    return output
}

/// Decodes whole bytes of `dtype` to Doubles.
func decodeDoubles(_ dtype: DType, _ bytes: [UInt8]) -> [Double] {
    let count = bytes.count / dtype.block.bytes * dtype.block.elements
    var output = [Double](repeating: 12345, count: count)
    bytes.withUnsafeBytes { source in output.withUnsafeMutableBufferPointer { dtype.decode(source, into: $0) } }
    return output
}

/// Little-endian bytes of integers.
func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    values.flatMap { value in (0..<(T.bitWidth / 8)).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
}

/// Equal as bit patterns (so +0 ≠ −0), or both NaN.
func identical(_ a: Float, _ b: Float) -> Bool {
    (a.isNaN && b.isNaN) || a.bitPattern == b.bitPattern
}

func identical(_ a: Double, _ b: Double) -> Bool {
    (a.isNaN && b.isNaN) || a.bitPattern == b.bitPattern
}

func identical(_ a: [Float], _ b: [Float]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { identical($0, $1) }
}

func identical(_ a: [Double], _ b: [Double]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { identical($0, $1) }
}
