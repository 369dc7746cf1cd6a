import Foundation

// MARK: - MLX affine quantization (mlx_lm's quantized checkpoints)

extension ScalePairing {
    /// MLX's group size when `config.json` does not state one (`mlx_lm convert -q` default).
    static let mlxDefaultGroupSize = 64

    /// MLX affine-quantized weights as `mlx_lm` saves them (mlx-community's `…-4bit`, `…-8bit`):
    /// `P.weight` (U32 `[N, K·bits/32]`, codes packed little-endian along the row, the first in
    /// the lowest bits) with `P.scales` and `P.biases` (F16, BF16 or F32 `[N, K/g]`), g from
    /// `config.json`'s `quantization.group_size` (64 when absent) and the bit width from the
    /// shapes. Value = code × scale + bias of the code's group (unsigned codes; MLX's scale may
    /// be negative). 4-bit codes become the weight as I4 `[N, K]` (their bytes are already two
    /// codes per byte, low nibble first), 8-bit codes as U8, and 2-, 3-, 5- and 6-bit codes as U8
    /// unpacked from each row's bit stream (`CodePacking`); widths MLX does not write are an error.
    /// Without `P.biases`, U8 `P.scales` `[N, K/32]` is MLX's `mxfp4` mode: E2M1 codes scaled by
    /// 2^(s − 127) per 32 values, read as F4 with F8_E8M0 factors like gpt-oss's MXFP4.
    static func pairMLXAffine(_ tensors: inout [TensorInfo], fileName: (Int) -> String, groupSize: Int?) throws(CheckpointError) {
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
            guard packed.shape.count == 2, packed.shape[1] > 0 else {
                throw layoutError(scales.name, "scales a weight of shape \(packed.shape), not a matrix of packed words")
            }
            let (rows, words) = (packed.shape[0], packed.shape[1])
            guard let biasesIndex = indexByName[prefix + "biases"] else {
                // No biases: MLX's mxfp4 mode, E2M1 codes with an E8M0 exponent per 32 (gpt-oss's MXFP4 values).
                guard scales.dtype == .u8, scales.shape == [rows, words * 8 / 32], words % 4 == 0 else {
                    throw layoutError(prefix + "biases", "is missing, and '\(scales.name)' is \(scales.dtype.name) \(scales.shape), not the U8 [\(rows), \(words / 4)] exponents of MLX's mxfp4 mode")
                }
                try requireFactorCount(scales.elementCount, of: scales.name, for: packed.name, file: file)
                makeMXFP4(&tensors, weight: index, as: packed, shape: [rows, words * 8], exponents: scalesIndex)
                continue
            }
            let biases = tensors[biasesIndex]
            guard isFactorType(scales.dtype), scales.shape.count == 2, scales.shape[0] == rows, scales.shape[1] > 0 else {
                throw layoutError(scales.name, "is \(scales.dtype.name) \(scales.shape), not floats [\(rows), groups]")
            }
            guard isFactorType(biases.dtype), biases.shape == scales.shape else {
                throw layoutError(biases.name, "is \(biases.dtype.name) \(biases.shape), not floats of the scales' shape \(scales.shape)")
            }
            let group = groupSize ?? mlxDefaultGroupSize
            let groups = scales.shape[1]
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
            weight.shape = [rows, groups * group]
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
}
