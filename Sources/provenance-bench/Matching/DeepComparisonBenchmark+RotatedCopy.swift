import Checkpoints
import Foundation

// MARK: - The rotated copy

extension DeepComparisonBenchmark {
    /// Writes a copy of the synthetic checkpoint with its residual stream rotated as QuaRot does:
    /// every norm weight folded into the matrices that read its output (and set to 1), then
    /// R = H·D/√d (H the Walsh–Hadamard matrix, D random signs) applied to every vector along
    /// the hidden width — embedding and head rows, the rows of q/k/v/gate/up, the columns of
    /// o/down. R is orthogonal and mixes every dimension, so no hidden permutation lines the copy
    /// up; the fast transform keeps writing the copy to seconds (a dense R would cost d² per vector).
    struct RotatedCopy {
        var architecture: SyntheticLLMCheckpoint.Architecture

        func open(at path: String, from original: CheckpointReader, note: (String) -> Void) throws -> CheckpointReader {
            if let reader = try? CheckpointReader(path: path),
               reader.checkpoint.tensors.map(\.name) == original.checkpoint.tensors.map(\.name),
               reader.checkpoint.tensors.map(\.byteCount) == original.checkpoint.tensors.map(\.byteCount) {
                return reader
            }
            note("writing a rotated copy of \(original.checkpoint.tensors.count) tensors to \(path) (once) …")
            let tensors = original.checkpoint.tensors, d = architecture.hidden
            precondition(d > 0 && d & (d - 1) == 0, "the Walsh–Hadamard transform needs a power-of-two width")
            var random = UInt64(0x207A7E)
            let signs = (0..<d).map { _ in PermutedCopy.next(&random) & 1 == 0 ? Float(1) : -1 }
            // The norm weights, read first: they are folded into the readers after them.
            var norms: [String: [Float]] = [:]
            for tensor in tensors where tensor.name.hasSuffix("norm.weight") {
                norms[tensor.name] = try Self.floats(of: tensor, in: original, rows: 0..<1, width: d)
            }
            let declarations = tensors.map { SafetensorsWriter.Declaration(name: $0.name, dtype: $0.dtype, shape: $0.shape) }
            try SafetensorsWriter.write(declarations, metadata: ["format": "pt"], to: path) { index, sink in
                let tensor = tensors[index]
                if tensor.name.hasSuffix("norm.weight") {
                    try Self.write([Float](repeating: 1, count: tensor.elementCount), to: sink)
                } else if tensor.name.contains("o_proj") || tensor.name.contains("down_proj") {
                    // Writers, [d, units]: R·W, the transform down each column.
                    let units = tensor.shape[1]
                    var values = try Self.floats(of: tensor, in: original, rows: 0..<d, width: units)
                    for row in 0..<d where signs[row] < 0 { for j in 0..<units { values[row * units + j] = -values[row * units + j] } }
                    Self.hadamard(&values, length: d, stride: units)
                    try Self.write(values, to: sink)
                } else {
                    // Readers and token rows, [units, d]: W·diag(γ)·Rᵀ, the transform along each row.
                    let gamma = Self.foldedNorm(of: tensor.name, norms: norms)
                    let rows = tensor.shape[0], band = max(1, (1 << 20) / d)
                    for first in stride(from: 0, to: rows, by: band) {
                        var values = try Self.floats(of: tensor, in: original, rows: first..<min(rows, first + band), width: d)
                        for start in stride(from: 0, to: values.count, by: d) {
                            for i in 0..<d { values[start + i] *= signs[i] * (gamma?[i] ?? 1) }
                            values.withUnsafeMutableBufferPointer { Self.hadamard(UnsafeMutableBufferPointer(rebasing: $0[start..<start + d]), length: d, stride: 1) }
                        }
                        try Self.write(values, to: sink)
                    }
                }
            }
            return try CheckpointReader(path: path)
        }

        /// The norm weight folded into a reader of the normalised stream (Llama names).
        static func foldedNorm(of name: String, norms: [String: [Float]]) -> [Float]? {
            if name.hasPrefix("lm_head") { return norms["model.norm.weight"] }
            guard let range = name.range(of: #"model\.layers\.\d+\."#, options: .regularExpression) else { return nil }
            let prefix = String(name[range])
            if name.contains("q_proj") || name.contains("k_proj") || name.contains("v_proj") { return norms[prefix + "input_layernorm.weight"] }
            if name.contains("gate_proj") || name.contains("up_proj") { return norms[prefix + "post_attention_layernorm.weight"] }
            return nil
        }

        /// Rows `rows` of a BF16 tensor `width` wide, as Float.
        static func floats(of tensor: TensorInfo, in reader: CheckpointReader, rows: Range<Int>, width: Int) throws -> [Float] {
            var bits = [UInt16](repeating: 0, count: rows.count * width)
            try bits.withUnsafeMutableBytes { try reader.readBytes(of: tensor, at: UInt64(rows.lowerBound * width * 2), into: $0) }
            return bits.map { FloatBits.bfloat16(UInt16(littleEndian: $0)) }
        }

        /// `values` as BF16 (round to nearest even) into `sink`.
        static func write(_ values: [Float], to sink: (UnsafeRawBufferPointer) throws -> Void) throws {
            let bits = values.map { FloatEncoding.bfloat16Bits($0).littleEndian }
            try bits.withUnsafeBytes { try sink($0) }
        }

        /// The orthonormal Walsh–Hadamard transform H/√n of every vector whose n = `length`
        /// elements are `stride` apart (`stride` > 1: the columns of a row-major matrix, each
        /// butterfly a run of whole rows).
        static func hadamard(_ values: UnsafeMutableBufferPointer<Float>, length n: Int, stride: Int) {
            var half = 1
            while half < n {
                for block in Swift.stride(from: 0, to: n, by: 2 * half) {
                    for i in block..<block + half {
                        let a = i * stride, b = (i + half) * stride
                        for j in 0..<stride {
                            let x = values[a + j], y = values[b + j]
                            values[a + j] = x + y
                            values[b + j] = x - y
                        }
                    }
                }
                half *= 2
            }
            let scale = 1 / Float(n).squareRoot()
            for index in 0..<n * stride { values[index] *= scale }
        }

        static func hadamard(_ values: inout [Float], length n: Int, stride: Int) {
            values.withUnsafeMutableBufferPointer { hadamard($0, length: n, stride: stride) }
        }
    }
}
