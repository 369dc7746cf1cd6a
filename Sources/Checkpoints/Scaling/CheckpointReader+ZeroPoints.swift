// MARK: - Zero points and group indices of GPTQ and AWQ weights

extension CheckpointReader {
    /// The term each factor's block adds after scaling, factor × (centre − zero), from packed
    /// zero points: `(code − centre) × factor + offset` is then `(code − zero) × factor`, where
    /// `centre` is what decoding `codes` subtracts (8 for I4, 0 for U8).
    func zeroPointOffsets(_ zeroPoints: TensorScale.ZeroPoints, factors: [Float], codes: DType) throws(CheckpointError) -> [Float] {
        let stored = zeroPoints.location.tensor
        let bytes = try files[stored.fileIndex].storedBytes(of: stored)
        let perWord = 32 / zeroPoints.bits, mask = UInt32(1 << zeroPoints.bits) - 1
        let wordsPerRow = stored.shape.last ?? 1
        let columns = wordsPerRow * perWord
        // Position within its word of column n % perWord (AWQ interleaves: column m sits in nibble awqNibble[m]).
        let position = zeroPoints.order == .awq ? CodePacking.awqNibble : Array(0..<perWord)
        let centre = codes.codeOffset
        let extra = zeroPoints.storedMinusOne ? 1 : 0
        var offsets = [Float](repeating: 0, count: factors.count)
        bytes.withUnsafeBytes { raw in
            for index in offsets.indices {
                let row = index / columns, column = index % columns
                let word = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: (row * wordsPerRow + column / perWord) * 4, as: UInt32.self))
                let zero = Int((word >> UInt32(zeroPoints.bits * position[column % perWord])) & mask) + extra
                offsets[index] = factors[index] * Float(centre - zero)
            }
        }
        return offsets
    }

    /// GPTQ's `g_idx`: the factor row of each weight row, each checked to lie in `0 ..< groups`.
    func rowGroups(_ groupIndex: TensorLocation, of weight: TensorInfo, groups: Int, file: String) throws(CheckpointError) -> [Int32] {
        let stored = groupIndex.tensor
        let bytes = try files[stored.fileIndex].storedBytes(of: stored)
        let width = stored.dtype == .i64 ? 8 : 4
        var rowGroups = [Int32](repeating: 0, count: stored.elementCount)
        for row in rowGroups.indices {
            let group = bytes.withUnsafeBytes { raw in
                width == 8 ? Int64(littleEndian: raw.loadUnaligned(fromByteOffset: row * 8, as: Int64.self))
                    : Int64(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: row * 4, as: Int32.self)))
            }
            guard group >= 0, group < groups else {
                throw CheckpointError(file: file, tensor: weight.name, rule: .zeroPointLayout(
                    companion: stored.name, reason: "gives row \(row) the group \(group), outside the \(groups) groups of scales"))
            }
            rowGroups[row] = Int32(group)
        }
        return rowGroups
    }
}
