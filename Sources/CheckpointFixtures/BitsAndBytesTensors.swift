import Checkpoints
import Foundation

/// A weight quantized as bitsandbytes' 4-bit NF4 and stored as transformers saves it: `W` (U8,
/// two codes per byte, the first in the high nibble), `W.absmax` (F32 per block of 64 values, or
/// with double quantization U8 codes plus `W.nested_absmax` and `W.nested_quant_map`),
/// `W.quant_map` (F32 [16]) and `W.quant_state.bitsandbytes__nf4` (the JSON quant state as U8).
///
/// Quantization is bitsandbytes': each block's largest magnitude is its factor, each value the
/// code whose codebook entry is nearest to value / factor. Double quantization subtracts the
/// factors' mean (`nested_offset`) and stores each factor as the code nearest in a 256-value
/// table (here evenly spaced in −1…1) times its block's largest magnitude (`nested_absmax`).
public enum BitsAndBytesTensors {
    /// bitsandbytes' NF4 codebook.
    public static let nf4: [Float] = [
        -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635, -0.18477343022823334,
        -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
        0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
    ]

    /// The stored tensors of `values` (row-major `[rows, columns]`) quantized to NF4, and the
    /// values bitsandbytes' dequantization gives back.
    public static func nf4(
        name: String, values: [Float], rows: Int, columns: Int, blockSize: Int = 64, nestedBlockSize: Int? = nil
    ) -> (tensors: [TensorBytes], dequantized: [Float]) {
        precondition(values.count == rows * columns && values.count % 2 == 0 && values.count % blockSize == 0)
        let blocks = values.count / blockSize
        var absmax = (0..<blocks).map { block in values[(block * blockSize)..<((block + 1) * blockSize)].reduce(Float(0)) { max($0, abs($1)) } }
        var codes = [UInt8](repeating: 0, count: values.count)
        for index in values.indices {
            let factor = absmax[index / blockSize]
            let normalized = factor > 0 ? values[index] / factor : 0
            codes[index] = UInt8(nf4.indices.min { abs(nf4[$0] - normalized) < abs(nf4[$1] - normalized) }!)
        }
        let packed = stride(from: 0, to: codes.count, by: 2).map { codes[$0] << 4 | codes[$0 + 1] }
        // The non-tensor entries of `QuantState.as_dict`, in its order, as `json.dumps` writes them.
        var state = "{\"quant_type\": \"nf4\", \"blocksize\": \(blockSize), \"dtype\": \"bfloat16\", \"shape\": [\(rows), \(columns)]"
        var tensors: [TensorBytes] = [.init(name: name, dtype: .u8, shape: [packed.count, 1], bytes: packed)]
        if let nestedBlockSize {
            let offset = absmax.reduce(0, +) / Float(absmax.count)
            let table = (0..<256).map { Float($0) / 127.5 - 1 }
            let centred = absmax.map { $0 - offset }
            let nestedCount = (blocks + nestedBlockSize - 1) / nestedBlockSize
            let nestedAbsmax = (0..<nestedCount).map { group in
                centred[(group * nestedBlockSize)..<min(blocks, (group + 1) * nestedBlockSize)].reduce(Float(0)) { max($0, abs($1)) }
            }
            var absmaxCodes = [UInt8](repeating: 0, count: blocks)
            for block in 0..<blocks {
                let scale = nestedAbsmax[block / nestedBlockSize]
                let normalized = scale > 0 ? centred[block] / scale : 0
                absmaxCodes[block] = UInt8(table.indices.min { abs(table[$0] - normalized) < abs(table[$1] - normalized) }!)
                absmax[block] = table[Int(absmaxCodes[block])] * scale + offset
            }
            tensors += [
                .init(name: name + ".absmax", dtype: .u8, shape: [blocks], bytes: absmaxCodes),
                .init(name: name + ".nested_absmax", shape: [nestedCount], values: nestedAbsmax),
                .init(name: name + ".nested_quant_map", shape: [256], values: table),
            ]
            state += ", \"nested_blocksize\": \(nestedBlockSize), \"nested_dtype\": \"float32\", \"nested_offset\": \(offset)"
        } else {
            tensors.append(.init(name: name + ".absmax", shape: [blocks], values: absmax))
        }
        state += "}"
        tensors += [
            .init(name: name + ".quant_map", shape: [16], values: nf4),
            .init(name: name + ".quant_state.bitsandbytes__nf4", dtype: .u8, shape: [state.utf8.count], bytes: Array(state.utf8)),
        ]
        let dequantized = codes.indices.map { nf4[Int(codes[$0])] * absmax[$0 / blockSize] }
        return (tensors, dequantized)
    }

    /// The stored tensors of `values` (row-major `[rows, columns]`) quantized as bitsandbytes'
    /// LLM.int8 (`int8_vectorwise_quant`: each row's largest magnitude is its `SCB`, each value
    /// rounded to value × 127 / SCB), stored as transformers saves a `load_in_8bit` model —
    /// `P.weight` (I8), `P.SCB` (F32) and `P.weight_format` (U8 0) for `name` = `P.weight` —
    /// and the values bitsandbytes' `int8_vectorwise_dequant` gives back: code × SCB × (1/127 in F32).
    public static func llmInt8(name: String, values: [Float], rows: Int, columns: Int) -> (tensors: [TensorBytes], dequantized: [Float]) {
        precondition(values.count == rows * columns && name.hasSuffix("weight"))
        let prefix = String(name.dropLast("weight".count))
        let absmax = (0..<rows).map { row in values[(row * columns)..<((row + 1) * columns)].reduce(Float(0)) { max($0, abs($1)) } }
        let codes = values.indices.map { index -> Int8 in
            let factor = absmax[index / columns]
            return factor > 0 ? Int8((values[index] * (127 / factor)).rounded(.toNearestOrEven)) : 0
        }
        let inverse: Float = 7.874015718698502e-3
        let dequantized = codes.indices.map { Float(codes[$0]) * absmax[$0 / columns] * inverse }
        let tensors: [TensorBytes] = [
            .init(name: name, dtype: .i8, shape: [rows, columns], bytes: codes.map { UInt8(bitPattern: $0) }),
            .init(name: prefix + "SCB", shape: [rows], values: absmax),
            .init(name: prefix + "weight_format", dtype: .u8, shape: [], bytes: [0]),
        ]
        return (tensors, dequantized)
    }
}
