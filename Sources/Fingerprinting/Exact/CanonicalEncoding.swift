import Checkpoints

/// The canonical encoding of a tensor's values (format version 1).
///
/// - dtype: integer and boolean tensors keep their stored bytes. Floating-point tensors are
///   written in the first of BF16, F16, F32, F64 that holds every value exactly (8-bit and
///   4-bit floats are always exact in BF16). NaNs become the positive quiet NaN of that dtype.
/// - orientation: 2-D tensors are written tall (rows ≥ cols), transposing wide ones; a square
///   tensor is transposed when its first row is greater than its first column in the value order
///   below, comparing at the first index where they differ (a symmetric matrix is kept).
///   Value order: numeric, with −0 < +0 and NaN above everything.
/// - bytes: little-endian, row-major. The canonical digest is SHA-256 of these bytes.
///
/// So a copy that renames, re-shards, stores transposed, or changes dtype losslessly has
/// the same canonical digests; when a tensor is already canonical, the canonical digest
/// equals its raw digest and costs nothing extra.
enum CanonicalEncoding {
    /// Candidate canonical dtypes, in order of preference.
    static let floatOrder: [DType] = [.bf16, .f16, .f32, .f64]

    /// The canonical dtype when it can be known before reading values.
    static func fixedDType(for stored: DType) -> DType? {
        switch stored {
        case .bf16, .f8E4M3, .f8E5M2, .f8E4M3FNUZ, .f8E5M2FNUZ, .f8E8M0, .f4: .bf16
        case .f16, .f32, .f64: nil
        default: stored.isBlockQuantized ? nil : stored
        }
    }

    static func isFloatLike(_ dtype: DType) -> Bool {
        (dtype.isFloatingPoint || dtype.isBlockQuantized) && dtype.unsupportedReason == nil
    }

    /// Whether a tensor's decoded values are floats: a float-like dtype, or a scaled weight
    /// (whose integer codes times its factors are floats).
    static func isFloatLike(_ tensor: TensorInfo) -> Bool {
        isFloatLike(tensor.dtype) || tensor.scale != nil
    }

    /// Whether the stored bytes of this dtype already are the canonical NaN when a value is NaN.
    static func isCanonicalNaNBits(_ bits: UInt64, stored: DType) -> Bool {
        switch stored {
        case .bf16: bits == 0x7FC0
        case .f16: bits == 0x7E00
        case .f32: bits == 0x7FC0_0000
        case .f64: bits == 0x7FF8_0000_0000_0000
        default: false
        }
    }

    // MARK: - Encoders

    /// Bytes per element of a canonical float dtype.
    static func width(_ dtype: DType) -> Int { dtype.bitWidth / 8 }

    /// Writes the canonical little-endian bytes of `values` in `dtype` to `target`
    /// (which must hold `values.count × width(dtype)` bytes).
    static func encode(_ values: UnsafeBufferPointer<Float>, as dtype: DType, into target: UnsafeMutableRawPointer) {
        let count = values.count
        guard count > 0, let source = values.baseAddress else { return }
        switch dtype {
        case .bf16:
            let out = target.assumingMemoryBound(to: UInt16.self)
            for index in 0..<count {
                let value = source[index]
                out[index] = (value.isNaN ? 0x7FC0 : UInt16(truncatingIfNeeded: value.bitPattern >> 16)).littleEndian
            }
        case .f16:
            let out = target.assumingMemoryBound(to: UInt16.self)
            func encodeOne(_ index: Int) {
                let value = source[index]
                out[index] = (value.isNaN ? 0x7E00 : FloatEncoding.float16Bits(value)).littleEndian
            }
            var index = 0
            #if _endian(little)
            // Eight at a time where every lane is an exact normal half (a quantized weight's values are).
            while index + 8 <= count {
                if let bits = FloatEncoding.exactNormalFloat16Bits(UnsafeRawPointer(source + index).loadUnaligned(as: SIMD8<Float>.self)) {
                    UnsafeMutableRawPointer(out + index).storeBytes(of: bits, as: SIMD8<UInt16>.self)
                } else {
                    for lane in index..<(index + 8) { encodeOne(lane) }
                }
                index += 8
            }
            #endif
            while index < count {
                encodeOne(index)
                index += 1
            }
        case .f32:
            let out = target.assumingMemoryBound(to: UInt32.self)
            for index in 0..<count {
                let value = source[index]
                out[index] = (value.isNaN ? 0x7FC0_0000 : value.bitPattern).littleEndian
            }
        case .f64:
            let out = target.assumingMemoryBound(to: UInt64.self)
            for index in 0..<count {
                let value = source[index]
                out[index] = (value.isNaN ? 0x7FF8_0000_0000_0000 : Double(value).bitPattern).littleEndian
            }
        default:
            preconditionFailure("canonical float encoding to \(dtype.name)")
        }
    }

    /// Writes canonical bytes of `Double` values (the F64 path).
    static func encode(_ values: UnsafeBufferPointer<Double>, as dtype: DType, into target: UnsafeMutableRawPointer) {
        let count = values.count
        guard count > 0, let source = values.baseAddress else { return }
        if dtype == .f64 {
            let out = target.assumingMemoryBound(to: UInt64.self)
            for index in 0..<count {
                let value = source[index]
                out[index] = (value.isNaN ? 0x7FF8_0000_0000_0000 : value.bitPattern).littleEndian
            }
            return
        }
        let floats = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
        defer { floats.deallocate() }
        for index in 0..<count { floats[index] = Float(source[index]) }
        encode(UnsafeBufferPointer(floats), as: dtype, into: target)
    }

    /// Total value order used to orient square matrices: −1, 0, +1.
    static func compare(_ a: Double, _ b: Double) -> Int {
        if a.isNaN || b.isNaN { return a.isNaN == b.isNaN ? 0 : (a.isNaN ? 1 : -1) }
        if a < b { return -1 }
        if a > b { return 1 }
        if a == 0 && b == 0 && a.sign != b.sign { return a.sign == .minus ? -1 : 1 }
        return 0
    }
}

/// Tracks, over a tensor's values, which canonical dtypes still hold every value exactly.
struct ExactnessTracker {
    let stored: DType
    private(set) var exactBF16 = true
    private(set) var exactF16 = true
    private(set) var exactF32 = true
    private(set) var nonCanonicalNaN = false

    init(stored: DType) {
        self.stored = stored
        if stored == .f16 { exactF32 = true }
    }

    /// Observes decoded values (for F16, F32 and quantized tensors).
    mutating func observe(_ values: UnsafeBufferPointer<Float>) {
        if exactBF16 {
            for value in values where !value.isNaN && value.bitPattern & 0xFFFF != 0 {
                exactBF16 = false
                break
            }
        }
        if exactF16 && stored != .f16, let base = values.baseAddress {
            // NaN lanes pass `areExactFloat16` (exponent 0xFF), as they are skipped one by one.
            var index = 0
            while index + 8 <= values.count {
                guard FloatEncoding.areExactFloat16(UnsafeRawPointer(base + index).loadUnaligned(as: SIMD8<Float>.self)) else {
                    exactF16 = false
                    return
                }
                index += 8
            }
            for value in values[index...] where !value.isNaN && !FloatEncoding.isExactFloat16(value) {
                exactF16 = false
                break
            }
        }
    }

    /// Observes decoded doubles (the F64 path).
    mutating func observe(_ values: UnsafeBufferPointer<Double>) {
        for value in values where !value.isNaN {
            if exactF32 && Double(Float(value)) != value { exactF32 = false; exactF16 = false; exactBF16 = false }
            if !exactF32 { break }
            let single = Float(value)
            if exactBF16 && single.bitPattern & 0xFFFF != 0 { exactBF16 = false }
            if exactF16 && !FloatEncoding.isExactFloat16(single) { exactF16 = false }
        }
    }

    /// Observes stored NaN bit patterns (raw bytes) of BF16/F16/F32/F64 tensors.
    mutating func observeNaNs(raw: UnsafeRawBufferPointer) {
        guard !nonCanonicalNaN else { return }
        switch stored {
        case .bf16, .f16:
            let count = raw.count / 2
            for index in 0..<count {
                let bits = raw.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self)
                let isNaN = stored == .bf16 ? (bits & 0x7FFF) > 0x7F80 : (bits & 0x7FFF) > 0x7C00
                if isNaN && !CanonicalEncoding.isCanonicalNaNBits(UInt64(bits), stored: stored) { nonCanonicalNaN = true; return }
            }
        case .f32:
            let count = raw.count / 4
            for index in 0..<count {
                let bits = raw.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)
                if (bits & 0x7FFF_FFFF) > 0x7F80_0000 && bits != 0x7FC0_0000 { nonCanonicalNaN = true; return }
            }
        case .f64:
            let count = raw.count / 8
            for index in 0..<count {
                let bits = raw.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self)
                if (bits & 0x7FFF_FFFF_FFFF_FFFF) > 0x7FF0_0000_0000_0000 && bits != 0x7FF8_0000_0000_0000 {
                    nonCanonicalNaN = true; return
                }
            }
        default:
            return
        }
    }

    /// The canonical dtype for what was observed.
    var decision: DType {
        if let fixed = CanonicalEncoding.fixedDType(for: stored) { return fixed }
        if exactBF16 { return .bf16 }
        if exactF16 { return .f16 }
        if stored == .f64 && !exactF32 { return .f64 }
        return .f32
    }
}
