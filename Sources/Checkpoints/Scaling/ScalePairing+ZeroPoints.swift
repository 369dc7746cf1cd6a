// MARK: - GPTQ and AWQ weights (zero-point quantization packed in I32 words)

extension ScalePairing {
    /// GPTQ and AWQ linear weights: `P.qweight` (I32) with `P.scales` (F16, BF16 or F32 `[G, N]`),
    /// `P.qzeros` (I32 `[G, N·bits/32]`) and, for GPTQ, `P.g_idx` (I32 or I64 `[K]`), and no
    /// tensor `P.weight`. The layout is told by the shapes: `qweight` `[K·bits/32, N]` is GPTQ
    /// (bits = 32 × the words of a `qzeros` row / N: 2, 3, 4 or 8; a `g_idx` must give the K
    /// rows that makes), `[K, N/8]` is AWQ (4 bits). The
    /// codes become the weight `P.weight`, delivered as the transposed linear weight `[K, N]` —
    /// as both formats store it — of dtype I4 (U8 for 2-, 3- and 8-bit GPTQ), with `packing` telling the
    /// reader how to unpack the words, and value = (code − zero) × scale of the row's group:
    /// GPTQ's stored zeros are one less (AutoGPTQ's `zeros − 1` when packing) unless the
    /// checkpoint's JSON says `gptq_v2` (`gptqZerosStoredMinusOne`, from `QuantizationSettings`);
    /// when it says nothing (`nil`), a weight whose stored zeros are all 2^(bits−1) — the
    /// symmetric zero itself, which AutoGPTQ would have stored as 2^(bits−1) − 1 — is read as
    /// `gptq_v2` (GPTQModel's default, symmetric). GPTQ rows belong to the group `g_idx` names
    /// (activation order), AWQ rows to row / (K/G).
    static func pairZeroPointCodes(
        _ tensors: inout [TensorInfo], fileName: (Int) -> String, readBytes: (TensorInfo) throws(CheckpointError) -> [UInt8],
        gptqZerosStoredMinusOne: Bool? = true
    ) throws(CheckpointError) {
        let indexByName = Self.indexByName(tensors)
        for index in tensors.indices where tensors[index].dtype == .i32 && tensors[index].name.hasSuffix("qweight") {
            let packed = tensors[index]
            let prefix = String(packed.name.dropLast("qweight".count))
            guard prefix.isEmpty || prefix.hasSuffix("."), indexByName[prefix + "weight"] == nil,
                  let scaleIndex = indexByName[prefix + "scales"] else { continue }
            let file = fileName(packed.fileIndex), scale = tensors[scaleIndex]
            func layoutError(_ companion: String, _ reason: String) -> CheckpointError {
                CheckpointError(file: file, tensor: packed.name, rule: .zeroPointLayout(companion: companion, reason: reason))
            }
            guard isFactorType(scale.dtype) else {
                throw CheckpointError(file: file, tensor: packed.name, rule: .scaleDType(companion: scale.name, dtype: scale.dtype))
            }
            guard packed.shape.count == 2, packed.shape.allSatisfy({ $0 > 0 }), scale.shape.count == 2, scale.shape.allSatisfy({ $0 > 0 }) else {
                throw layoutError(scale.name, "has shape \(scale.shape) beside a qweight of shape \(packed.shape), not two matrices")
            }
            let groups = scale.shape[0], columns = scale.shape[1]
            let groupIndex = indexByName[prefix + "g_idx"].map { tensors[$0] }
            guard let zerosIndex = indexByName[prefix + "qzeros"] else {
                throw layoutError(scale.name, "has no zero points '\(prefix)qzeros' beside it")
            }
            let zeros = tensors[zerosIndex]
            let order: CodePacking.Order, bits: Int, rows: Int
            if packed.shape[1] == columns {
                // The width from the zeros, [G, N·bits/32] (AutoGPTQ packs 2, 3, 4 and 8 bits).
                let zeroWords = zeros.shape.count == 2 ? zeros.shape[1] : 0
                let width = (32 * zeroWords) % columns == 0 ? 32 * zeroWords / columns : 0
                guard zeros.dtype == .i32, zeros.shape.count == 2, zeros.shape[0] == groups, let gptqOrder = CodePacking.Order.gptq(bits: width) else {
                    throw layoutError(zeros.name, "is \(zeros.dtype.name) \(zeros.shape), not I32 [\(groups), \(columns)·bits/32] "
                        + "for 2-, 3-, 4- or 8-bit GPTQ zero points of \(groups) groups × \(columns) columns")
                }
                (order, bits) = (gptqOrder, width)
                // Packed rows hold 32 / bits rows each (three hold 32 at 3 bits).
                guard (32 * packed.shape[0]) % bits == 0 else {
                    throw layoutError(packed.name, "has \(packed.shape[0]) packed rows, which do not hold whole rows of \(bits)-bit codes (3-bit GPTQ packs 32 rows in 3)")
                }
                rows = 32 * packed.shape[0] / bits
                if let groupIndex {
                    guard groupIndex.shape.count == 1, [.i32, .i64].contains(groupIndex.dtype), groupIndex.shape[0] > 0 else {
                        throw layoutError(groupIndex.name, "is \(groupIndex.dtype.name) \(groupIndex.shape), not one I32 or I64 group per row")
                    }
                    guard groupIndex.shape[0] == rows else {
                        throw layoutError(groupIndex.name, "gives \(groupIndex.shape[0]) rows, but the \(packed.shape[0]) packed rows hold \(rows) rows "
                            + "of \(bits)-bit codes (the width \(zeros.name) [\(groups), \(zeroWords)] states for \(columns) columns)")
                    }
                }
            } else if packed.shape[1] * 8 == columns {
                (order, bits, rows) = (.awq, 4, packed.shape[0])
            } else {
                throw layoutError(scale.name, "has \(columns) columns, which fits neither GPTQ (qweight [K·bits/32, \(columns)]) nor AWQ "
                    + "(qweight [K, \(columns / 8)]) for a qweight of shape \(packed.shape)")
            }
            guard columns % 2 == 0 else { throw layoutError(scale.name, "has an odd number of columns (\(columns)); codes pack in pairs") }
            let expectedZeros = [groups, columns * bits / 32]
            guard zeros.dtype == .i32, zeros.shape == expectedZeros, (columns * bits) % 32 == 0 else {
                throw layoutError(zeros.name, "is \(zeros.dtype.name) \(zeros.shape), not I32 \(expectedZeros)")
            }
            guard groups <= rows else { throw layoutError(scale.name, "has \(groups) groups for \(rows) rows") }
            // Without g_idx (AWQ; GPTQ files that lack it) rows belong to groups in order, K/G rows each.
            let blockRows: Int
            if order.isGPTQ, groupIndex != nil {
                blockRows = (rows + groups - 1) / groups
            } else {
                guard let (_, edge, _) = blocks(weight: [rows, columns], scale: [groups, columns]) else {
                    throw layoutError(scale.name, "has \(groups) groups, which do not split the \(rows) rows evenly")
                }
                blockRows = edge
            }
            try requireFactorCount(scale.elementCount, of: scale.name, for: packed.name, file: file)
            try requireFactorCount(rows, of: (groupIndex ?? scale).name, for: packed.name, file: file)
            var weight = packed
            weight.storedName = packed.storedName ?? packed.name
            weight.name = prefix + "weight"
            weight.dtype = bits == 4 ? .i4 : .u8
            weight.shape = [rows, columns]
            weight.packing = CodePacking(order: order, bits: bits, columns: columns)
            var scaling = TensorScale(companion: scale, granularity: .block, blockRows: blockRows, blockColumns: 1)
            // AWQ stores its zeros as they are; GPTQ as its JSON states, else as its zeros tell.
            var storedMinusOne = false
            if order.isGPTQ {
                if let stated = gptqZerosStoredMinusOne {
                    storedMinusOne = stated
                } else {
                    storedMinusOne = !(try allStoredZerosSymmetric(zeros, bits: bits, readBytes: readBytes))
                }
            }
            scaling.zeroPoints = .init(tensor: zeros, order: order, bits: bits, storedMinusOne: storedMinusOne)
            scaling.groupIndex = order.isGPTQ ? groupIndex.map(TensorLocation.init) : nil
            weight.scale = scaling
            tensors[index] = weight
            for companion in [scaleIndex, zerosIndex] + (indexByName[prefix + "g_idx"].map { [$0] } ?? []) {
                tensors[companion].scaledWeight = weight.name
            }
        }
    }

    /// Whether every zero packed in `zeros` (each group's row of I32 words a stream of `bits`-bit fields) is 2^(bits−1).
    static func allStoredZerosSymmetric(_ zeros: TensorInfo, bits: Int, readBytes: (TensorInfo) throws(CheckpointError) -> [UInt8]) throws(CheckpointError) -> Bool {
        let bytes = try readBytes(zeros)
        guard bytes.count % 4 == 0, !bytes.isEmpty else { return false }
        let symmetric = UInt32(1) << UInt32(bits - 1)
        // Rows of whole words hold whole fields (N·bits/32 words per row, N a multiple of 32 / bits, of 32 at 3 bits).
        return bytes.withUnsafeBytes { raw in
            (0..<(bytes.count * 8 / bits)).allSatisfy { field in
                CodePacking.streamField(field, bits: bits) { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)) } == symmetric
            }
        }
    }
}
