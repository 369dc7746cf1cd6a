import Checkpoints

// MARK: - The safetensors tensors an entry is stored as

extension CheckpointModel.Entry {
    /// What one stored safetensors tensor of an entry holds.
    enum StoredPart {
        /// The entry's values in its storage (codes for scaled storage).
        case values
        /// Block-scaled FP8's F32 factors (`NAME_scale_inv`).
        case factors
        /// NVFP4's F8_E4M3 block scales (`NAME_scale`) and F32 per-tensor scale (`NAME_scale_2`).
        case blockScales, globalScale
        /// Packed INT4's BF16 group scales (`NAME_scale`) and I64 original shape (`NAME_shape`).
        case groupScales, originalShape
        /// GPTQ's and AWQ's packed zero points (`P.qzeros`) and GPTQ's row groups (`P.g_idx`, or
        /// packed INT4's column groups `NAME_g_idx`).
        case zeroPoints, groupIndex
        /// bitsandbytes' codebook (`W.quant_map`) and JSON quant state (`W.quant_state.bitsandbytes__nf4`).
        case codebook, quantState
        /// bitsandbytes LLM.int8's layout byte (`P.weight_format`, 0: row-major).
        case weightFormat
        /// MLX's affine biases (`P.biases`).
        case biases
    }

    /// The shape the values are stored in: the transpose for `storedTransposed`.
    var storedShape: [Int] {
        storedTransposed ? Array(tensor.shape.reversed()) : tensor.shape
    }

    /// The safetensors tensors `write` stores for this entry, in order: the values (or codes), then
    /// the scale tensors of scaled storage — DeepSeek-V3's `NAME_scale_inv`, ModelOpt's NVFP4
    /// `NAME_scale` and `NAME_scale_2`, or compressed-tensors' packed INT4 `NAME_packed`,
    /// `NAME_scale`, `NAME_zero_point` when asymmetric, `NAME_g_idx` in activation order, and `NAME_shape` (no tensor `NAME`). Scaled storage needs a 2-D tensor
    /// (`write` checks that first).
    var storedTensors: [(name: String, dtype: DType, shape: [Int], part: StoredPart)] {
        let shape = storedShape
        if isBitsAndBytes, let block = scaleBlock {
            let count = tensor.values.count
            return [(name, .u8, [count / 2, 1], .values),
                    (name + ".absmax", .f32, [count / block], .factors),
                    (name + ".quant_map", .f32, [16], .codebook),
                    (name + ".quant_state.bitsandbytes__nf4", .u8, [NF4Encoding.quantState(shape: shape, block: block).count], .quantState)]
        }
        if isMLX, let group = scaleBlock {
            let prefix = String(name.dropLast("weight".count))
            return [(name, .u32, [shape[0], shape[1] / 8], .values),
                    (prefix + "scales", MLXEncoding.storage, [shape[0], shape[1] / group], .groupScales),
                    (prefix + "biases", MLXEncoding.storage, [shape[0], shape[1] / group], .biases)]
        }
        if isMLXFloatingPoint, let group = scaleBlock {
            let prefix = String(name.dropLast("weight".count))
            return [(name, .u32, [shape[0], shape[1] * (storageDType == .f4 ? 4 : 8) / 32], .values),
                    (prefix + "scales", .u8, [shape[0], shape[1] / group], .blockScales)]
        }
        if isLLMInt8 {
            let prefix = String(name.dropLast("weight".count))
            return [(name, .i8, shape, .values), (prefix + "SCB", .f32, [shape[0]], .factors), (prefix + "weight_format", .u8, [], .weightFormat)]
        }
        if let order = codePacking, let bits = zeroPointCodeBits, let group = scaleBlock {
            // PyTorch's [N, K] (out, in); GPTQ and AWQ store the transpose, packed.
            let (n, k) = (tensor.shape[0], tensor.shape[1])
            let prefix = String(name.dropLast("weight".count))
            let packed = order.isGPTQ ? [k * bits / 32, n] : [k, n / 8]
            return [(prefix + "qweight", .i32, packed, .values),
                    (prefix + "qzeros", .i32, [k / group, n * bits / 32], .zeroPoints),
                    (prefix + "scales", .f16, [k / group, n], .groupScales)]
                + (order.isGPTQ ? [(prefix + "g_idx", .i32, [k], .groupIndex)] : [])
        }
        if let bits = narrowPackedBits, let group = scaleBlock {
            return [(name + "_packed", .i32, [shape[0], (shape[1] * bits + 31) / 32], .values),
                    (name + "_scale", .bf16, [shape[0], shape[1] / group], .groupScales),
                    (name + "_shape", .i64, [2], .originalShape)]
        }
        if isPackedInt4, let group = scaleBlock {
            return [(name + "_packed", .i32, [shape[0], shape[1] / 8], .values),
                    (name + "_scale", .bf16, [shape[0], shape[1] / group], .groupScales)]
                + (asymmetric ? [(name + "_zero_point", .i32, [(shape[0] + 7) / 8, shape[1] / group], .zeroPoints)] : [])
                + (activationOrder ? [(name + "_g_idx", .i32, [shape[1]], .groupIndex)] : [])
                + [(name + "_shape", .i64, [2], .originalShape)]
        }
        if isNVFP4 {
            return [(name, .u8, [shape[0], shape[1] / 2], .values),
                    (name + "_scale", .f8E4M3, [shape[0], shape[1] / NVFP4Encoding.block], .blockScales),
                    (name + "_scale_2", .f32, [], .globalScale)]
        }
        if let block = scaleBlock {
            return [(name, storageDType, shape, .values),
                    (name + "_scale_inv", .f32, BlockScaledEncoding.gridShape(rows: shape[0], columns: shape[1], block: block), .factors)]
        }
        return [(name, storageDType, shape, .values)]
    }

    /// The names of the safetensors tensors `write` stores for this entry, in order.
    public var writtenNames: [String] {
        storedTensors.map(\.name)
    }

    /// Whether `write` stores this entry as NVFP4 (see `scaleBlock`).
    var isNVFP4: Bool { storageDType == .f4 && scaleBlock == NVFP4Encoding.block && !mlxFloatingPoint }
    /// Whether `write` stores this entry in one of MLX's floating-point modes (see `mlxFloatingPoint`).
    var isMLXFloatingPoint: Bool { mlxFloatingPoint && (storageDType == .f4 || storageDType == .f8E4M3) && scaleBlock != nil }
    /// Whether `write` stores this entry as packed INT4 (see `scaleBlock`: the group size).
    var isPackedInt4: Bool { storageDType == .i4 && scaleBlock != nil && codePacking == nil && !affineBiases }
    /// The width when `write` stores this entry as compressed-tensors' 2- or 3-bit packed integers
    /// (U8 codes, `codePacking` `pack-quantized-2bit`/`-dense-3bit`, `scaleBlock` the group), else `nil`.
    var narrowPackedBits: Int? {
        guard storageDType == .u8, scaleBlock != nil, let bits = codePacking?.packQuantizedBits, (2...3).contains(bits) else { return nil }
        return bits
    }
    /// Whether `write` stores this entry as MLX's 4-bit affine quantization (see `affineBiases`).
    var isMLX: Bool { storageDType == .i4 && scaleBlock != nil && affineBiases }
    /// The code width when `write` stores this entry as GPTQ or AWQ (see `codePacking`): the
    /// order's own (GPTQ's 2 and 3 bits), else 4 for I4 and 8 for U8 (GPTQ only); else `nil`.
    var zeroPointCodeBits: Int? {
        guard scaleBlock != nil, let order = codePacking, order.isGPTQ || order == .awq else { return nil }
        switch (order.statedBits, storageDType) {
        case (let stated?, .u8): return stated
        case (nil, .i4): return 4
        case (nil, .u8) where order == .gptq: return 8
        default: return nil
        }
    }
    /// Whether `write` stores this entry as bitsandbytes NF4 (see `codePacking`).
    var isBitsAndBytes: Bool { storageDType == .i4 && scaleBlock != nil && codePacking == .bitsandbytesNF4 }
    /// Whether `write` stores this entry as bitsandbytes LLM.int8 (see `scaleBlock`).
    var isLLMInt8: Bool { storageDType == .i8 && scaleBlock != nil }
}

// MARK: - What `write` stores beside the values, for reports

extension CheckpointModel.Entry.StoredPart {
    /// What a companion of this part holds, as `perturb` reports it; `nil` for the values.
    var companionKind: String? {
        switch self {
        case .values: nil
        case .factors: "scale-factor"
        case .blockScales: "block-scale"
        case .globalScale: "per-tensor-scale"
        case .groupScales: "group-scale"
        case .originalShape: "shape"
        case .zeroPoints: "zero-point"
        case .groupIndex: "group-index"
        case .codebook: "codebook"
        case .quantState: "quant-state"
        case .weightFormat: "weight-format"
        case .biases: "bias"
        }
    }
}

extension CheckpointModel {
    /// The tensors a safetensors `write` stores beside the entries' values (scale factors, zero
    /// points, group indices, shapes, …), counted by what they hold, in order of first appearance;
    /// empty when nothing is scaled or the output is GGUF (whose types carry their own scales).
    public var companionCounts: [(kind: String, count: Int)] {
        guard ggufType == nil else { return [] }
        var counts: [(kind: String, count: Int)] = []
        for entry in entries {
            for kind in entry.storedTensors.compactMap(\.part.companionKind) {
                if let index = counts.firstIndex(where: { $0.kind == kind }) { counts[index].count += 1 } else { counts.append((kind, 1)) }
            }
        }
        return counts
    }

    /// Entries whose values a safetensors `write` stores in another dtype than their own (packed
    /// codes: I4 in I32 or U32 words, U8 bytes), counted by `"I4 as I32"`; empty for GGUF output.
    public var repackedValueCounts: [String: Int] {
        guard ggufType == nil else { return [:] }
        return entries.reduce(into: [:]) { counts, entry in
            guard let values = entry.storedTensors.first(where: { $0.part == .values }), values.dtype != entry.storageDType else { return }
            counts["\(entry.storageDType.name) as \(values.dtype.name)", default: 0] += 1
        }
    }
}
