/// The scale factors of one weight, read from its companion tensor, applied to decoded values.
public struct ScaleFactors: Sendable {
    /// How the factors map onto the weight.
    public let scale: TensorScale
    /// The factors, block row by block row.
    public let factors: [Float]
    private let columns: Int
    private let gridColumns: Int

    /// `factors` must hold one value per block of the weight of shape `weightShape`.
    public init(scale: TensorScale, weightShape: [Int], factors: [Float]) {
        let (rows, columns) = TensorScale.matrixView(weightShape)
        self.scale = scale
        self.columns = max(columns, 1)
        gridColumns = (columns + scale.blockColumns - 1) / max(scale.blockColumns, 1)
        precondition(factors.count >= ((rows + scale.blockRows - 1) / max(scale.blockRows, 1)) * gridColumns, "scale grid too small")
        self.factors = factors
    }

    /// The factor of the element at (row, column).
    @inline(__always)
    public func factor(row: Int, column: Int) -> Float {
        factors[(row / scale.blockRows) * gridColumns + column / scale.blockColumns]
    }

    /// Calls `body(offset, count, factor)` for each run of elements sharing one factor, for
    /// the `count` elements starting at element `firstElement` (row-major).
    @inline(__always)
    func forEachRun(firstElement: Int, count: Int, _ body: (Int, Int, Float) -> Void) {
        var offset = 0
        var row = firstElement / columns, column = firstElement % columns
        while offset < count {
            let run = min(count - offset, scale.blockColumns - column % scale.blockColumns, columns - column)
            body(offset, run, factor(row: row, column: column))
            offset += run
            column += run
            if column == columns { column = 0; row += 1 }
        }
    }

    /// Multiplies decoded values of elements `firstElement ..< firstElement + values.count` by their factors.
    public func apply(to values: UnsafeMutableBufferPointer<Float>, firstElement: Int) {
        guard let base = values.baseAddress else { return }
        forEachRun(firstElement: firstElement, count: values.count) { offset, run, factor in
            let target = base + offset
            for index in 0..<run { target[index] *= factor }
        }
    }

    /// Σ (step × factor)² / 12 over the stored codes `raw` of elements starting at
    /// `firstElement`: the squared error rounding to this grid is expected to have added, where
    /// `step` is the spacing of the stored type at each code (1 for integers; for 8-bit floats
    /// the spacing of the code's binade). NaN and infinite codes count nothing.
    public func roundingEnergy(ofCodes raw: UnsafeRawBufferPointer, dtype: DType, firstElement: Int) -> Double {
        var total = 0.0
        let steps = ScaleFactors.stepTable(dtype)
        // F4 (MXFP4, NVFP4) and I4 (packed INT4) pack two codes per byte, low nibble first.
        let packed = dtype == .f4 || dtype == .i4
        forEachRun(firstElement: firstElement, count: packed ? raw.count * 2 : raw.count) { offset, run, factor in
            var sum = 0.0
            for index in offset..<(offset + run) {
                sum += packed ? steps[Int(raw[index >> 1] >> UInt8((index & 1) * 4)) & 0x0F] : steps[Int(raw[index])]
            }
            total += sum * Double(factor) * Double(factor)
        }
        return total / 12
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
