import Checkpoints
import Foundation

/// A weight quantized as MLX's `mx.quantize` (affine mode) does and stored as `mlx_lm` saves
/// it: `P.weight` (U32 words, codes packed along the row as a little-endian bit stream, the
/// first in the lowest bits; 2, 3, 4, 5, 6 or 8 bits),
/// `P.scales` and `P.biases` (one per group of `groupSize` values of a row).
///
/// Quantization is MLX's `affine_quantize`: per group, scale = max((max − min) / (2^bits − 1),
/// 1e-7), negated when the maximum's magnitude is the larger; the larger-magnitude edge is made
/// exact (q0 = rint(edge / scale); when q0 ≠ 0, scale = edge / q0 and bias = edge, else bias 0);
/// code = clamp(rint((value − bias) / scale), 0, 2^bits − 1). Scales and biases are stored in
/// `storage` (the model's dtype); dequantization computes code × scale + bias with the stored ones.
public enum MLXTensors {
    public static func affine(
        name: String, values: [Float], rows: Int, columns: Int, bits: Int = 4, groupSize: Int = 64, storage: DType = .bf16
    ) -> (tensors: [TensorBytes], dequantized: [Float]) {
        precondition(values.count == rows * columns && columns % groupSize == 0 && [2, 3, 4, 5, 6, 8].contains(bits)
                     && (columns * bits) % 32 == 0 && name.hasSuffix("weight"))
        let prefix = String(name.dropLast("weight".count))
        let bins = Float((1 << bits) - 1)
        let groups = values.count / groupSize
        var scales = [Float](repeating: 0, count: groups), biases = [Float](repeating: 0, count: groups)
        var codes = [UInt32](repeating: 0, count: values.count)
        for group in 0..<groups {
            let slice = values[(group * groupSize)..<((group + 1) * groupSize)]
            let low = slice.min()!, high = slice.max()!
            let negative = abs(low) > abs(high)
            var scale = max((high - low) / bins, 1e-7)
            if !negative { scale = -scale }
            let edge = negative ? low : high
            let q0 = (edge / scale).rounded(.toNearestOrEven)
            var bias: Float = 0
            if q0 != 0 {
                scale = edge / q0
                bias = edge
            }
            for index in slice.indices {
                codes[index] = UInt32(min(max(((values[index] - bias) / scale).rounded(.toNearestOrEven), 0), bins))
            }
            scales[group] = scale
            biases[group] = bias
        }
        // One little-endian bit stream, the first code in the lowest bits (for 4 and 8 bits the
        // same bytes as packing 32 / bits codes per little-endian U32 word).
        var packed = [UInt8](repeating: 0, count: values.count * bits / 8)
        for index in codes.indices {
            for bit in 0..<bits where codes[index] >> UInt32(bit) & 1 == 1 {
                let position = index * bits + bit
                packed[position / 8] |= 1 << UInt8(position % 8)
            }
        }
        let scaleTensor = TensorBytes(name: prefix + "scales", shape: [rows, columns / groupSize], values: scales, as: storage)
        let biasTensor = TensorBytes(name: prefix + "biases", shape: [rows, columns / groupSize], values: biases, as: storage)
        let storedScales = stored(scaleTensor), storedBiases = stored(biasTensor)
        let dequantized = codes.indices.map { Float(codes[$0]) * storedScales[$0 / groupSize] + storedBiases[$0 / groupSize] }
        let weight = TensorBytes(name: name, dtype: .u32, shape: [rows, columns * bits / 32], bytes: packed)
        return ([weight, scaleTensor, biasTensor], dequantized)
    }

    /// The values a float tensor's bytes hold.
    private static func stored(_ tensor: TensorBytes) -> [Float] {
        var values = [Float](repeating: 0, count: tensor.shape.reduce(1, *))
        tensor.bytes.withUnsafeBytes { raw in values.withUnsafeMutableBufferPointer { tensor.dtype.decode(raw, into: $0) } }
        return values
    }
}
