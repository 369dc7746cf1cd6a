/// How 4- or 8-bit codes are packed in a GPTQ or AWQ `qweight` (32-bit words) or a bitsandbytes
/// weight (bytes), which the reader unpacks into row-major codes while delivering the tensor
/// (like `RowPermutation`).
///
/// GPTQ and AWQ store the transposed linear weight, `[K, N]` (input features by output
/// features), as `I32` words of `32 / bits` codes, the first in the lowest bits:
/// - GPTQ (AutoGPTQ, GPTQModel, transformers' `gptq`): `qweight` `[K·bits/32, N]`; word (r, j)
///   holds the codes of rows `r·w …< (r+1)·w` of column j (w = 32/bits codes per word: 16, 8
///   or 4 at 2, 4 or 8 bits). At 3 bits each column's 32 rows fill three words as one
///   little-endian bit stream (row i at bits 3i …< 3i+3 of w0 | w1 << 32 | w2 << 64: rows 10
///   and 21 straddle two words), AutoGPTQ's `pack` for `bits == 3`.
/// - AWQ (AutoAWQ's GEMM layout): `qweight` `[K, N·bits/32]`; word (i, c) holds columns
///   `8c …< 8c+8` of row i with nibble k holding column `8c + [0, 2, 4, 6, 1, 3, 5, 7][k]`.
///
/// - bitsandbytes 4-bit (NF4, FP4): the weight `[N, K]` itself, flattened, two codes per byte,
///   the first in the **high** nibble; each code indexes the file's 16-value `quant_map`.
/// - MLX's 2-, 3-, 5- and 6-bit affine codes: the weight `[N, K]`, each row a little-endian
///   bit stream of K codes, the first in the lowest bits (`mx.quantize`'s packing).
/// - compressed-tensors' `pack-quantized` codes of 2, 3, 5, 6 and 7 bits: the weight `[R, C]`,
///   each row ⌈C / w⌉ words of w = ⌊32 / bits⌋ codes, the first in the lowest bits, the top
///   32 − w·bits bits of each word unused and the last word padded (`pack_to_int32` of
///   compressed-tensors 0.17); since 0.18 each row is ⌈C·bits / 32⌉ words of one dense
///   little-endian bit stream, codes straddling words (`pack-quantized-dense-…`; 2, 4 and 8 bits
///   are the same either way, and 4 and 8 need no unpacking: their rows are I4's and U8's bytes).
///
/// The delivered bytes are the codes row-major in the weight's logical dtype (`I4`, two per
/// byte, low nibble first; `U8` for 2-, 3- and 8-bit GPTQ, MLX's odd widths and compressed-tensors'). A stored
/// band becomes `deliveredBandBytes` of delivered rows: as many bytes, except for the widths
/// below 4 bits and MLX's below 8, whose one-code-per-byte rows are longer than their stored
/// bit streams.
public struct CodePacking: Sendable, Hashable, Codable {
    public enum Order: String, Sendable, Hashable, Codable {
        /// GPTQ at 4 or 8 bits (the dtype tells: I4 or U8): consecutive rows of one column in a word.
        case gptq
        /// GPTQ at 2 bits (16 rows per word) and 3 bits (32 rows per three words, a bit stream).
        case gptq2 = "gptq-2bit", gptq3 = "gptq-3bit"
        /// AWQ: eight columns of one row in a word, interleaved.
        case awq
        /// bitsandbytes NF4 / FP4: codebook indices, high nibble first.
        case bitsandbytesNF4 = "bitsandbytes-nf4"
        case bitsandbytesFP4 = "bitsandbytes-fp4"
        /// MLX: a bit stream per row, the first code in the lowest bits (2, 3, 5 or 6 bits).
        case mlx2 = "mlx-2bit", mlx3 = "mlx-3bit", mlx5 = "mlx-5bit", mlx6 = "mlx-6bit"
        /// compressed-tensors' pack-quantized: ⌊32 / bits⌋ codes per word along each row.
        case packQuantized2 = "pack-quantized-2bit", packQuantized3 = "pack-quantized-3bit", packQuantized5 = "pack-quantized-5bit"
        case packQuantized6 = "pack-quantized-6bit", packQuantized7 = "pack-quantized-7bit"
        /// compressed-tensors' pack-quantized since 0.18: each row one dense bit stream (3, 5, 6 or 7 bits).
        case packQuantizedDense3 = "pack-quantized-dense-3bit", packQuantizedDense5 = "pack-quantized-dense-5bit"
        case packQuantizedDense6 = "pack-quantized-dense-6bit", packQuantizedDense7 = "pack-quantized-dense-7bit"

        /// compressed-tensors' order for `bits` (2, 3, 5, 6 or 7; dense rows at 3, 5, 6 and 7
        /// when `dense`), else `nil`.
        public static func packQuantized(bits: Int, dense: Bool = false) -> Order? {
            (dense ? Order(rawValue: "pack-quantized-dense-\(bits)bit") : nil) ?? Order(rawValue: "pack-quantized-\(bits)bit")
        }

        /// The code width of a compressed-tensors order, else `nil`.
        public var packQuantizedBits: Int? {
            switch self {
            case .packQuantized2: 2
            case .packQuantized3, .packQuantizedDense3: 3
            case .packQuantized5, .packQuantizedDense5: 5
            case .packQuantized6, .packQuantizedDense6: 6
            case .packQuantized7, .packQuantizedDense7: 7
            default: nil
            }
        }

        /// Whether each row is one dense bit stream of codes (compressed-tensors ≥ 0.18's odd widths).
        public var isDensePackQuantized: Bool {
            self == .packQuantizedDense3 || self == .packQuantizedDense5 || self == .packQuantizedDense6 || self == .packQuantizedDense7
        }

        /// MLX's bit-stream order for `bits` (2, 3, 5 or 6), else `nil`.
        public static func mlx(bits: Int) -> Order? { Order(rawValue: "mlx-\(bits)bit") }

        /// The code width of an MLX bit-stream order, else `nil`.
        public var mlxBits: Int? {
            switch self {
            case .mlx2: 2
            case .mlx3: 3
            case .mlx5: 5
            case .mlx6: 6
            default: nil
            }
        }

        /// GPTQ's order for `bits` (2, 3, 4 or 8), else `nil`.
        public static func gptq(bits: Int) -> Order? {
            switch bits {
            case 2: .gptq2
            case 3: .gptq3
            case 4, 8: .gptq
            default: nil
            }
        }

        /// Whether this is one of GPTQ's orders (codes packed down the columns of `[K, N]`).
        public var isGPTQ: Bool { self == .gptq || self == .gptq2 || self == .gptq3 }

        /// The code width an order states itself (MLX's and GPTQ's narrow orders); `nil` where the
        /// weight's dtype tells it (I4: 4 bits, U8: 8).
        public var statedBits: Int? {
            switch self {
            case .gptq2: 2
            case .gptq3: 3
            default: mlxBits ?? packQuantizedBits
            }
        }

        /// Whether the codes index a codebook (bitsandbytes) rather than being integers.
        public var isBitsAndBytes: Bool { self == .bitsandbytesNF4 || self == .bitsandbytesFP4 }

        /// The format as people name it: `GPTQ`, `AWQ`, `bitsandbytes NF4`, `bitsandbytes FP4`, `MLX`, `compressed-tensors`.
        public var formatName: String {
            switch self {
            case .gptq, .gptq2, .gptq3: "GPTQ"
            case .awq: "AWQ"
            case .bitsandbytesNF4: "bitsandbytes NF4"
            case .bitsandbytesFP4: "bitsandbytes FP4"
            case .mlx2, .mlx3, .mlx5, .mlx6: "MLX"
            case .packQuantized2, .packQuantized3, .packQuantized5, .packQuantized6, .packQuantized7,
                 .packQuantizedDense3, .packQuantizedDense5, .packQuantizedDense6, .packQuantizedDense7: "compressed-tensors"
            }
        }
    }

    public var order: Order
    /// Bits per code: 4, or 2, 3 or 8 (GPTQ only), or MLX's 2, 3, 5 or 6, or compressed-tensors' 2, 3, 5, 6 or 7.
    public var bits: Int
    /// Columns of the delivered weight (N of GPTQ's and AWQ's `[K, N]`, K of bitsandbytes' and MLX's `[N, K]`, C of compressed-tensors' `[R, C]`).
    public var columns: Int

    public init(order: Order, bits: Int, columns: Int) {
        if let streamBits = order.mlxBits {
            precondition(bits == streamBits && columns > 0 && (columns * bits) % 32 == 0, "CodePacking: MLX rows of whole 32-bit words")
        } else if let packedBits = order.packQuantizedBits {
            precondition(bits == packedBits && columns > 0, "CodePacking: compressed-tensors widths of 2, 3, 5, 6 or 7 bits")
        } else if let narrowBits = order.statedBits {
            precondition(bits == narrowBits && columns > 0 && (columns * bits) % 32 == 0, "CodePacking: GPTQ zero points in whole words per row")
        } else {
            precondition(bits == 4 || bits == 8, "CodePacking: 4 or 8 bits")
            precondition(order == .gptq || bits == 4, "CodePacking: AWQ and bitsandbytes pack 4-bit codes")
            precondition(columns > 0 && columns % (order.isBitsAndBytes ? 2 : 32 / bits) == 0,
                         "CodePacking: whole words of zero points per row (N a multiple of 32/bits), whole bytes for bitsandbytes")
        }
        self.order = order
        self.bits = bits
        self.columns = columns
    }

    /// AWQ's nibble order (nibble k of a word holds column [0, 2, 4, 6, 1, 3, 5, 7][k] of its
    /// eight): column m sits in nibble `awqNibble[m]`.
    public static let awqNibble = [0, 4, 1, 5, 2, 6, 3, 7]

    /// Stored bytes that unpack on their own into whole delivered bytes: one packed row of
    /// GPTQ (`4·N`, the codes of `32/bits` rows; three packed rows at 3 bits), one word of AWQ,
    /// one byte of bitsandbytes, one row's bit stream of MLX.
    public var bandBytes: Int {
        if order.mlxBits != nil { return columns * bits / 8 }
        if order.isDensePackQuantized { return 4 * ((columns * bits + 31) / 32) }
        if order.packQuantizedBits != nil { return 4 * ((columns + codesPerWord - 1) / codesPerWord) }
        if order.isGPTQ { return 4 * columns * packedRowsPerBand }
        return order.isBitsAndBytes ? 1 : 4
    }

    /// The delivered bytes one stored band becomes: `bandBytes`, except where codes narrower than
    /// 4 bits (or MLX's odd widths) are delivered one per byte.
    public var deliveredBandBytes: Int {
        if order.mlxBits != nil || order.packQuantizedBits != nil { return columns }
        if order == .gptq2 || order == .gptq3 { return rowsPerBand * columns }
        return bandBytes
    }

    /// compressed-tensors: the codes one word holds.
    var codesPerWord: Int { 32 / bits }

    /// GPTQ: the packed rows whose words hold whole codes of every column (three at 3 bits, else one).
    var packedRowsPerBand: Int { order == .gptq3 ? 3 : 1 }

    /// GPTQ: the delivered rows one band of packed rows holds (`32 · packedRowsPerBand / bits`).
    var rowsPerBand: Int { 32 * packedRowsPerBand / bits }

    /// Field `index` of a little-endian stream of `bits`-bit fields over 32-bit words (`word(k)`
    /// the k-th word): a field may straddle two words (3-bit GPTQ's rows 10 and 21 of each 32).
    @inline(__always)
    static func streamField(_ index: Int, bits: Int, word: (Int) -> UInt32) -> UInt32 {
        let position = index * bits, shift = UInt32(position & 31)
        var field = word(position >> 5) >> shift
        if Int(shift) + bits > 32 { field |= word((position >> 5) + 1) << (32 - shift) }
        return field & (UInt32(1) << UInt32(bits) &- 1)
    }

    /// The four nibbles of the low 16 bits moved to the even nibble positions (nibble k to 2k),
    /// zeros between: with the high half's moved to the odd ones, AWQ's order undone.
    @inline(__always)
    static func spreadNibbles(_ value: UInt32) -> UInt32 {
        var x = value & 0xFFFF
        x = (x | x << 8) & 0x00FF_00FF
        return (x | x << 4) & 0x0F0F_0F0F
    }

    /// Transposes the 8 × 8 matrix of nibbles whose row r is word r (nibble c = column c): swap
    /// the off-diagonal 4 × 4 blocks, then 2 × 2 blocks, then single nibbles.
    @inline(__always)
    static func transposeNibbles(_ m: inout (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32)) {
        @inline(__always) func swap(_ a: inout UInt32, _ b: inout UInt32, shift: UInt32, mask: UInt32) {
            let t = ((a >> shift) ^ b) & mask
            b ^= t
            a ^= t << shift
        }
        swap(&m.0, &m.4, shift: 16, mask: 0x0000_FFFF); swap(&m.1, &m.5, shift: 16, mask: 0x0000_FFFF)
        swap(&m.2, &m.6, shift: 16, mask: 0x0000_FFFF); swap(&m.3, &m.7, shift: 16, mask: 0x0000_FFFF)
        swap(&m.0, &m.2, shift: 8, mask: 0x00FF_00FF); swap(&m.1, &m.3, shift: 8, mask: 0x00FF_00FF)
        swap(&m.4, &m.6, shift: 8, mask: 0x00FF_00FF); swap(&m.5, &m.7, shift: 8, mask: 0x00FF_00FF)
        swap(&m.0, &m.1, shift: 4, mask: 0x0F0F_0F0F); swap(&m.2, &m.3, shift: 4, mask: 0x0F0F_0F0F)
        swap(&m.4, &m.5, shift: 4, mask: 0x0F0F_0F0F); swap(&m.6, &m.7, shift: 4, mask: 0x0F0F_0F0F)
    }

    /// Unpacks whole bands of stored words (`stored.count` a multiple of `bandBytes`) into
    /// `deliveredBandBytes` per band.
    public func unpack(_ stored: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) {
        precondition(stored.count % bandBytes == 0 && output.count >= stored.count / bandBytes * deliveredBandBytes, "CodePacking: whole bands")
        guard let source = stored.baseAddress, let target = output.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        let words = stored.count / 4
        func word(_ index: Int) -> UInt32 { UInt32(littleEndian: source.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)) }
        switch (order, bits) {
        case (.mlx2, _), (.mlx3, _), (.mlx5, _), (.mlx6, _),
             (.packQuantizedDense3, _), (.packQuantizedDense5, _), (.packQuantizedDense6, _), (.packQuantizedDense7, _):
            // Each row a little-endian bit stream (compressed-tensors' rows padded to whole words):
            // code i in bits i·b ..< (i+1)·b. One unaligned
            // 64-bit load per code while eight bytes remain in the row, byte by byte after that.
            let bytes = source.assumingMemoryBound(to: UInt8.self), mask = UInt64(1 << bits) - 1
            let fastColumns = max(0, ((bandBytes - 8) * 8) / bits)
            for row in 0..<(stored.count / bandBytes) {
                let input = UnsafeRawPointer(bytes + row * bandBytes), out = target + row * columns
                for column in 0..<min(fastColumns, columns) {
                    let position = column * bits
                    let window = UInt64(littleEndian: input.loadUnaligned(fromByteOffset: position >> 3, as: UInt64.self))
                    out[column] = UInt8(truncatingIfNeeded: (window >> UInt64(position & 7)) & mask)
                }
                for column in min(fastColumns, columns)..<columns {
                    let position = column * bits
                    var window: UInt64 = 0
                    for byte in 0..<min(2, bandBytes - (position >> 3)) {
                        window |= UInt64(input.load(fromByteOffset: (position >> 3) + byte, as: UInt8.self)) << UInt64(8 * byte)
                    }
                    out[column] = UInt8(truncatingIfNeeded: (window >> UInt64(position & 7)) & mask)
                }
            }
        case (.packQuantized2, _), (.packQuantized3, _), (.packQuantized5, _), (.packQuantized6, _), (.packQuantized7, _):
            // Each row ⌈C / w⌉ words; column c in word c / w at bits·(c % w).
            let perWord = codesPerWord, mask = UInt32(1) << UInt32(bits) &- 1, wordsPerRow = bandBytes / 4
            for row in 0..<(words / wordsPerRow) {
                let out = target + row * columns
                for column in 0..<columns {
                    out[column] = UInt8(truncatingIfNeeded: (word(row * wordsPerRow + column / perWord) >> UInt32(bits * (column % perWord))) & mask)
                }
            }
        case (.bitsandbytesNF4, _), (.bitsandbytesFP4, _):
            let bytes = source.assumingMemoryBound(to: UInt8.self)
            for index in 0..<stored.count { target[index] = bytes[index] << 4 | bytes[index] >> 4 }
        case (.awq, _):
            for index in 0..<words {
                let stored = word(index)
                UnsafeMutableRawPointer(target).storeBytes(of: (Self.spreadNibbles(stored) | Self.spreadNibbles(stored >> 16) << 4).littleEndian,
                                                           toByteOffset: index * 4, as: UInt32.self)
            }
        case (.gptq2, _), (.gptq3, _):
            // Band: `packedRowsPerBand` rows of N words → `rowsPerBand` rows of N codes, one per
            // byte; each column's words of the band are one bit stream.
            let packedRows = packedRowsPerBand, rowsPerBand = rowsPerBand
            for band in 0..<(words / (packedRows * columns)) {
                let first = band * packedRows * columns, out = target + band * rowsPerBand * columns
                for column in 0..<columns {
                    for row in 0..<rowsPerBand {
                        out[row * columns + column] = UInt8(truncatingIfNeeded: Self.streamField(row, bits: bits) { word(first + $0 * columns + column) })
                    }
                }
            }
        case (.gptq, 4):
            // Band: N words → 8 rows of N codes (N/2 bytes each). Eight columns' words are an 8 × 8
            // matrix of nibbles (word = column, nibble = row); its transpose is 8 rows of 8 codes.
            let rowBytes = columns / 2
            for band in 0..<(words / columns) {
                let first = band * columns, out = UnsafeMutableRawPointer(target + band * 4 * columns)
                for column in stride(from: 0, to: columns, by: 8) {
                    var m = (word(first + column), word(first + column + 1), word(first + column + 2), word(first + column + 3),
                             word(first + column + 4), word(first + column + 5), word(first + column + 6), word(first + column + 7))
                    Self.transposeNibbles(&m)
                    let offset = column / 2
                    out.storeBytes(of: m.0.littleEndian, toByteOffset: offset, as: UInt32.self)
                    out.storeBytes(of: m.1.littleEndian, toByteOffset: rowBytes + offset, as: UInt32.self)
                    out.storeBytes(of: m.2.littleEndian, toByteOffset: 2 * rowBytes + offset, as: UInt32.self)
                    out.storeBytes(of: m.3.littleEndian, toByteOffset: 3 * rowBytes + offset, as: UInt32.self)
                    out.storeBytes(of: m.4.littleEndian, toByteOffset: 4 * rowBytes + offset, as: UInt32.self)
                    out.storeBytes(of: m.5.littleEndian, toByteOffset: 5 * rowBytes + offset, as: UInt32.self)
                    out.storeBytes(of: m.6.littleEndian, toByteOffset: 6 * rowBytes + offset, as: UInt32.self)
                    out.storeBytes(of: m.7.littleEndian, toByteOffset: 7 * rowBytes + offset, as: UInt32.self)
                }
            }
        default:
            // 8-bit GPTQ: band of N words → 4 rows of N bytes.
            for band in 0..<(words / columns) {
                let first = band * columns, out = target + band * 4 * columns
                for column in 0..<columns {
                    let stored = word(first + column)
                    for k in 0..<4 { out[k * columns + column] = UInt8(truncatingIfNeeded: stored >> UInt32(8 * k)) }
                }
            }
        }
    }
}
