/// How integer codes are packed into the 32-bit words of a GPTQ or AWQ `qweight`, which the
/// reader unpacks into row-major codes while delivering the tensor (like `RowPermutation`).
///
/// Both formats store the transposed linear weight, `[K, N]` (input features by output
/// features), as `I32` words of `32 / bits` codes, the first in the lowest bits:
/// - GPTQ (AutoGPTQ, GPTQModel, transformers' `gptq`): `qweight` `[K·bits/32, N]`; word (r, j)
///   holds the codes of rows `r·w …< (r+1)·w` of column j (w = 32/bits codes per word).
/// - AWQ (AutoAWQ's GEMM layout): `qweight` `[K, N·bits/32]`; word (i, c) holds columns
///   `8c …< 8c+8` of row i with nibble k holding column `8c + [0, 2, 4, 6, 1, 3, 5, 7][k]`.
///
/// The delivered bytes are the codes row-major in the weight's logical dtype (`I4`, two per
/// byte, low nibble first; `U8` for 8-bit GPTQ), so a stored band of words becomes the same
/// number of bytes of delivered rows.
public struct CodePacking: Sendable, Hashable, Codable {
    public enum Order: String, Sendable, Hashable, Codable {
        /// GPTQ: consecutive rows of one column in a word.
        case gptq
        /// AWQ: eight columns of one row in a word, interleaved.
        case awq
    }

    public var order: Order
    /// Bits per code: 4 (GPTQ, AWQ) or 8 (GPTQ).
    public var bits: Int
    /// Columns N of the delivered `[K, N]` weight.
    public var columns: Int

    public init(order: Order, bits: Int, columns: Int) {
        precondition(bits == 4 || bits == 8, "CodePacking: 4 or 8 bits")
        precondition(order == .gptq || (bits == 4 && columns % 8 == 0), "CodePacking: AWQ packs 8 columns of 4 bits per word")
        precondition(columns > 0 && columns % 2 == 0, "CodePacking: an even number of columns")
        self.order = order
        self.bits = bits
        self.columns = columns
    }

    /// AWQ's nibble order: nibble k of a word holds column `awqColumn[k]` of its eight.
    public static let awqColumn = [0, 2, 4, 6, 1, 3, 5, 7]
    /// The inverse: column m of the eight sits in nibble `awqNibble[m]`.
    public static let awqNibble = [0, 4, 1, 5, 2, 6, 3, 7]

    /// Stored bytes that unpack on their own into whole delivered bytes: one packed row of
    /// GPTQ (`4·N`, the codes of `32/bits` rows), one word of AWQ.
    public var bandBytes: Int { order == .gptq ? 4 * columns : 4 }

    /// Unpacks whole bands of stored words (`stored.count` a multiple of `bandBytes`) into the
    /// same number of delivered bytes.
    public func unpack(_ stored: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) {
        precondition(stored.count % bandBytes == 0 && output.count >= stored.count, "CodePacking: whole bands")
        guard let source = stored.baseAddress, let target = output.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        let words = stored.count / 4
        func word(_ index: Int) -> UInt32 { UInt32(littleEndian: source.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)) }
        switch (order, bits) {
        case (.awq, _):
            for index in 0..<words {
                let stored = word(index)
                var unpacked: UInt32 = 0
                for k in 0..<8 { unpacked |= ((stored >> UInt32(4 * k)) & 0xF) << UInt32(4 * Self.awqColumn[k]) }
                UnsafeMutableRawPointer(target).storeBytes(of: unpacked.littleEndian, toByteOffset: index * 4, as: UInt32.self)
            }
        case (.gptq, 4):
            // Band: N words → 8 rows of N codes (N/2 bytes each); two columns make one byte.
            let rowBytes = columns / 2
            for band in 0..<(words / columns) {
                let first = band * columns, out = target + band * 4 * columns
                for column in stride(from: 0, to: columns, by: 2) {
                    let low = word(first + column), high = word(first + column + 1)
                    for k in 0..<8 {
                        let shift = UInt32(4 * k)
                        out[k * rowBytes + column / 2] = UInt8((low >> shift) & 0xF) | UInt8((high >> shift) & 0xF) << 4
                    }
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
