/// Finds the companion scale tensors of quantized weights and records how they apply.
///
/// In safetensors and PyTorch checkpoints, a weight stored as an 8-bit float or 8-bit integer
/// named `W` is scaled by `W_scale_inv` (DeepSeek-V3/R1, Qwen3-FP8: the factor dequantization
/// multiplies by, despite the name) or `W_scale` (compressed-tensors). The companion's shape
/// says the granularity: `[]` or `[1]` one factor; `[R]` or `[R, 1]` one per row of an R × C weight; `[⌈R/b⌉, ⌈C/b'⌉]` one
/// per block, with b = 128 when that fits the dimension (the block size these releases use),
/// else the block size dividing it exactly. Anything else is an error rather than a guess.
enum ScalePairing {
    /// Companion name suffixes, in the order they are looked for.
    static let suffixes = ["_scale_inv", "_scale"]
    /// The block edge assumed when it fits.
    static let preferredBlock = 128
    /// The most factors one weight may have (32 MiB of F32, held while the weight is read):
    /// more than any real layout needs (a 128-value group scale of a 16k × 64k matrix has 8 M).
    static let maximumFactors = 1 << 23

    /// Sets `scale` on every scaled weight and `scaledWeight` on its companion.
    /// `readBytes` reads a small tensor's stored bytes (bitsandbytes keeps the original shape in one);
    /// `settings` says what the companion JSON files state (GPTQ's zero-point convention).
    static func pair(
        _ tensors: inout [TensorInfo], fileName: (Int) -> String, readBytes: (TensorInfo) throws(CheckpointError) -> [UInt8],
        settings: QuantizationSettings = QuantizationSettings()
    ) throws(CheckpointError) {
        try pairMicroscaled(&tensors, fileName: fileName)
        try pairNVFP4(&tensors, fileName: fileName)
        try pairPackedIntegers(&tensors, fileName: fileName, readBytes: readBytes, statedBits: settings.packQuantizedBits,
                               dense: settings.densePackQuantized)
        try pairZeroPointCodes(&tensors, fileName: fileName, readBytes: readBytes,
                               gptqZerosStoredMinusOne: settings.source == nil ? nil : settings.gptqZerosStoredMinusOne)
        try pairBitsAndBytes(&tensors, fileName: fileName, readBytes: readBytes)
        try pairLLMInt8(&tensors, fileName: fileName, readBytes: readBytes)
        try pairMLX(&tensors, fileName: fileName, settings: settings)
        let indexByName = Self.indexByName(tensors)
        for index in tensors.indices where ScaleFactors.isScalable(tensors[index].dtype) && tensors[index].scale == nil {
            let weight = tensors[index]
            let found = suffixes.compactMap { indexByName[weight.name + $0] }
            guard let companionIndex = found.first else { continue }
            let file = fileName(weight.fileIndex)
            if found.count > 1 {
                throw CheckpointError(file: file, tensor: weight.name, rule: .scaleAmbiguous(companions: found.map { tensors[$0].name }))
            }
            let companion = tensors[companionIndex]
            var scale = try scaling(of: weight.name, shape: weight.shape, by: companion, file: file)
            // Asymmetric INT8 (compressed-tensors: value = (code − zero point) × factor) has an I8
            // zero per factor; a zero point of any other kind, or beside a float weight, is refused:
            // reading the codes as if symmetric would give wrong values without a word.
            if let zeroPointIndex = indexByName[weight.name + "_zero_point"] {
                let zeroPoint = tensors[zeroPointIndex]
                guard weight.dtype == .i8, zeroPoint.dtype == .i8, zeroPoint.elementCount == companion.elementCount else {
                    throw CheckpointError(file: file, tensor: weight.name, rule: .scaleZeroPoint(companion: zeroPoint.name))
                }
                scale.zeroPoints = .init(tensor: zeroPoint, storage: .signedBytes, bits: 8)
                tensors[zeroPointIndex].scaledWeight = weight.name
            }
            // Activation-ordered groups (GPTQ's `actorder: group`): read with them, or refused; never ignored.
            if let groupIndex = indexByName[weight.name + "_g_idx"] {
                scale.columnGroupIndex = try columnGroupIndex(tensors[groupIndex], of: weight.name, shape: weight.shape, scaling: scale, file: file)
                tensors[groupIndex].scaledWeight = weight.name
            }
            tensors[index].scale = scale
            tensors[companionIndex].scaledWeight = weight.name
        }
        // llm-compressor's recipe names the algorithm behind its layouts (packed integers, FP8,
        // NVFP4); GPTQ's, AWQ's, bitsandbytes' and MLX's own layouts say theirs.
        if let quantizer = settings.quantizer {
            for index in tensors.indices where tensors[index].packing.map({ $0.order.packQuantizedBits != nil }) ?? true {
                guard var scale = tensors[index].scale, scale.biases == nil, scale.multiplier == nil, scale.codebook == nil else { continue }
                scale.quantizer = quantizer
                tensors[index].scale = scale
            }
        }
    }

    /// MXFP4 weights as gpt-oss stores them: `W_blocks` (U8 `[…, G, 16]`, two E2M1 codes per
    /// byte, low nibble first) with `W_scales` (U8 `[…, G]`, one E8M0 exponent per 32 values).
    /// The blocks become the weight `W` (F4 `[…, G·32]`, `storedName` keeps `W_blocks`) scaled
    /// by the scales read as F8_E8M0 (2^(s − 127)), one factor per 32 consecutive values — the
    /// values transformers' `convert_moe_packed_tensors` computes (before it transposes them).
    static func pairMicroscaled(_ tensors: inout [TensorInfo], fileName: (Int) -> String) throws(CheckpointError) {
        let indexByName = Self.indexByName(tensors)
        for index in tensors.indices where tensors[index].dtype == .u8 && tensors[index].name.hasSuffix("_blocks") {
            let blocks = tensors[index]
            let base = String(blocks.name.dropLast("_blocks".count))
            guard blocks.shape.count >= 2, blocks.shape.last == 16, indexByName[base] == nil,
                  let companionIndex = indexByName[base + "_scales"] else { continue }
            let companion = tensors[companionIndex]
            let file = fileName(blocks.fileIndex)
            guard companion.dtype == .u8, companion.shape == Array(blocks.shape.dropLast()) else {
                throw CheckpointError(file: file, tensor: blocks.name, rule: .microscaleShape(
                    companion: companion.name, shape: companion.shape, dtype: companion.dtype, blocksShape: blocks.shape))
            }
            try requireFactorCount(companion.elementCount, of: companion.name, for: blocks.name, file: file)
            var weight = blocks
            weight.storedName = blocks.storedName ?? blocks.name
            weight.name = base
            makeMicroscaled(&tensors, weight: index, as: weight, codes: .f4, shape: Array(blocks.shape.dropLast(2)) + [blocks.shape[blocks.shape.count - 2] * 32],
                            factors: companionIndex, factorType: .f8E8M0, block: 32)
        }
    }

    /// Makes `tensors[weight]` (given as `pairedWeight`) `codes` of `shape` (F4, or F8_E4M3 for
    /// MLX's mxfp8) scaled by the U8 companion `tensors[factors]` read as `factorType` (E8M0
    /// exponents for MXFP4/MXFP8, F8_E4M3 for MLX's nvfp4), one factor per `block` consecutive
    /// values (gpt-oss's blocks, MLX's floating-point modes). The weight is scaled as one row
    /// (`TensorScale.matrixView`) in blocks: every row holds whole blocks, so factor k covers
    /// values block·k ..< block·(k + 1).
    static func makeMicroscaled(_ tensors: inout [TensorInfo], weight index: Int, as pairedWeight: TensorInfo, codes: DType, shape: [Int],
                                factors: Int, factorType: DType, block: Int) {
        var weight = pairedWeight
        tensors[factors].dtype = factorType
        tensors[factors].scaledWeight = weight.name
        weight.dtype = codes
        weight.shape = shape
        weight.scale = TensorScale(companion: tensors[factors], granularity: .block, blockRows: 1, blockColumns: block)
        tensors[index] = weight
    }

    /// NVFP4 weights: U8 codes `W` `[…, C/2]` (two E2M1 codes per byte, low nibble first) with
    /// F8_E4M3 block scales `[…, C/16]` (one per 16 consecutive values) and a per-tensor scale —
    /// ModelOpt's `W` + `W_scale` + `W_scale_2` (value = code × scale × scale_2) or
    /// compressed-tensors' `B.weight_packed` + `B.weight_scale` + `B.weight_global_scale` (value =
    /// code × scale / global_scale). The codes become the weight (F4 `[…, C]`, named `B.weight`
    /// for compressed-tensors, `storedName` keeping the stored name), scaled as one row in blocks
    /// of 16 like MXFP4; both scale tensors become its companions.
    static func pairNVFP4(_ tensors: inout [TensorInfo], fileName: (Int) -> String) throws(CheckpointError) {
        let indexByName = Self.indexByName(tensors)
        for index in tensors.indices where tensors[index].dtype == .u8 && tensors[index].scaledWeight == nil && tensors[index].scale == nil {
            let codes = tensors[index]
            let packed = codes.name.hasSuffix(".weight_packed")
            let base = packed ? String(codes.name.dropLast("_packed".count)) : codes.name
            // Any name: a copy may rename the weight (`X`, `X_scale`, `X_scale_2`); the F8_E4M3 companion says what it is.
            guard codes.shape.count >= 2, let columns = codes.shape.last, columns > 0,
                  let scaleIndex = indexByName[base + "_scale"], tensors[scaleIndex].dtype == .f8E4M3 else { continue }
            let file = fileName(codes.fileIndex)
            let scale = tensors[scaleIndex]
            let expected = Array(codes.shape.dropLast()) + [columns * 2 / 16]
            guard columns % 8 == 0, scale.shape == expected else {
                throw CheckpointError(file: file, tensor: codes.name, rule: .nvfp4Companion(
                    companion: scale.name, reason: "has shape \(scale.shape), not \(expected) (one factor per 16 of the \(columns * 2) values a row holds)"))
            }
            try requireFactorCount(scale.elementCount, of: scale.name, for: codes.name, file: file)
            let globalName = packed ? base + "_global_scale" : base + "_scale_2"
            guard let globalIndex = indexByName[globalName] else {
                throw CheckpointError(file: file, tensor: codes.name, rule: .nvfp4Companion(
                    companion: scale.name, reason: "has no per-tensor scale '\(globalName)' beside it"))
            }
            let global = tensors[globalIndex]
            guard isFactorType(global.dtype), global.elementCount == 1, global.shape.count <= 1 else {
                throw CheckpointError(file: file, tensor: codes.name, rule: .nvfp4Companion(
                    companion: global.name, reason: "is \(global.dtype.name) \(global.shape), not one F32, BF16 or F16 value"))
            }
            var weight = codes
            if packed { weight.storedName = codes.storedName ?? codes.name }
            weight.name = base
            weight.dtype = .f4
            weight.shape = Array(codes.shape.dropLast()) + [columns * 2]
            // One row in blocks of 16: factor k covers values 16k ..< 16k + 16 (rows hold whole blocks).
            weight.scale = TensorScale(companion: scale, granularity: .block, blockRows: 1, blockColumns: 16,
                                       global: .init(tensor: global, divides: packed))
            tensors[index] = weight
            tensors[scaleIndex].scaledWeight = base
            tensors[globalIndex].scaledWeight = base
        }
    }

    /// How a float companion scales a weight of `shape` (`weight` names it in errors): its dtype
    /// must be F32, BF16 or F16 and its shape must give a granularity (`blocks`), with at most
    /// `maximumFactors` factors.
    static func scaling(of weight: String, shape: [Int], by companion: TensorInfo, file: String) throws(CheckpointError) -> TensorScale {
        guard isFactorType(companion.dtype) else {
            throw CheckpointError(file: file, tensor: weight, rule: .scaleDType(companion: companion.name, dtype: companion.dtype))
        }
        guard let (granularity, blockRows, blockColumns) = blocks(weight: shape, scale: companion.shape) else {
            throw CheckpointError(file: file, tensor: weight, rule: .scaleShape(companion: companion.name, shape: companion.shape, weightShape: shape))
        }
        try requireFactorCount(companion.elementCount, of: companion.name, for: weight, file: file)
        return TensorScale(companion: companion, granularity: granularity, blockRows: blockRows, blockColumns: blockColumns)
    }

    /// Whether a companion's dtype can hold float factors (or biases, or a per-tensor scale): F32, BF16 or F16.
    static func isFactorType(_ dtype: DType) -> Bool {
        dtype == .f32 || dtype == .bf16 || dtype == .f16
    }

    /// The little-endian I64 (else I32) values of a small integer companion (`g_idx`, `weight_shape`).
    static func integers(_ bytes: [UInt8], dtype: DType) -> [Int64] {
        let width = dtype == .i64 ? 8 : 4
        return bytes.withUnsafeBytes { raw in
            (0..<(bytes.count / width)).map { index in
                width == 8 ? Int64(littleEndian: raw.loadUnaligned(fromByteOffset: index * 8, as: Int64.self))
                    : Int64(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: index * 4, as: Int32.self)))
            }
        }
    }

    /// Refuses a weight with more factors than are held in memory for one weight.
    static func requireFactorCount(_ count: Int, of companion: String, for weight: String, file: String) throws(CheckpointError) {
        guard count <= maximumFactors else {
            throw CheckpointError(file: file, tensor: weight, rule: .scaleTooLarge(companion: companion, factors: count, limit: maximumFactors))
        }
    }

    /// Each tensor's index by name (the last one of a name), taken again by each pairing pass
    /// since a pass renames the weights it pairs.
    static func indexByName(_ tensors: [TensorInfo]) -> [String: Int] {
        var indexByName: [String: Int] = [:]
        for (index, tensor) in tensors.enumerated() { indexByName[tensor.name] = index }
        return indexByName
    }

    /// The block a factor covers, or `nil` when the companion's shape fits no granularity.
    static func blocks(weight: [Int], scale: [Int]) -> (TensorScale.Granularity, rows: Int, columns: Int)? {
        let (rows, columns) = TensorScale.matrixView(weight)
        let wholeRows = max(rows, 1), wholeColumns = max(columns, 1)
        if scale.allSatisfy({ $0 == 1 }) && scale.count <= 1 { return (.tensor, wholeRows, wholeColumns) }
        guard weight.count == 2 else { return nil }
        if scale == [rows] || (scale == [rows, 1] && rows > 1) { return (.row, 1, wholeColumns) }
        guard scale.count == 2, let blockRows = edge(rows, blocks: scale[0]), let blockColumns = edge(columns, blocks: scale[1]) else { return nil }
        return (.block, blockRows, blockColumns)
    }

    /// The block edge splitting `extent` into `blocks` blocks: 128 when it does, else the exact divisor.
    private static func edge(_ extent: Int, blocks: Int) -> Int? {
        if (extent + preferredBlock - 1) / preferredBlock == blocks { return preferredBlock }
        guard blocks > 0, extent % blocks == 0 else { return nil }
        return extent / blocks
    }
}
