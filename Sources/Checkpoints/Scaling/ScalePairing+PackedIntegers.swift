// MARK: - compressed-tensors pack-quantized integers (codes packed in I32 words along the rows)

extension ScalePairing {
    /// compressed-tensors' `pack-quantized` weights (llm-compressor's W4A16 and W8A16, AutoRound's
    /// W2A16 and W3A16, symmetric or asymmetric): `B.weight_packed` (I32 `[R, ⌈C / w⌉]`, each row
    /// words of w = ⌊32 / bits⌋ codes, the first in the lowest bits — or, from compressed-tensors
    /// 0.18, `[R, ⌈C·bits / 32⌉]`, each row one dense bit stream; the same at 2, 4 and 8 bits —
    /// every code stored as the signed code + 2^(bits−1)), `B.weight_scale` (F32/BF16/F16, per
    /// tensor, row or group as for other scaled weights), `B.weight_shape` (I32 or I64 `[2]`: R
    /// and C, which give the bit width, 2 to 8 — 7 and 8 both pack 4 per word in the padded
    /// layout: 8 unless `statedBits`, the config's `num_bits`, is 7 alone; when absent, 4 bits and
    /// C = 8 × the packed columns) and, when asymmetric, `B.weight_zero_point` — I32, the zeros of
    /// consecutive factor rows packed down the rows like the codes along them (`pack_to_int32(…,
    /// packed_dim=0)`: `[⌈R / w⌉, G]`, or `[⌈R·bits / 32⌉, G]` dense), or I8 shaped like the
    /// scale (signed zeros). `dense` is the layout the config's compressed-tensors version states
    /// (`QuantizationSettings.densePackQuantized`); when it states none, a width whose dense rows
    /// fill the words is taken before one whose padded rows do (current versions write dense).
    ///
    /// The codes become the weight `B.weight` (`storedName` keeping `B.weight_packed`): I4 `[R,
    /// C]` for 4 bits (I4's bytes are the same stream; decoded as code − 8), U8 for the other
    /// widths with `codeCentre` 2^(bits−1) (8 bits: the stream's bytes; 2, 3, 5, 6, 7: unpacked
    /// by `packing`, a code per byte). Value = (code − 2^(bits−1) − zero point) × factor, as compressed-tensors'
    /// `dequantize` computes it. A `B.weight_g_idx` (GPTQ's activation-ordered groups) names each
    /// column's factor column (`columnGroupIndex`).
    static func pairPackedIntegers(
        _ tensors: inout [TensorInfo], fileName: (Int) -> String, readBytes: (TensorInfo) throws(CheckpointError) -> [UInt8],
        statedBits: Set<Int> = [], dense: Bool? = nil
    ) throws(CheckpointError) {
        let indexByName = Self.indexByName(tensors)
        for index in tensors.indices where tensors[index].dtype == .i32 && tensors[index].name.hasSuffix(".weight_packed") {
            let packed = tensors[index]
            let base = String(packed.name.dropLast("_packed".count))
            guard packed.shape.count == 2, packed.shape[1] > 0, indexByName[base] == nil,
                  let scaleIndex = indexByName[base + "_scale"] else { continue }
            let file = fileName(packed.fileIndex)
            func layoutError(_ companion: String, _ reason: String) -> CheckpointError {
                CheckpointError(file: file, tensor: packed.name, rule: .packedLayout(companion: companion, reason: reason))
            }
            let rows = packed.shape[0], packedColumns = packed.shape[1]
            let shapeIndex = indexByName[base + "_shape"]
            var (bits, columns, denseRows) = (4, 8 * packedColumns, false)
            if let shapeIndex {
                let stated = try originalShape(tensors[shapeIndex], readBytes: readBytes, layoutError: layoutError)
                guard stated[0] == rows, stated[1] > 0 else {
                    throw layoutError(tensors[shapeIndex].name, "states the shape \(stated), which does not have the \(rows) rows of the packed weight")
                }
                columns = stated[1]
                // The width whose rows of ⌊32/bits⌋ codes per word fill as many words (4 and 8 first:
                // a narrow row fits several widths; 7 and 8 bits both pack 4 per word, 8 unless the
                // config states 7 alone).
                let order = statedBits == [7] ? [4, 7, 2, 3, 5, 6, 1] : [4, 8, 2, 3, 5, 6, 7, 1]
                // Per width, the dense layout (the version's, or tried first) then the padded one.
                let denseChoices: [Bool] = dense.map { [$0] } ?? [true, false]
                var fits: (width: Int, dense: Bool)?
                search: for width in order {
                    for candidate in denseChoices {
                        let words = candidate ? (columns * width + 31) / 32 : (columns + 32 / width - 1) / (32 / width)
                        if words == packedColumns {
                            fits = (width, candidate)
                            break search
                        }
                    }
                }
                guard let (width, isDense) = fits else {
                    let layout = dense.map { $0 ? " (dense rows, as compressed-tensors ≥ 0.18 writes them)" : " (⌊32/bits⌋ codes per word, as compressed-tensors < 0.18 writes them)" } ?? ""
                    throw layoutError(tensors[shapeIndex].name, "states \(columns) columns, which no code width from 1 to 8 bits packs into \(packedColumns) words per row\(layout)")
                }
                denseRows = isDense && CodePacking.Order.packQuantized(bits: width, dense: true)?.isDensePackQuantized == true
                guard width >= 2 else {
                    throw layoutError(tensors[shapeIndex].name, "states \(columns) columns in \(packedColumns) words per row: 1-bit codes, "
                        + "which this tool does not read (it reads 2- to 8-bit codes)")
                }
                guard (columns * width) % 32 == 0 || CodePacking.Order.packQuantized(bits: width) != nil else {
                    throw layoutError(tensors[shapeIndex].name, "states \(columns) columns, so each packed row ends in a part-filled word; "
                        + "this tool reads \(width)-bit rows of whole words (\(32 / width) codes each)")
                }
                bits = width
            }
            let shape = [rows, columns]
            var scaling = try scaling(of: packed.name, shape: shape, by: tensors[scaleIndex], file: file)
            // U8 codes (every width but 4) are the signed code + 2^(bits−1).
            if bits != 4 { scaling.codeCentre = 1 << (bits - 1) }
            var companions = [scaleIndex] + (shapeIndex.map { [$0] } ?? [])
            if let groupIndex = indexByName[base + "_g_idx"] {
                scaling.columnGroupIndex = try columnGroupIndex(tensors[groupIndex], of: packed.name, shape: shape, scaling: scaling, file: file)
                companions.append(groupIndex)
            }
            if let zeroIndex = indexByName[base + "_zero_point"] {
                scaling.zeroPoints = try zeroPoints(tensors[zeroIndex], bits: bits, rows: rows, dense: denseRows, scale: tensors[scaleIndex], layoutError: layoutError)
                companions.append(zeroIndex)
            }
            var weight = packed
            weight.storedName = packed.storedName ?? packed.name
            weight.name = base
            weight.dtype = bits == 4 ? .i4 : .u8
            weight.shape = shape
            // 4- and 8-bit rows are I4's and U8's bytes as stored; other widths unpack to a code per byte.
            weight.packing = CodePacking.Order.packQuantized(bits: bits, dense: denseRows).map { CodePacking(order: $0, bits: bits, columns: columns) }
            weight.scale = scaling
            tensors[index] = weight
            for companion in companions { tensors[companion].scaledWeight = base }
        }
    }

    /// `B.weight_shape`: two non-negative I32 or I64 values.
    private static func originalShape(
        _ tensor: TensorInfo, readBytes: (TensorInfo) throws(CheckpointError) -> [UInt8], layoutError: (String, String) -> CheckpointError
    ) throws(CheckpointError) -> [Int] {
        guard tensor.dtype == .i32 || tensor.dtype == .i64, tensor.elementCount == 2, tensor.shape.count == 1 else {
            throw layoutError(tensor.name, "is \(tensor.dtype.name) \(tensor.shape), not two I32 or I64 values")
        }
        let bytes = try readBytes(tensor)
        let width = tensor.dtype == .i64 ? 8 : 4
        guard bytes.count == 2 * width else { throw layoutError(tensor.name, "holds \(bytes.count) bytes, not \(2 * width)") }
        let values = integers(bytes, dtype: tensor.dtype)
        // Bounded before use: no real dimension reaches 2^31.
        guard values.allSatisfy({ $0 >= 0 && $0 < 1 << 31 }) else {
            throw layoutError(tensor.name, "states the dimensions \(values), outside 0 ..< 2^31")
        }
        return values.map(Int.init)
    }

    /// The zero points of an asymmetric pack-quantized weight, checked against its scale's grid
    /// (one zero per factor; the per-tensor strategy's one zero is stored unpacked).
    private static func zeroPoints(
        _ zeros: TensorInfo, bits: Int, rows: Int, dense: Bool, scale: TensorInfo, layoutError: (String, String) -> CheckpointError
    ) throws(CheckpointError) -> TensorScale.ZeroPoints {
        if zeros.dtype == .i8 {
            guard zeros.elementCount == scale.elementCount else {
                throw layoutError(zeros.name, "is I8 \(zeros.shape) beside a scale of shape \(scale.shape), not one zero per factor")
            }
            return .init(tensor: zeros, storage: .signedBytes, bits: bits)
        }
        // Packed down the rows, ⌊32/bits⌋ per word or a dense stream: a per-row or per-group scale [R] / [R, G].
        let gridColumns = scale.shape.count == 2 ? scale.shape[1] : 1, perWord = 32 / bits
        let expected = [dense ? (rows * bits + 31) / 32 : (rows + perWord - 1) / perWord, gridColumns]
        guard zeros.dtype == .i32, zeros.shape == expected, scale.elementCount == rows * gridColumns else {
            let packing = dense ? "a dense \(bits)-bit stream down each group's rows" : "\(perWord) rows per word"
            throw layoutError(zeros.name, "is \(zeros.dtype.name) \(zeros.shape), not I32 \(expected) (the zeros of \(rows) rows × \(gridColumns) groups, "
                + "\(packing)) nor I8 shaped like the scale \(scale.shape)")
        }
        return .init(tensor: zeros, storage: dense ? .rowStream : .rowWords, bits: bits)
    }
}
