import Checkpoints
import Foundation

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
             .tq1_0, .tq2_0, .iq1S, .iq1M, .iq2XXS, .iq2XS, .iq2S, .iq3XXS, .iq3S, .q1_0, .q2_0:
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

/// Symmetric integer codes as compressed-tensors' `pack-quantized` format stores them
/// (llm-compressor's W4A16; at 2 and 3 bits AutoRound's W2A16 and W3A16, `encode`'s `bits`).
/// At 4 bits: each run of `group` values in a row gets the scale (largest magnitude) / 7.5 rounded
/// to BF16 (an all-zero run gets 1), each value the code round(value / scale) clamped to −8…7;
/// codes are offset by 8 and packed eight per I32 word, the first in the lowest bits, words
/// little-endian (`B.weight_packed`), scales stored as BF16 (`B.weight_scale`). With activation
/// order (llm-compressor's GPTQ `actorder: group`) a group is `group` columns of equal rank
/// (`activationOrder`), not a run, and each column's group is stored (`B.weight_g_idx`, I32).
enum PackedIntegerEncoding {
    /// The group size used when a row holds whole groups of it (else one scale per row).
    static let preferredGroup = 128

    /// The group size for rows of `columns` values: 128 when it divides them, else the whole row.
    static func group(columns: Int) -> Int {
        columns % preferredGroup == 0 ? preferredGroup : columns
    }

    /// Packed words (as bytes) and BF16 scales `[rows, columns / group]` of a `rows × columns`
    /// matrix of symmetric `bits`-bit codes (4, or 2 and 3 for AutoRound's W2A16 and W3A16): per
    /// group of a row, scale = largest magnitude / ((2^bits − 1) / 2) rounded to BF16 (1 for an
    /// all-zero group), code = clamp(round(value / scale), −2^(bits−1), 2^(bits−1) − 1); each row
    /// ⌈columns·bits / 32⌉ I32 words of one little-endian bit stream of codes + 2^(bits−1), the
    /// first in the lowest bits, codes straddling words, the last word padded with zero bits
    /// (`pack_to_int32` of compressed-tensors ≥ 0.18; at 4 bits `columns` must be a multiple of 8,
    /// so the words are the I4 nibble stream, and at 2 and 4 bits the words are the same as older
    /// versions' ⌊32 / bits⌋ codes per word). `columns` must
    /// be a multiple of `group`; `columnGroups` gives each column's group (`activationOrder`), by
    /// default column / group.
    static func encode(_ values: [Float], rows: Int, columns: Int, group: Int, bits: Int = 4, columnGroups: [Int]? = nil) -> (packed: [UInt8], scales: [Float]) {
        precondition((2...4).contains(bits) && (bits != 4 || columns % 8 == 0) && columns % group == 0 && values.count == rows * columns)
        let groups = columns / group
        let groupOf = columnGroups ?? (0..<columns).map { $0 / group }
        precondition(groupOf.count == columns && groupOf.allSatisfy { (0..<groups).contains($0) })
        let wordsPerRow = (columns * bits + 31) / 32, half = 1 << (bits - 1)
        var scales = [Float](repeating: 1, count: rows * groups)
        var words = [UInt32](repeating: 0, count: rows * wordsPerRow)
        var largest = [Float](repeating: 0, count: groups)
        for row in 0..<rows {
            let start = row * columns
            for index in largest.indices { largest[index] = 0 }
            for column in 0..<columns where values[start + column].isFinite {
                largest[groupOf[column]] = max(largest[groupOf[column]], abs(values[start + column]))
            }
            for index in largest.indices {
                scales[row * groups + index] = FloatBits.bfloat16(FloatEncoding.bfloat16Bits(largest[index] > 0 ? largest[index] / (Float(2 * half - 1) / 2) : 1))
            }
            for column in 0..<columns {
                let value = values[start + column], scale = scales[row * groups + groupOf[column]]
                let code = value.isFinite ? Int(max(Float(-half), min(Float(half - 1), (value / scale).rounded()))) : 0
                ZeroPointEncoding.setField(UInt32(code + half), index: column, bits: bits, in: &words, first: row * wordsPerRow, stride: 1)
            }
        }
        return (words.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }, scales)
    }
}

/// GPTQ's activation order without calibration data: the input features (columns of PyTorch's
/// `[out, in]` weight) ranked by their squared norm, standing in for the calibration Hessian's
/// diagonal, and grouped `group` ranks at a time — AutoGPTQ's `desc_act` and llm-compressor's
/// `actorder: group` record each feature's group (`g_idx`).
enum ActivationOrder {
    /// The group of each of the `inFeatures` columns of a row-major `outFeatures × inFeatures` matrix.
    static func groups(_ values: [Float], outFeatures: Int, inFeatures: Int, group: Int) -> [Int] {
        precondition(values.count == outFeatures * inFeatures && group > 0)
        var energy = [Double](repeating: 0, count: inFeatures)
        for row in 0..<outFeatures {
            for column in 0..<inFeatures {
                let value = Double(values[row * inFeatures + column])
                energy[column] += value * value
            }
        }
        let ranked = (0..<inFeatures).sorted { energy[$0] != energy[$1] ? energy[$0] > energy[$1] : $0 < $1 }
        var groups = [Int](repeating: 0, count: inFeatures)
        for (position, column) in ranked.enumerated() { groups[column] = position / group }
        return groups
    }
}

// MARK: - Asymmetric packed INT4

extension PackedIntegerEncoding {
    /// Asymmetric INT4 as llm-compressor's W4A16_ASYM stores it (compressed-tensors' min–max
    /// observer and `quantize`): each run of `group` values gets the range widened to hold 0,
    /// scale = (max − min) / 15 rounded to BF16 (an all-zero run gets 1), the signed zero point
    /// round(−8 − min / scale) clamped to −8…7, each value the code round(value / scale) + zero
    /// point clamped to −8…7; value = (code − zero point) × scale. Codes are packed as `encode`
    /// packs them, zero points (offset by 8) eight consecutive rows per I32 word along each
    /// column of the `[rows, groups]` grid (`pack_to_int32(…, packed_dim=0)`, `B.weight_zero_point`).
    static func encodeAsymmetric(_ values: [Float], rows: Int, columns: Int, group: Int) -> (packed: [UInt8], scales: [Float], zeroPoints: [UInt8]) {
        precondition(columns % 8 == 0 && columns % group == 0 && values.count == rows * columns)
        let groups = columns / group
        var scales: [Float] = [], zeros: [Int] = []
        scales.reserveCapacity(rows * groups)
        var packed = [UInt8](repeating: 0, count: values.count / 2)
        for start in stride(from: 0, to: values.count, by: group) {
            let finite = values[start..<(start + group)].filter(\.isFinite)
            let low = min(finite.min() ?? 0, 0), high = max(finite.max() ?? 0, 0)
            let scale = FloatBits.bfloat16(FloatEncoding.bfloat16Bits(high > low ? (high - low) / 15 : 1))
            let zero = Int(max(-8, min(7, (-8 - low / scale).rounded())))
            scales.append(scale)
            zeros.append(zero)
            for index in start..<(start + group) {
                let value = values[index]
                let code = value.isFinite ? Int(max(-8, min(7, (value / scale).rounded() + Float(zero)))) : zero
                packed[index / 2] |= UInt8(code + 8) << UInt8((index % 2) * 4)
            }
        }
        var words = [UInt32](repeating: 0, count: (rows + 7) / 8 * groups)
        for row in 0..<rows {
            for column in 0..<groups {
                words[(row / 8) * groups + column] |= UInt32(zeros[row * groups + column] + 8) << UInt32(4 * (row % 8))
            }
        }
        return (packed, scales, words.flatMap { word in withUnsafeBytes(of: word.littleEndian, Array.init) })
    }
}

/// Group quantization with zero points, stored as GPTQ (AutoGPTQ's `QuantLinear`, 2, 3, 4 or 8
/// bits) or AWQ (AutoAWQ's GEMM layout, 4 bits) store it: the transposed weight `[K, N]` in
/// groups of `group` input rows; per group and output column a scale (rounded to F16) and a
/// zero point, code = clamp(round(x / scale) + zero, 0, 2^bits − 1). GPTQ is symmetric as
/// AutoGPTQ's default (`sym`): scale = 2·max|x| / (2^bits − 1), zero 2^(bits−1), stored minus
/// one; its rows are grouped in activation order (`desc_act`, the rows ranked by their squared
/// norm standing in for the calibration Hessian's diagonal, recorded in `g_idx`). AWQ is
/// asymmetric as AutoAWQ's `pseudo_quantize_tensor`: scale = (max x − min x) / 15, zero =
/// clamp(−round(min x / scale), 0, 15). This is round to nearest: GPTQ's Hessian-weighted error
/// feedback and AWQ's activation-aware channel scaling and clipping search are not emulated. An
/// all-equal group gets the range −1 … 1.
enum ZeroPointEncoding {
    /// The group size used when it divides the input features (else one group).
    static let preferredGroup = 128

    /// The group size for `inFeatures` input rows: 128 when it divides them, else all of them.
    static func group(inFeatures: Int) -> Int {
        inFeatures % preferredGroup == 0 ? preferredGroup : inFeatures
    }

    /// Sets field `index` of a little-endian stream of `bits`-bit fields over the words
    /// `words[first + k·stride]` (k = 0, 1, …) to `value`: AutoGPTQ's packing, whose 3-bit
    /// fields straddle words (rows 10 and 21 of each 32, columns likewise in `qzeros`), and
    /// compressed-tensors' dense rows (`PackedIntegerEncoding`, stride 1).
    static func setField(_ value: UInt32, index: Int, bits: Int, in words: inout [UInt32], first: Int, stride: Int) {
        let position = index * bits, word = first + (position / 32) * stride, shift = UInt32(position % 32)
        words[word] |= value << shift
        if Int(shift) + bits > 32 { words[word + stride] |= value >> (32 - shift) }
    }

    /// The stored tensors' bytes: `qweight` and `qzeros` (I32 words, little-endian), `scales`
    /// (F16-rounded values, `[G, N]`) and, for GPTQ, `g_idx` (I32 `[K]`) — for a weight given as
    /// PyTorch's `[N, K]` (out, in) values. `K` and `N` must fill whole words (`K·bits` and
    /// `N·bits` multiples of 32), `K` be a multiple of `group`.
    static func encode(_ values: [Float], outFeatures: Int, inFeatures: Int, group: Int, order: CodePacking.Order, bits: Int)
        -> (qweight: [UInt8], qzeros: [UInt8], scales: [Float], groupIndex: [UInt8]?) {
        let (n, k) = (outFeatures, inFeatures)
        precondition(values.count == n * k && (n * bits) % 32 == 0 && (k * bits) % 32 == 0 && k % group == 0)
        precondition(order.isGPTQ || (order == .awq && bits == 4), "ZeroPointEncoding writes GPTQ (2, 3, 4, 8 bits) and AWQ (4 bits) layouts only")
        let groups = k / group, top = (1 << bits) - 1
        // Group of each input row: in order (AWQ), or by descending squared norm (GPTQ's desc_act).
        let rowGroup = order.isGPTQ ? ActivationOrder.groups(values, outFeatures: n, inFeatures: k, group: group) : (0..<k).map { $0 / group }
        var low = [Float](repeating: .infinity, count: groups * n), high = [Float](repeating: -.infinity, count: groups * n)
        for column in 0..<n {
            for row in 0..<k where values[column * k + row].isFinite {
                let cell = rowGroup[row] * n + column, value = values[column * k + row]
                low[cell] = min(low[cell], value)
                high[cell] = max(high[cell], value)
            }
        }
        var scales = [Float](repeating: 1, count: groups * n), zeros = [Int](repeating: 0, count: groups * n)
        for cell in scales.indices {
            var (lowest, highest) = low[cell] >= high[cell] ? (Float(-1), Float(1)) : (low[cell], high[cell])
            if order.isGPTQ { (lowest, highest) = (-max(-lowest, highest), max(-lowest, highest)) }
            let scale = FloatBits.float16(FloatEncoding.float16Bits((highest - lowest) / Float(top)))
            scales[cell] = scale > 0 ? scale : 1
            zeros[cell] = order.isGPTQ ? (top + 1) / 2 : Int(max(0, min(Float(top), -(lowest / scales[cell]).rounded())))
        }
        func code(row: Int, column: Int) -> UInt32 {
            let cell = rowGroup[row] * n + column, value = values[column * k + row]
            guard value.isFinite else { return UInt32(zeros[cell]) }
            return UInt32(max(0, min(top, Int((value / scales[cell]).rounded()) + zeros[cell])))
        }
        var qweight = [UInt32](repeating: 0, count: k * bits / 32 * n), qzeros = [UInt32](repeating: 0, count: groups * n * bits / 32)
        if order.isGPTQ {
            // Each column's K codes one bit stream down the packed rows; each group's N zeros (minus one) one along its row.
            for row in 0..<k { for column in 0..<n { setField(code(row: row, column: column), index: row, bits: bits, in: &qweight, first: column, stride: n) } }
            for group in 0..<groups {
                for column in 0..<n {
                    let stored = UInt32(bitPattern: Int32(zeros[group * n + column] - 1)) & UInt32(top)
                    setField(stored, index: column, bits: bits, in: &qzeros, first: group * n * bits / 32, stride: 1)
                }
            }
        } else {
            for row in 0..<k {
                for column in 0..<n { qweight[row * n / 8 + column / 8] |= code(row: row, column: column) << UInt32(4 * CodePacking.awqNibble[column % 8]) }
            }
            for cell in zeros.indices { qzeros[cell / 8] |= UInt32(zeros[cell]) << UInt32(4 * CodePacking.awqNibble[cell % 8]) }
        }
        func bytes<I: FixedWidthInteger>(_ words: [I]) -> [UInt8] { words.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) } }
        return (bytes(qweight), bytes(qzeros), scales, order.isGPTQ ? bytes(rowGroup.map(Int32.init)) : nil)
    }
}

/// bitsandbytes' 4-bit NF4 quantization as transformers saves it (no double quantization):
/// each block of 64 consecutive values (row-major) gets its largest magnitude as factor
/// (`W.absmax`, F32), each value the code whose NF4 codebook entry is nearest to value / factor
/// (an all-zero block gets codes of 0.0), two codes per byte with the first in the **high**
/// nibble (`W`, U8 `[n/2, 1]`); `W.quant_map` holds the codebook, `W.quant_state.bitsandbytes__nf4`
/// the JSON of the non-tensor quant state as `json.dumps` writes it.
enum NF4Encoding {
    /// Values per factor (bitsandbytes' default `blocksize`).
    static let block = 64
    /// bitsandbytes' NF4 codebook.
    static let codebook: [Float] = [
        -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635, -0.18477343022823334,
        -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
        0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
    ]

    /// Packed codes and block factors of `values` (a multiple of 2 × `block` of them).
    static func encode(_ values: [Float], block: Int) -> (packed: [UInt8], absmax: [Float]) {
        precondition(values.count % (2 * block) == 0)
        let absmax = stride(from: 0, to: values.count, by: block).map { start in
            values[start..<(start + block)].reduce(Float(0)) { $1.isFinite ? max($0, abs($1)) : $0 }
        }
        func code(_ index: Int) -> UInt8 {
            let factor = absmax[index / block]
            let normalized = factor > 0 && values[index].isFinite ? values[index] / factor : 0
            return UInt8(codebook.indices.min { abs(codebook[$0] - normalized) < abs(codebook[$1] - normalized) }!)
        }
        let packed = stride(from: 0, to: values.count, by: 2).map { code($0) << 4 | code($0 + 1) }
        return (packed, absmax)
    }

    /// The quant state's JSON bytes for a weight of `shape` stored in BF16 compute dtype.
    static func quantState(shape: [Int], block: Int) -> [UInt8] {
        let dimensions = shape.map(String.init).joined(separator: ", ")
        return Array("{\"quant_type\": \"nf4\", \"blocksize\": \(block), \"dtype\": \"bfloat16\", \"shape\": [\(dimensions)]}".utf8)
    }
}

/// bitsandbytes' 8-bit LLM.int8 quantization as transformers saves a `load_in_8bit` model
/// (`int8_vectorwise_quant`): each row's largest finite magnitude is its `SCB` (F32), each value
/// the I8 code round(value × 127 / SCB) (round half to even, as `torch.round`; an all-zero row
/// gets codes 0). Dequantized: code × SCB / 127.
enum LLMInt8Encoding {
    /// Row-major I8 codes and the row factors (`SCB`) of a `rows × columns` matrix.
    static func encode(_ values: [Float], rows: Int, columns: Int) -> (codes: [UInt8], scb: [Float]) {
        precondition(values.count == rows * columns)
        let scb = (0..<rows).map { row in
            values[(row * columns)..<((row + 1) * columns)].reduce(Float(0)) { $1.isFinite ? max($0, abs($1)) : $0 }
        }
        let codes = values.indices.map { index -> UInt8 in
            let factor = scb[index / columns], value = values[index]
            guard factor > 0, value.isFinite else { return 0 }
            return UInt8(bitPattern: Int8((value * (127 / factor)).rounded(.toNearestOrEven)))
        }
        return (codes, scb)
    }
}

/// MLX's 4-bit affine quantization as `mx.quantize` does it and `mlx_lm` saves it: per group of
/// `group` consecutive values of a row, scale = max((max − min) / 15, 1e-7), negated when the
/// maximum's magnitude is the larger; the larger-magnitude edge made exact (q0 = rint(edge /
/// scale); when q0 ≠ 0, scale = edge / q0 and bias = edge, else bias 0); code = clamp(rint((value
/// − bias) / scale), 0, 15), eight codes per little-endian U32 word, the first in the lowest bits.
/// Scales and biases are stored as BF16.
enum MLXEncoding {
    /// Values per group (`mlx_lm convert -q`'s default).
    static let group = 64
    static let storage = DType.bf16

    static func encode(_ values: [Float], group: Int) -> (words: [UInt8], scales: [Float], biases: [Float]) {
        precondition(values.count % group == 0 && group % 8 == 0)
        var scales: [Float] = [], biases: [Float] = []
        var words = [UInt8](repeating: 0, count: values.count / 2)
        for start in stride(from: 0, to: values.count, by: group) {
            let slice = values[start..<(start + group)].map { $0.isFinite ? $0 : 0 }
            let low = slice.min()!, high = slice.max()!
            let negative = abs(low) > abs(high)
            var scale = max((high - low) / 15, 1e-7)
            if !negative { scale = -scale }
            let edge = negative ? low : high
            let q0 = (edge / scale).rounded(.toNearestOrEven)
            var bias: Float = 0
            if q0 != 0 {
                scale = edge / q0
                bias = edge
            }
            for (offset, value) in slice.enumerated() {
                let code = UInt8(min(max(((value - bias) / scale).rounded(.toNearestOrEven), 0), 15))
                let index = start + offset
                // Eight codes per little-endian word, first in the lowest bits: two per byte, low nibble first.
                words[index / 2] |= index % 2 == 0 ? code : code << 4
            }
            scales.append(scale)
            biases.append(bias)
        }
        return (words, scales, biases)
    }
}

/// MLX's floating-point quantization modes as `mx.quantize` does them (MLX 0.32.4, checked byte
/// for byte against its output: Tests/CheckpointsTests/Fixtures/make_mlx_fixtures.py) and
/// `mlx_lm` saves them: per group of `group` consecutive values of a row, scale = largest
/// magnitude / 6 (E2M1) or / 448 (E4M3), stored as the smallest E8M0 power of two ≥ it in groups
/// of 32 (mxfp4, mxfp8; MLX 0.29–0.30 rounded the exponent to nearest instead, which saturates
/// block maxima) or as the nearest F8_E4M3 in groups of 16 (nvfp4); each code is value / stored
/// scale rounded to the nearest code (ties to the even code), saturating at the largest, a negative
/// value rounded to zero keeping its sign. E2M1 codes are packed eight per little-endian U32 word
/// (two per byte, low nibble first), E4M3 codes four per word in byte order.
enum MLXFloatingPointEncoding {
    static func encode(_ values: [Float], codes: DType, group: Int) -> (words: [UInt8], scales: [UInt8]) {
        precondition(values.count % group == 0 && (codes == .f4 || codes == .f8E4M3))
        let largestCode: Float = codes == .f4 ? 6 : 448
        let e4m3 = EightBitTable.e4m3
        var scales = [UInt8](repeating: 0, count: values.count / group)
        var words = [UInt8](repeating: 0, count: codes == .f4 ? values.count / 2 : values.count)
        for block in scales.indices {
            let start = block * group
            let scale = values[start..<(start + group)].reduce(Float(0)) { $1.isFinite ? max($0, abs($1)) : $0 } / largestCode
            let stored: Float
            if group == 16 {
                scales[block] = e4m3.code(nearest: scale)
                stored = FloatBits.float8E4M3(scales[block])
            } else {
                let exponent = Self.exponentRoundedUp(scale)
                scales[block] = UInt8(exponent + 127)
                stored = Float(sign: .plus, exponent: exponent, significand: 1)
            }
            for index in start..<(start + group) {
                let scaled = stored > 0 && values[index].isFinite ? values[index] / stored : 0
                if codes == .f4 {
                    // MLX's `fp4_e2m1` keeps the sign of a value rounded to zero.
                    let code = NVFP4Encoding.nearestCode(scaled) | (scaled.sign == .minus ? 0x08 : 0)
                    words[index / 2] |= index % 2 == 0 ? code : code << 4
                } else {
                    words[index] = e4m3.code(nearest: scaled)
                }
            }
        }
        return (words, scales)
    }

    /// MLX's `mx_scale_round_up`: the exponent of log2(scale) rounded to nearest, plus one when
    /// that power of two is below `scale`, within E8M0's −127 … 127 (0 gives −127).
    static func exponentRoundedUp(_ scale: Float) -> Int {
        guard scale > 0 else { return -127 }
        var exponent = min(max(Int(log2(scale).rounded()), -127), 127)
        if exponent < 127, Float(sign: .plus, exponent: exponent, significand: 1) < scale { exponent += 1 }
        return exponent
    }
}
