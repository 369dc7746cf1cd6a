/// The scale factors of one weight, read from its companion tensor, applied to decoded values.
public struct ScaleFactors: Sendable {
    /// How the factors map onto the weight.
    public let scale: TensorScale
    /// The factors, block row by block row.
    public let factors: [Float]
    /// For zero-point (asymmetric) quantization, the term added after scaling, one per factor:
    /// factor × (centre − zero), where the decoded code is code − centre; `nil` when symmetric.
    public let offsets: [Float]?
    /// The factor row of each weight row (GPTQ's `g_idx`); `nil` when it is row / blockRows.
    public let rowGroups: [Int32]?
    /// The factor column of each weight column (compressed-tensors' `weight_g_idx`); `nil` when
    /// it is column / blockColumns.
    public let columnGroups: [Int32]?
    /// bitsandbytes' codebook: the value of each 4-bit code (decoded as code − 8) before scaling.
    public let codebook: [Float]?
    /// Squared cell widths of the codebook's entries (`cellWidths`), for `roundingEnergy`.
    private let codebookSteps: [Double]?
    private let columns: Int
    private let gridColumns: Int

    /// `factors` (and `offsets`) must hold one value per block of the weight of shape
    /// `weightShape`; `rowGroups`, when given, one factor row in `0 ..< factors.count / gridColumns` per weight row;
    /// `columnGroups`, when given, one factor column in `0 ..< gridColumns` per weight column.
    public init(
        scale: TensorScale, weightShape: [Int], factors: [Float], offsets: [Float]? = nil,
        rowGroups: [Int32]? = nil, columnGroups: [Int32]? = nil, codebook: [Float]? = nil
    ) {
        let (rows, columns) = TensorScale.matrixView(weightShape)
        self.scale = scale
        self.columns = max(columns, 1)
        let gridColumns = (columns + scale.blockColumns - 1) / max(scale.blockColumns, 1)
        self.gridColumns = gridColumns
        if let rowGroups {
            precondition(rowGroups.count == rows && rowGroups.allSatisfy { $0 >= 0 && Int($0) * gridColumns < factors.count }, "row groups outside the scale grid")
        } else {
            precondition(factors.count >= ((rows + scale.blockRows - 1) / max(scale.blockRows, 1)) * gridColumns, "scale grid too small")
        }
        precondition(columnGroups == nil || (columnGroups?.count == columns && columnGroups!.allSatisfy { $0 >= 0 && Int($0) < gridColumns }),
                     "column groups outside the scale grid")
        precondition(offsets == nil || offsets?.count == factors.count, "one offset per factor")
        self.factors = factors
        self.offsets = offsets
        self.rowGroups = rowGroups
        self.columnGroups = columnGroups
        precondition(codebook == nil || codebook?.count == 16, "a codebook of 16 values")
        self.codebook = codebook
        codebookSteps = codebook.map(Self.cellWidths)
    }

    /// Index of the first factor of a weight row.
    @inline(__always)
    private func factorRowStart(_ row: Int) -> Int {
        (rowGroups.map { Int($0[row]) } ?? row / scale.blockRows) * gridColumns
    }

    /// The factor of the element at (row, column).
    @inline(__always)
    public func factor(row: Int, column: Int) -> Float {
        factors[factorRowStart(row) + (columnGroups.map { Int($0[column]) } ?? column / scale.blockColumns)]
    }

    /// Whether every weight column has a factor column of its own, in order (GPTQ's and AWQ's
    /// group scales), so the factors of a row piece are consecutive.
    private var factorPerColumn: Bool { scale.blockColumns == 1 && columnGroups == nil }

    /// Calls `body(offset, count, factorIndex)` for each run of elements sharing one factor, for
    /// the `count` elements starting at element `firstElement` (row-major).
    @inline(__always)
    func forEachRun(firstElement: Int, count: Int, _ body: (Int, Int, Int) -> Void) {
        var offset = 0
        var row = firstElement / columns, column = firstElement % columns
        var rowStart = factorRowStart(row)
        if let columnGroups {
            // Activation-ordered groups: neighbouring columns rarely share a factor, so each element is a
            // run. A loop of its own: folded into the loop below it made such fingerprints 30 % slower.
            while offset < count {
                body(offset, 1, rowStart + Int(columnGroups[column]))
                offset += 1
                column += 1
                if column == columns {
                    column = 0
                    row += 1
                    if offset < count { rowStart = factorRowStart(row) }
                }
            }
            return
        }
        while offset < count {
            let run = min(count - offset, scale.blockColumns - column % scale.blockColumns, columns - column)
            body(offset, run, rowStart + column / scale.blockColumns)
            offset += run
            column += run
            if column == columns {
                column = 0
                row += 1
                if offset < count { rowStart = factorRowStart(row) }
            }
        }
    }

    /// Calls `body(offset, count, rowFactorStart, firstColumn)` for each piece of one row among
    /// the `count` elements starting at `firstElement`: when every column has its own factor
    /// (block width 1: GPTQ's and AWQ's group scales) the factors of a piece are consecutive from
    /// `rowFactorStart + firstColumn`; with activation-ordered column groups they are gathered
    /// from `rowFactorStart` through each column's group.
    @inline(__always)
    private func forEachRowPiece(firstElement: Int, count: Int, _ body: (Int, Int, Int, Int) -> Void) {
        var offset = 0
        var row = firstElement / columns, column = firstElement % columns
        while offset < count {
            let piece = min(count - offset, columns - column)
            body(offset, piece, factorRowStart(row), column)
            offset += piece
            column = 0
            row += 1
        }
    }

    /// Scales decoded values of elements `firstElement ..< firstElement + values.count` (and adds
    /// the zero-point offsets).
    public func apply(to values: UnsafeMutableBufferPointer<Float>, firstElement: Int) {
        guard let base = values.baseAddress else { return }
        if let codebook {
            // Codes (decoded as I4, code − 8) become their codebook values, then scale.
            let centre = DType.i4.codeOffset
            forEachRun(firstElement: firstElement, count: values.count) { offset, run, index in
                let target = base + offset, factor = factors[index]
                for element in 0..<run { target[element] = codebook[Int(target[element]) + centre] * factor }
            }
            return
        }
        if let columnGroups {
            applyGathered(columnGroups, to: base, count: values.count, firstElement: firstElement)
            return
        }
        factors.withUnsafeBufferPointer { factors in
            let factors = factors.baseAddress!
            if let offsets {
                offsets.withUnsafeBufferPointer { offsets in
                    let offsets = offsets.baseAddress!
                    if factorPerColumn {
                        forEachRowPiece(firstElement: firstElement, count: values.count) { offset, piece, rowStart, column in
                            let target = base + offset, f = factors + rowStart + column, o = offsets + rowStart + column
                            for index in 0..<piece { target[index] = target[index] * f[index] + o[index] }
                        }
                    } else {
                        forEachRun(firstElement: firstElement, count: values.count) { offset, run, index in
                            let target = base + offset, factor = factors[index], add = offsets[index]
                            for element in 0..<run { target[element] = target[element] * factor + add }
                        }
                    }
                }
            } else if factorPerColumn {
                forEachRowPiece(firstElement: firstElement, count: values.count) { offset, piece, rowStart, column in
                    let target = base + offset, f = factors + rowStart + column
                    for index in 0..<piece { target[index] *= f[index] }
                }
            } else {
                forEachRun(firstElement: firstElement, count: values.count) { offset, run, index in
                    let target = base + offset, factor = factors[index]
                    for element in 0..<run { target[element] *= factor }
                }
            }
        }
    }

    /// `apply` for activation-ordered column groups: each row piece gathers its factors (and
    /// offsets) through the group of each column — a loop of loads and multiplies instead of one
    /// run of one element per column (`forEachRun`); with the same gather in `roundingEnergy`, an
    /// activation-ordered W4A16 fingerprint took 15 % less time.
    private func applyGathered(_ columnGroups: [Int32], to base: UnsafeMutablePointer<Float>, count: Int, firstElement: Int) {
        columnGroups.withUnsafeBufferPointer { groups in
            factors.withUnsafeBufferPointer { factors in
                let groups = groups.baseAddress!, factors = factors.baseAddress!
                if let offsets {
                    offsets.withUnsafeBufferPointer { offsets in
                        let offsets = offsets.baseAddress!
                        forEachRowPiece(firstElement: firstElement, count: count) { offset, piece, rowStart, column in
                            let target = base + offset, group = groups + column, f = factors + rowStart, o = offsets + rowStart
                            for index in 0..<piece {
                                let k = Int(group[index])
                                target[index] = target[index] * f[k] + o[k]
                            }
                        }
                    }
                } else {
                    forEachRowPiece(firstElement: firstElement, count: count) { offset, piece, rowStart, column in
                        let target = base + offset, group = groups + column, f = factors + rowStart
                        for index in 0..<piece { target[index] *= f[Int(group[index])] }
                    }
                }
            }
        }
    }

    /// Σ (step × factor)² / 12 over the stored codes `raw` of elements starting at
    /// `firstElement`: the squared error rounding to this grid is expected to have added, where
    /// `step` is the spacing of the stored type at each code (1 for integers; for 8-bit floats
    /// the spacing of the code's binade). NaN and infinite codes count nothing.
    public func roundingEnergy(ofCodes raw: UnsafeRawBufferPointer, dtype: DType, firstElement: Int) -> Double {
        var total = 0.0
        // F4 (MXFP4, NVFP4) and I4 (packed INT4, GPTQ, AWQ) pack two codes per byte, low nibble first.
        let packed = dtype == .f4 || dtype == .i4
        let count = packed ? raw.count * 2 : raw.count
        if codebook == nil, dtype == .i8 || dtype == .u8 || dtype == .i4 {
            // Integer codes are one unit apart everywhere: Σ factor² over the elements.
            if factorPerColumn {
                // Runs of one element: each factor² added in element order, as the general rule does.
                forEachRowPiece(firstElement: firstElement, count: count) { _, piece, rowStart, column in
                    for index in (rowStart + column)..<(rowStart + column + piece) { total += Double(factors[index]) * Double(factors[index]) }
                }
            } else if let columnGroups {
                // Activation-ordered groups: each element's factor² in element order (as runs of one), gathered per row.
                columnGroups.withUnsafeBufferPointer { groups in
                    forEachRowPiece(firstElement: firstElement, count: count) { _, piece, rowStart, column in
                        for index in 0..<piece {
                            let factor = Double(factors[rowStart + Int(groups[column + index])])
                            total += factor * factor
                        }
                    }
                }
            } else {
                forEachRun(firstElement: firstElement, count: count) { _, run, index in
                    total += Double(run) * Double(factors[index]) * Double(factors[index])
                }
            }
            return total / 12
        }
        let steps = codebookSteps ?? (scale.dtype == .f8E8M0 ? ScaleFactors.microscaledStepTable(dtype) : ScaleFactors.stepTable(dtype))
        forEachRun(firstElement: firstElement, count: count) { offset, run, index in
            var sum = 0.0
            for element in offset..<(offset + run) {
                sum += packed ? steps[Int(raw[element >> 1] >> UInt8((element & 1) * 4)) & 0x0F] : steps[Int(raw[element])]
            }
            total += sum * Double(factors[index]) * Double(factors[index])
        }
        return total / 12
    }

    /// Squared width of the rounding cell of each codebook entry (half the distance between its
    /// neighbours in value order; at the ends, the distance to the one neighbour): nearest
    /// rounding to a non-uniform grid errs by about width²/12 there. Indexed by code.
    static func cellWidths(_ codebook: [Float]) -> [Double] {
        let order = codebook.indices.sorted { codebook[$0] < codebook[$1] }
        var squares = [Double](repeating: 0, count: codebook.count)
        for (rank, code) in order.enumerated() {
            let below = rank > 0 ? Double(codebook[order[rank - 1]]) : nil
            let above = rank + 1 < order.count ? Double(codebook[order[rank + 1]]) : nil
            let value = Double(codebook[code])
            let width = switch (below, above) {
            case let (below?, above?): (above - below) / 2
            case let (below?, nil): value - below
            case let (nil, above?): above - value
            case (nil, nil): 0.0
            }
            squares[code] = width * width
        }
        return squares
    }

    /// Squared spacing of the stored type at each 8-bit code (0 for NaN and infinities); for F4
    /// and I4, at each 4-bit code (the first 16 entries).
    static func stepTable(_ dtype: DType) -> [Double] {
        switch dtype {
        case .i8, .u8, .i4: ScaleTables.unit
        case .f8E5M2: ScaleTables.e5m2
        case .f8E4M3FNUZ: ScaleTables.e4m3fnuz
        case .f8E5M2FNUZ: ScaleTables.e5m2fnuz
        case .f4: ScaleTables.e2m1
        default: ScaleTables.e4m3
        }
    }

    /// `stepTable` for codes scaled by power-of-two (E8M0) block exponents, MXFP8: the exponent
    /// is chosen from the block's largest magnitude, and OCP's rule (⌊log2 max⌋ − 8) and MLX's
    /// (log2(max / 448) rounded to nearest) leave that magnitude up to 512 / 448 or √2 times the
    /// largest code, where it saturates — an error far beyond half a step (on the real MiniLM,
    /// 7.2× Σ step²/12 with MLX's rule). So the largest finite codes count the squared error of a
    /// value spread evenly from the midpoint below them to √2 × their magnitude (12 × E[(v − top)²]
    /// in the table's units). E2M1 codes need no such cell: their saturation stays within the
    /// ordinary allowance (1.03× Σ step²/12 with MLX 0.29–0.30's rule; `python3 eval/mx_rounding.py`).
    static func microscaledStepTable(_ dtype: DType) -> [Double] {
        switch dtype {
        case .f8E4M3: ScaleTables.e4m3Microscaled
        case .f8E5M2: ScaleTables.e5m2Microscaled
        default: stepTable(dtype)
        }
    }

    /// Whether values of this dtype can be stored with companion scale factors.
    public static func isScalable(_ dtype: DType) -> Bool {
        [.f8E4M3, .f8E5M2, .f8E4M3FNUZ, .f8E5M2FNUZ, .i8].contains(dtype)
    }
}

/// Squared code spacings, built once from the formats' bit layouts.
private enum ScaleTables {
    static let unit = [Double](repeating: 1, count: 256)
    static let e4m3 = table(exponentBits: 4, mantissaBits: 3, bias: 7, isSpecial: { $0 & 0x7F == 0x7F })
    static let e5m2 = table(exponentBits: 5, mantissaBits: 2, bias: 15, isSpecial: { $0 & 0x7C == 0x7C })
    static let e4m3fnuz = table(exponentBits: 4, mantissaBits: 3, bias: 8, isSpecial: { $0 == 0x80 })
    static let e5m2fnuz = table(exponentBits: 5, mantissaBits: 2, bias: 16, isSpecial: { $0 == 0x80 })
    /// E2M1 (0, 0.5 … 6): spacing 0.5 up to 2, then 1, then 2; indexed by the 4-bit code.
    static let e2m1 = table(exponentBits: 2, mantissaBits: 1, bias: 1, isSpecial: { $0 > 0x0F })
    /// E4M3 and E5M2 under E8M0 block exponents: the largest finite codes (±448, ±57344) get the
    /// saturation cell (`ScaleFactors.microscaledStepTable`).
    static let e4m3Microscaled = saturating(e4m3, top: 448, below: 416, codes: [0x7E, 0xFE])
    static let e5m2Microscaled = saturating(e5m2, top: 57344, below: 49152, codes: [0x7B, 0xFB])

    /// `table` with `codes` (magnitude `top`, next magnitude down `below`) given 12 × the mean
    /// squared error of a value spread evenly over [(below + top) / 2, √2 · top], rounded to `top`.
    static func saturating(_ table: [Double], top: Double, below: Double, codes: [UInt8]) -> [Double] {
        let low = (below + top) / 2, high = top * 2.0.squareRoot()
        let meanSquare = ((high - top) * (high - top) * (high - top) + (top - low) * (top - low) * (top - low)) / (3 * (high - low))
        var table = table
        for code in codes { table[Int(code)] = 12 * meanSquare }
        return table
    }

    /// Spacing at a code: 2^(max(e, 1) − bias − mantissaBits), so subnormals and zero share
    /// the smallest normal binade's spacing.
    static func table(exponentBits: Int, mantissaBits: Int, bias: Int, isSpecial: (UInt8) -> Bool) -> [Double] {
        (0..<256).map { code in
            let byte = UInt8(code)
            if isSpecial(byte) { return 0 }
            let exponent = Int(byte >> mantissaBits) & ((1 << exponentBits) - 1)
            let step = Double(sign: .plus, exponent: max(exponent, 1) - bias - mantissaBits, significand: 1)
            return step * step
        }
    }
}
