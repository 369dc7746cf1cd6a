import Checkpoints

/// Encodes `Float` values into a stored dtype's bytes.
///
/// F32, F64, F16 and BF16 go through `FloatEncoding` (round to nearest even). 8-bit floats
/// round to the nearest representable value (ties to the even code, saturating at the
/// largest finite value). Integer dtypes (buffers such as `position_ids`) must hold exact
/// integers in range.
enum StorageEncoding {
    static func encode(_ values: [Float], as dtype: DType, tensor: String) throws(PerturbationError) -> [UInt8] {
        switch dtype {
        case .f32, .f64, .f16, .bf16:
            return FloatEncoding.encode(values, as: dtype)
        case .f8E4M3, .f8E5M2, .f8E4M3FNUZ, .f8E5M2FNUZ:
            let table = EightBitTable.table(for: dtype)
            return values.map { table.code(nearest: $0) }
        case .bool, .u8:
            return try integers(values, UInt8.self, dtype, tensor)
        case .i8: return try integers(values, Int8.self, dtype, tensor)
        case .u16: return try integers(values, UInt16.self, dtype, tensor)
        case .i16: return try integers(values, Int16.self, dtype, tensor)
        case .u32: return try integers(values, UInt32.self, dtype, tensor)
        case .i32: return try integers(values, Int32.self, dtype, tensor)
        case .u64: return try integers(values, UInt64.self, dtype, tensor)
        case .i64: return try integers(values, Int64.self, dtype, tensor)
        case .f8E8M0, .f6E2M3, .f6E3M2, .f4, .i4, .c64, .q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q2K, .q3K, .q4K, .q5K, .q6K, .iq4NL, .iq4XS, .mxfp4, .nvfp4,
             .tq1_0, .tq2_0, .iq1S, .iq1M, .iq2XXS, .iq2XS, .iq2S, .iq3XXS, .iq3S, .q1_0:
            let gguf = GGUFExport.types.contains(dtype) ? ", or --gguf \(dtype.name.lowercased()) for a GGUF output" : ""
            throw PerturbationError(tensor: tensor, rule: .notEncodable(dtype: dtype, reason: "safetensors output cannot hold \(dtype.name); choose --dtype f32, f16, bf16 or fp8\(gguf)"))
        }
    }

    private static func integers<I: FixedWidthInteger>(_ values: [Float], _: I.Type, _ dtype: DType, _ tensor: String) throws(PerturbationError) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.count * MemoryLayout<I>.size)
        for (index, value) in values.enumerated() {
            guard let integer = I(exactly: value) else {
                throw PerturbationError(tensor: tensor, rule: .notEncodable(dtype: dtype, reason: "element \(index) is \(value), not an integer in range"))
            }
            withUnsafeBytes(of: integer.littleEndian) { bytes.append(contentsOf: $0) }
        }
        return bytes
    }
}

/// Block-scaled FP8 as DeepSeek-V3 stores it: each `block × block` tile of a matrix gets the
/// factor (largest finite magnitude) / 448, and its values are stored as the F8_E4M3 codes
/// nearest to value / factor. An all-zero tile gets factor 1.
enum BlockScaledEncoding {
    /// The largest finite F8_E4M3 value.
    static let largestCode: Float = 448

    /// The grid of factors, ⌈rows/block⌉ × ⌈columns/block⌉.
    static func gridShape(rows: Int, columns: Int, block: Int) -> [Int] {
        [(rows + block - 1) / block, (columns + block - 1) / block]
    }

    /// Codes (row-major, one byte per value) and factors of a `rows × columns` matrix.
    static func encode(_ values: [Float], rows: Int, columns: Int, block: Int) -> (codes: [UInt8], factors: [Float]) {
        let grid = gridShape(rows: rows, columns: columns, block: block)
        var largest = [Float](repeating: 0, count: grid[0] * grid[1])
        for row in 0..<rows {
            for column in 0..<columns {
                let value = values[row * columns + column]
                guard value.isFinite else { continue }
                let cell = (row / block) * grid[1] + column / block
                largest[cell] = max(largest[cell], abs(value))
            }
        }
        let factors = largest.map { $0 > 0 ? $0 / largestCode : 1 }
        let table = EightBitTable.e4m3
        var codes = [UInt8](repeating: 0, count: rows * columns)
        for row in 0..<rows {
            for column in 0..<columns {
                let factor = factors[(row / block) * grid[1] + column / block]
                codes[row * columns + column] = table.code(nearest: values[row * columns + column] / factor)
            }
        }
        return (codes, factors)
    }
}

/// NVFP4 as NVIDIA's ModelOpt exports it (`W` U8, `W_scale` F8_E4M3, `W_scale_2` F32): a
/// per-tensor scale s₂ = (largest finite magnitude) / (6 · 448); each run of 16 values in a row
/// gets the block scale nearest (as F8_E4M3) to (its largest magnitude) / (6 · s₂); each value
/// the E2M1 code nearest to value / (block scale · s₂) (ties to the even code), two codes per
/// byte, low nibble first. An all-zero tensor gets s₂ = 1.
enum NVFP4Encoding {
    /// Values per block scale.
    static let block = 16
    /// E2M1 magnitudes by 3-bit code.
    static let magnitudes: [Float] = [0, 0.5, 1, 1.5, 2, 3, 4, 6]

    /// Packed codes (`rows × columns/2` bytes), block scales (`rows × columns/16` F8_E4M3 codes)
    /// and the per-tensor scale of a `rows × columns` matrix; `columns` must be a multiple of 16.
    static func encode(_ values: [Float], rows: Int, columns: Int) -> (codes: [UInt8], scales: [UInt8], global: Float) {
        precondition(columns % block == 0 && values.count == rows * columns)
        let largest = values.reduce(Float(0)) { $1.isFinite ? max($0, abs($1)) : $0 }
        let global = largest > 0 ? largest / (6 * 448) : 1
        let table = EightBitTable.e4m3
        var codes = [UInt8](repeating: 0, count: values.count / 2)
        var scales = [UInt8](repeating: 0, count: values.count / block)
        for blockIndex in scales.indices {
            let start = blockIndex * block
            let blockLargest = values[start..<(start + block)].reduce(Float(0)) { $1.isFinite ? max($0, abs($1)) : $0 }
            let scaleCode = table.code(nearest: blockLargest / (6 * global))
            scales[blockIndex] = scaleCode
            let factor = FloatBits.float8E4M3(scaleCode) * global
            for offset in 0..<block {
                let index = start + offset
                let code = factor > 0 && values[index].isFinite ? nearestCode(values[index] / factor) : 0
                codes[index / 2] |= index % 2 == 0 ? code : code << 4
            }
        }
        return (codes, scales, global)
    }

    /// The E2M1 code (sign in bit 3) nearest to `value`, saturating at ±6; ties to the even code.
    static func nearestCode(_ value: Float) -> UInt8 {
        let magnitude = abs(value)
        var best = 0
        for code in 1..<magnitudes.count {
            let distance = abs(magnitudes[code] - magnitude), bestDistance = abs(magnitudes[best] - magnitude)
            if distance < bestDistance || (distance == bestDistance && code % 2 == 0) { best = code }
        }
        return UInt8(best) | (value.sign == .minus && best != 0 ? 0x08 : 0)
    }
}

/// Symmetric INT4 as compressed-tensors' `pack-quantized` format stores it (llm-compressor's
/// W4A16): each run of `group` values in a row gets the scale (largest magnitude) / 7.5 rounded
/// to BF16 (an all-zero run gets 1), each value the code round(value / scale) clamped to −8…7;
/// codes are offset by 8 and packed eight per I32 word, the first in the lowest bits, words
/// little-endian (`B.weight_packed`), scales stored as BF16 (`B.weight_scale`).
enum PackedInt4Encoding {
    /// The group size used when a row holds whole groups of it (else one scale per row).
    static let preferredGroup = 128

    /// The group size for rows of `columns` values: 128 when it divides them, else the whole row.
    static func group(columns: Int) -> Int {
        columns % preferredGroup == 0 ? preferredGroup : columns
    }

    /// Packed words (as bytes) and BF16 scales of a `rows × columns` matrix; `columns` must be a
    /// multiple of 8 and of `group`.
    static func encode(_ values: [Float], rows: Int, columns: Int, group: Int) -> (packed: [UInt8], scales: [Float]) {
        precondition(columns % 8 == 0 && columns % group == 0 && values.count == rows * columns)
        var scales: [Float] = []
        scales.reserveCapacity(values.count / group)
        var packed = [UInt8](repeating: 0, count: values.count / 2)
        for start in stride(from: 0, to: values.count, by: group) {
            let largest = values[start..<(start + group)].reduce(Float(0)) { $1.isFinite ? max($0, abs($1)) : $0 }
            let scale = FloatBits.bfloat16(FloatEncoding.bfloat16Bits(largest > 0 ? largest / 7.5 : 1))
            scales.append(scale)
            for index in start..<(start + group) {
                let value = values[index]
                let code = value.isFinite ? Int(max(-8, min(7, (value / scale).rounded()))) : 0
                packed[index / 2] |= UInt8(code + 8) << UInt8((index % 2) * 4)
            }
        }
        return (packed, scales)
    }
}
