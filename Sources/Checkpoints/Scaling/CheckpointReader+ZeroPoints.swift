// MARK: - Zero points and group indices of GPTQ and AWQ weights

extension CheckpointReader {
    /// The term each factor's block adds after scaling, factor × (centre − zero), from the zero
    /// points: `(code − centre) × factor + offset` is then `(code − zero) × factor`, where
    /// `centre` is what decoding `codes` subtracts (8 for I4, 0 for U8 and I8). A signed zero
    /// (compressed-tensors' I8 zero points) is a code once the code of value zero is added:
    /// `codeCentre` when the scaling states one, else `centre`.
    func zeroPointOffsets(_ zeroPoints: TensorScale.ZeroPoints, factors: [Float], codes: DType, codeCentre: Int?) throws(CheckpointError) -> [Float] {
        let stored = zeroPoints.location.tensor
        let bytes = try files[stored.fileIndex].storedBytes(of: stored)
        let perWord = 32 / zeroPoints.bits, mask = UInt32(1 << zeroPoints.bits) - 1
        let centre = codes.codeOffset
        var offsets = [Float](repeating: 0, count: factors.count)
        bytes.withUnsafeBytes { raw in
            func word(_ index: Int) -> UInt32 { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)) }
            switch zeroPoints.storage {
            case .columnWords:
                let wordsPerRow = stored.shape.last ?? 1
                let columns = wordsPerRow * 32 / zeroPoints.bits
                let extra = zeroPoints.storedMinusOne ? 1 : 0
                for index in offsets.indices {
                    let row = index / columns, column = index % columns
                    let field: UInt32
                    if zeroPoints.order == .awq {
                        // AWQ interleaves: column m of each eight sits in nibble awqNibble[m].
                        field = (word(row * wordsPerRow + column / perWord) >> UInt32(zeroPoints.bits * CodePacking.awqNibble[column % perWord])) & mask
                    } else {
                        // GPTQ: each group's row of zeros is one bit stream (3-bit zeros straddle words).
                        field = CodePacking.streamField(column, bits: zeroPoints.bits) { word(row * wordsPerRow + $0) }
                    }
                    offsets[index] = factors[index] * Float(centre - (Int(field) + extra))
                }
            case .rowWords:
                let columns = max(stored.shape.last ?? 1, 1)
                for index in offsets.indices {
                    let row = index / columns, column = index % columns
                    let zero = Int((word((row / perWord) * columns + column) >> UInt32(zeroPoints.bits * (row % perWord))) & mask)
                    offsets[index] = factors[index] * Float(centre - zero)
                }
            case .rowStream:
                let columns = max(stored.shape.last ?? 1, 1)
                for index in offsets.indices {
                    let row = index / columns, column = index % columns
                    let zero = Int(CodePacking.streamField(row, bits: zeroPoints.bits) { word($0 * columns + column) })
                    offsets[index] = factors[index] * Float(centre - zero)
                }
            case .signedBytes:
                let zeroCode = codeCentre ?? centre
                for index in offsets.indices {
                    let zero = Int(Int8(bitPattern: raw[index])) + zeroCode
                    offsets[index] = factors[index] * Float(centre - zero)
                }
            }
        }
        return offsets
    }

    /// A group index (GPTQ's `g_idx` of the weight rows, compressed-tensors' `weight_g_idx` of
    /// its columns): one group per row or column, each checked to lie in `0 ..< groups`.
    func groupIndices(
        _ groupIndex: TensorLocation, of weight: TensorInfo, groups: Int, axis: String, file: String,
        rule: (_ companion: String, _ reason: String) -> CheckpointError.Rule
    ) throws(CheckpointError) -> [Int32] {
        let stored = groupIndex.tensor
        let values = ScalePairing.integers(try files[stored.fileIndex].storedBytes(of: stored), dtype: stored.dtype)
        var indices = [Int32](repeating: 0, count: stored.elementCount)
        for position in indices.indices {
            let group = values[position]
            guard group >= 0, group < groups else {
                throw CheckpointError(file: file, tensor: weight.name, rule: rule(
                    stored.name, "gives \(axis) \(position) the group \(group), outside the \(groups) groups of scales"))
            }
            indices[position] = Int32(group)
        }
        return indices
    }
}
