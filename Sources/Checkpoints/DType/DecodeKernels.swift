/// Table-driven loops behind `DType.decode` where a per-element loop is measurably slow.
///
/// Each kernel gives bit-for-bit the results of the scalar conversions in `FloatBits`;
/// tests compare them over every bit pattern. (BF16 and F32 loops are vectorized by the
/// compiler as written; for F16 a branch-free SIMD conversion was measured slower than
/// the 64 Ki-entry table on baseline x86-64, so the table stays.)
enum DecodeKernels {
    /// F4 (E2M1), two elements per byte, low nibble first: one table entry per byte gives both
    /// (about 5× faster than unpacking nibbles per element, `provenance-bench reader`).
    static func float4(_ source: UnsafeRawPointer, _ target: UnsafeMutablePointer<Float>, _ count: Int) {
        decodeNibblePairs(float4PairTable, source, target, count)
    }

    /// Offset-8 4-bit integers, two per byte (low nibble first), as Floats −8…7.
    static func int4(_ source: UnsafeRawPointer, _ target: UnsafeMutablePointer<Float>, _ count: Int) {
        decodeNibblePairs(int4PairTable, source, target, count)
    }

    /// Two 4-bit elements per byte through a 256-entry table of their decoded pair.
    private static func decodeNibblePairs(
        _ table: [SIMD2<Float>], _ source: UnsafeRawPointer, _ target: UnsafeMutablePointer<Float>, _ count: Int
    ) {
        let bytes = source.assumingMemoryBound(to: UInt8.self)
        let output = UnsafeMutableRawPointer(target)
        table.withUnsafeBufferPointer { pairs in
            for index in 0..<(count / 2) {
                output.storeBytes(of: pairs[Int(bytes[index])], toByteOffset: index * 8, as: SIMD2<Float>.self)
            }
        }
    }

    /// For each byte: (low nibble − 8, high nibble − 8) as Floats.
    static let int4PairTable: [SIMD2<Float>] = (0..<256).map {
        SIMD2(Float(Int($0 & 0x0F) - 8), Float(Int($0 >> 4) - 8))
    }

    /// For each byte: (low nibble, high nibble) as Floats.
    static let float4PairTable: [SIMD2<Float>] = (0..<256).map {
        SIMD2(FloatBits.float4E2M1(UInt8($0) & 0x0F), FloatBits.float4E2M1(UInt8($0) >> 4))
    }
}
