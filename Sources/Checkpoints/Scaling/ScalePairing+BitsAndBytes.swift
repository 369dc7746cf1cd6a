// MARK: - bitsandbytes 4-bit weights (NF4, FP4)

extension ScalePairing {
    /// Largest quant-state tensor read while opening (its JSON is a few hundred bytes).
    static let maximumQuantStateBytes = 1 << 16

    /// bitsandbytes 4-bit weights as transformers saves them: `W` (U8, the weight `[N, K]`
    /// flattened, two codes per byte, the first in the high nibble) with `W.absmax` (one factor
    /// per block of `blocksize` consecutive values: F32, or with double quantization U8 codes with
    /// `W.nested_absmax` and `W.nested_quant_map`), `W.quant_map` (F32 [16], the NF4 or FP4
    /// codebook) and `W.quant_state.bitsandbytes__nf4` (or `__fp4`: U8 bytes of a JSON object
    /// with `blocksize`, `shape` and, when nested, `nested_blocksize` and `nested_offset`). The
    /// weight becomes I4 `[N, K]` (codes, unpacked low nibble first by `CodePacking`), value =
    /// quant_map[code] × factor of its block. Blocks must not straddle rows (K a multiple of the
    /// block size, true of every real layer); anything that does not fit is an error.
    static func pairBitsAndBytes(
        _ tensors: inout [TensorInfo], fileName: (Int) -> String, readBytes: (TensorInfo) throws(CheckpointError) -> [UInt8]
    ) throws(CheckpointError) {
        let indexByName = Self.indexByName(tensors)
        let stateSuffixes: [(suffix: String, order: CodePacking.Order)] = [
            (".quant_state.bitsandbytes__nf4", .bitsandbytesNF4), (".quant_state.bitsandbytes__fp4", .bitsandbytesFP4)]
        for stateIndex in tensors.indices {
            let state = tensors[stateIndex]
            guard let (suffix, order) = stateSuffixes.first(where: { state.name.hasSuffix($0.suffix) }) else { continue }
            let base = String(state.name.dropLast(suffix.count))
            let file = fileName(state.fileIndex)
            func layoutError(_ companion: String, _ reason: String) -> CheckpointError {
                CheckpointError(file: file, tensor: base, rule: .bitsAndBytesLayout(companion: companion, reason: reason))
            }
            guard let weightIndex = indexByName[base] else { throw layoutError(state.name, "has no weight '\(base)' beside it") }
            guard state.dtype == .u8, state.shape.count == 1, state.byteCount <= UInt64(maximumQuantStateBytes) else {
                throw layoutError(state.name, "is \(state.dtype.name) \(state.shape), not the U8 bytes of a JSON object")
            }
            // A read failure (a truncated file) is its own error; only unparsable bytes are this rule's.
            let stateBytes = try readBytes(state)
            guard let json = try? StrictJSONParser.parse(stateBytes), case .object = json else {
                throw layoutError(state.name, "does not hold a JSON object")
            }
            guard let blockSize = json["blocksize"]?.exactUInt64.map(Int.init), blockSize > 0, blockSize <= 1 << 16,
                  case .array(let dimensions)? = json["shape"], dimensions.count == 2,
                  let rows = dimensions[0].exactUInt64.map(Int.init), let columns = dimensions[1].exactUInt64.map(Int.init),
                  rows > 0, columns > 0, rows <= 1 << 31, columns <= 1 << 31 else {
                throw layoutError(state.name, "has no positive 'blocksize' and two-dimensional 'shape'")
            }
            let weight = tensors[weightIndex]
            guard weight.dtype == .u8, weight.scale == nil, weight.elementCount * 2 == rows * columns else {
                throw layoutError(state.name, "gives shape [\(rows), \(columns)], but the weight is \(weight.dtype.name) \(weight.shape), not \(rows * columns / 2) bytes of two codes each")
            }
            guard columns % blockSize == 0 else {
                throw layoutError(state.name, "has blocks of \(blockSize) values that straddle the rows of \(columns)")
            }
            let blocks = rows * columns / blockSize
            guard let codebookIndex = indexByName[base + ".quant_map"], tensors[codebookIndex].dtype == .f32, tensors[codebookIndex].elementCount == 16 else {
                throw layoutError(base + ".quant_map", "is missing or not F32 with 16 values")
            }
            guard let absmaxIndex = indexByName[base + ".absmax"], tensors[absmaxIndex].elementCount == blocks,
                  [.f32, .u8].contains(tensors[absmaxIndex].dtype) else {
                throw layoutError(base + ".absmax", "is missing or not F32 (or U8 codes) with one value per block (\(blocks))")
            }
            try requireFactorCount(blocks, of: base + ".absmax", for: base, file: file)
            var scaling = TensorScale(companion: tensors[absmaxIndex], granularity: .block, blockRows: 1, blockColumns: blockSize)
            scaling.codebook = TensorLocation(tensors[codebookIndex])
            var companions = [stateIndex, codebookIndex, absmaxIndex]
            if tensors[absmaxIndex].dtype == .u8 {
                let nestedBlock = json["nested_blocksize"]?.exactUInt64.map(Int.init) ?? 0
                guard nestedBlock > 0, let offset = json["nested_offset"]?.doubleValue, offset.isFinite else {
                    throw layoutError(state.name, "has U8 factors but no positive 'nested_blocksize' and finite 'nested_offset'")
                }
                guard let mapIndex = indexByName[base + ".nested_quant_map"], tensors[mapIndex].dtype == .f32, tensors[mapIndex].elementCount == 256,
                      let scalesIndex = indexByName[base + ".nested_absmax"], tensors[scalesIndex].dtype == .f32,
                      tensors[scalesIndex].elementCount == (blocks + nestedBlock - 1) / nestedBlock else {
                    throw layoutError(base + ".nested_absmax", "and '\(base).nested_quant_map' are missing or not F32 with one value per \(nestedBlock) factors and 256 values")
                }
                scaling.nestedFactors = .init(codebook: tensors[mapIndex], scales: tensors[scalesIndex], blockSize: nestedBlock, offset: Float(offset))
                companions += [mapIndex, scalesIndex]
            }
            var unpacked = weight
            unpacked.dtype = .i4
            unpacked.shape = [rows, columns]
            unpacked.packing = CodePacking(order: order, bits: 4, columns: columns)
            unpacked.scale = scaling
            tensors[weightIndex] = unpacked
            for companion in companions { tensors[companion].scaledWeight = base }
        }
    }
}
