import Foundation

// MARK: - MLX quantization (mlx_lm's quantized checkpoints)

extension ScalePairing {
    /// MLX's group size when `config.json` does not state one (`mlx_lm convert -q` default).
    static let mlxDefaultGroupSize = 64

    /// MLX-quantized weights as `mlx_lm` saves them (mlx-community's `…-4bit`, `…-8bit`,
    /// `…-mxfp4`, …): `P.weight` (U32 `[…, N, words]`, codes packed little-endian along the row,
    /// the first in the lowest bits; a rank-3 weight is a stack of experts, `switch_mlp`) with
    /// `P.scales` of the same leading shape and one factor per group of the row.
    ///
    /// Affine mode has `P.biases` beside `P.scales` (both F16, BF16 or F32 `[…, N, K/g]`), g from
    /// `config.json`'s `quantization` — the layer's own entry (`"PATH": {"group_size": …}`) when
    /// it has one, else `group_size`, else 64 — and the bit width from the shapes. Value = code ×
    /// scale + bias of the code's group (unsigned codes; MLX's scale may be negative). 4-bit codes
    /// become the weight as I4 `[…, N, K]` (their bytes are already two codes per byte, low nibble
    /// first), 8-bit codes as U8, and 2-, 3-, 5- and 6-bit codes as U8 unpacked from each row's
    /// bit stream (`CodePacking`); widths MLX does not write are an error.
    ///
    /// Without `P.biases`, `P.scales` is U8 and the ratio of words to scales names the
    /// floating-point mode (MLX's `fp_quantize`): `mxfp4` (E2M1 codes, an E8M0 exponent per 32
    /// values: words = 4 × scales), `nvfp4` (E2M1 codes, an F8_E4M3 scale per 16: words = 2 ×
    /// scales; MLX stores no per-tensor scale) or `mxfp8` (F8_E4M3 codes, four per word, an E8M0
    /// exponent per 32: words = 8 × scales).
    static func pairMLX(_ tensors: inout [TensorInfo], fileName: (Int) -> String, settings: QuantizationSettings) throws(CheckpointError) {
        let indexByName = Self.indexByName(tensors)
        for index in tensors.indices where tensors[index].dtype == .u32 && tensors[index].name.hasSuffix("weight") && tensors[index].scale == nil {
            let packed = tensors[index]
            let prefix = String(packed.name.dropLast("weight".count))
            guard let scalesIndex = indexByName[prefix + "scales"] else { continue }
            let file = fileName(packed.fileIndex)
            let scales = tensors[scalesIndex]
            func layoutError(_ companion: String, _ reason: String) -> CheckpointError {
                CheckpointError(file: file, tensor: packed.name, rule: .mlxLayout(companion: companion, reason: reason))
            }
            guard packed.shape.count >= 2, let words = packed.shape.last, words > 0 else {
                throw layoutError(scales.name, "scales a weight of shape \(packed.shape), not a matrix (or stack of matrices) of packed words")
            }
            let leading = Array(packed.shape.dropLast())
            guard let biasesIndex = indexByName[prefix + "biases"] else {
                try pairMLXFloatingPoint(&tensors, weight: index, scales: scalesIndex, leading: leading, words: words, file: file)
                continue
            }
            let biases = tensors[biasesIndex]
            guard isFactorType(scales.dtype), scales.shape.count == packed.shape.count, Array(scales.shape.dropLast()) == leading,
                  let groups = scales.shape.last, groups > 0 else {
                throw layoutError(scales.name, "is \(scales.dtype.name) \(scales.shape), not floats \(leading + [-1]) (one per group of a row)")
            }
            guard isFactorType(biases.dtype), biases.shape == scales.shape else {
                throw layoutError(biases.name, "is \(biases.dtype.name) \(biases.shape), not floats of the scales' shape \(scales.shape)")
            }
            let modulePath = String(prefix.dropLast())
            let group = settings.mlxLayerGroupSizes[modulePath] ?? settings.mlxGroupSize ?? mlxDefaultGroupSize
            // 32 × words = bits × K and K = groups × g.
            guard (32 * words) % (groups * group) == 0, case let bits = 32 * words / (groups * group), (2...8).contains(bits) else {
                let width = String(format: "%.2f", Double(32 * words) / Double(groups * group))
                throw layoutError(scales.name, "has \(groups) groups of \(group) per row over \(words) words: \(width) bits per code, not a width MLX writes (2 to 8)")
            }
            guard bits != 7 else {
                throw layoutError(scales.name, "gives 7 bits per code, a width MLX does not write")
            }
            try requireFactorCount(scales.elementCount, of: scales.name, for: packed.name, file: file)
            var weight = packed
            weight.dtype = bits == 4 ? .i4 : .u8
            weight.shape = leading + [groups * group]
            // 4- and 8-bit codes are stored as I4 and U8 lay them out; other widths are unpacked from each row's bit stream.
            weight.packing = CodePacking.Order.mlx(bits: bits).map { CodePacking(order: $0, bits: bits, columns: groups * group) }
            var scaling = TensorScale(companion: scales, granularity: .block, blockRows: 1, blockColumns: group)
            scaling.biases = TensorLocation(biases)
            weight.scale = scaling
            tensors[index] = weight
            tensors[scalesIndex].scaledWeight = packed.name
            tensors[biasesIndex].scaledWeight = packed.name
        }
    }

    /// MLX's floating-point modes (no biases): which one the U8 scales' count per row names.
    private static func pairMLXFloatingPoint(
        _ tensors: inout [TensorInfo], weight index: Int, scales scalesIndex: Int, leading: [Int], words: Int, file: String
    ) throws(CheckpointError) {
        let packed = tensors[index], scales = tensors[scalesIndex]
        let perRow = scales.shape.last ?? 0
        let modes: [(name: String, codes: DType, codesPerWord: Int, factors: DType, block: Int)] = [
            ("mxfp4", .f4, 8, .f8E8M0, 32), ("nvfp4", .f4, 8, .f8E4M3, 16), ("mxfp8", .f8E4M3, 4, .f8E8M0, 32),
        ]
        guard scales.dtype == .u8, scales.shape.count == leading.count + 1, Array(scales.shape.dropLast()) == leading,
              let mode = modes.first(where: { words * $0.codesPerWord == perRow * $0.block }) else {
            let expected = modes.map { "\($0.name) \(leading + [words * $0.codesPerWord / $0.block])" }.joined(separator: ", ")
            throw CheckpointError(file: file, tensor: packed.name, rule: .mlxLayout(companion: packed.name.dropLast("weight".count) + "biases", reason:
                "is missing, and '\(scales.name)' is \(scales.dtype.name) \(scales.shape), not the U8 scales of an MLX floating-point mode (\(expected))"))
        }
        try requireFactorCount(scales.elementCount, of: scales.name, for: packed.name, file: file)
        makeMicroscaled(&tensors, weight: index, as: packed, codes: mode.codes, shape: leading + [words * mode.codesPerWord],
                        factors: scalesIndex, factorType: mode.factors, block: mode.block)
    }
}
