import CheckpointFixtures
import Checkpoints
import Fingerprinting
import Foundation
import SyntheticModels

/// Test support: temporary directories, writing `ModelWeights` as checkpoints, fingerprinting them.
public enum Fixtures {
    /// A fresh directory, removed when the test process exits (`ScratchDirectories`).
    public static func temporaryDirectory(_ label: String = "fp") -> String {
        ScratchDirectories.make(label)
    }

    /// How to store a model on disk.
    public struct Layout {
        public var dtype: DType = .f32
        public var shards = 1
        public var rename: (String) -> String = { $0 }
        /// Names (before renaming) of 2-D tensors to store transposed.
        public var transposed: Set<String> = []
        public var reverseOrder = false

        public init(dtype: DType = .f32, shards: Int = 1, rename: @escaping (String) -> String = { $0 },
                    transposed: Set<String> = [], reverseOrder: Bool = false) {
            self.dtype = dtype
            self.shards = shards
            self.rename = rename
            self.transposed = transposed
            self.reverseOrder = reverseOrder
        }
    }

    /// Writes `model` as safetensors (sharded with an index when `shards > 1`); returns the path to open.
    @discardableResult
    public static func write(_ model: ModelWeights, to directory: String, layout: Layout = Layout()) throws -> String {
        var tensors = model.tensors.map { tensor -> SafetensorsWriter.Tensor in
            var shape = tensor.shape
            var values = tensor.values
            if layout.transposed.contains(tensor.name), shape.count == 2 {
                values = transpose(values, rows: shape[0], cols: shape[1])
                shape = [shape[1], shape[0]]
            }
            return .init(name: layout.rename(tensor.name), shape: shape, values: values, as: layout.dtype)
        }
        if layout.reverseOrder { tensors.reverse() }
        if layout.shards <= 1 {
            let path = directory + "/model.safetensors"
            try SafetensorsWriter.write(tensors, metadata: ["format": "pt"], to: path)
            return path
        }
        var weightMap: [String: String] = [:]
        let perShard = (tensors.count + layout.shards - 1) / layout.shards
        for shard in 0..<layout.shards {
            let name = String(format: "model-%05d-of-%05d.safetensors", shard + 1, layout.shards)
            let slice = Array(tensors[min(tensors.count, shard * perShard)..<min(tensors.count, (shard + 1) * perShard)])
            try SafetensorsWriter.write(slice, metadata: ["format": "pt"], to: directory + "/" + name)
            for tensor in slice { weightMap[tensor.name] = name }
        }
        let index = ["metadata": ["total_size": 0], "weight_map": weightMap] as [String: Any]
        let data = try JSONSerialization.data(withJSONObject: index, options: [.sortedKeys])
        try data.write(to: URL(fileURLWithPath: directory + "/model.safetensors.index.json"))
        return directory
    }

    public static func transpose(_ values: [Float], rows: Int, cols: Int) -> [Float] {
        var out = [Float](repeating: 0, count: values.count)
        for r in 0..<rows { for c in 0..<cols { out[c * rows + r] = values[r * cols + c] } }
        return out
    }

    /// Rounds every value to the nearest BF16 (so F32 ↔ BF16 round trips are lossless).
    public static func bf16Exact(_ model: ModelWeights) -> ModelWeights {
        var result = model
        for index in result.tensors.indices {
            result.tensors[index].values = result.tensors[index].values.map { FloatBits.bfloat16(FloatEncoding.bfloat16Bits($0)) }
        }
        return result
    }

    /// Fingerprints a model written with `layout`.
    public static func fingerprint(_ model: ModelWeights, layout: Layout = Layout(), options: FingerprintOptions = FingerprintOptions()) throws -> Fingerprint {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try write(model, to: directory, layout: layout)
        return try Fingerprinter.fingerprint(path: path, options: options)
    }
}

/// Function-preserving and noising transforms of a Llama-family `ModelWeights`, for tests.
public enum TestAttacks {
    /// Permutes hidden (residual) dimensions everywhere, norms included.
    public static func permuteHidden(_ model: ModelWeights, seed: UInt64) -> ModelWeights {
        let d = model.spec.hiddenSize
        var rng = SplitMix64(seed: seed)
        let permutation = Array(0..<d).shuffled(using: &rng)
        var result = model
        for index in result.tensors.indices {
            var tensor = result.tensors[index]
            let name = tensor.name
            if tensor.shape == [d] {
                tensor.values = permutation.map { tensor.values[$0] }
            } else if tensor.shape.count == 2 {
                let rows = tensor.shape[0], cols = tensor.shape[1]
                let hiddenColumns = name.contains("embed_tokens") || name.contains("lm_head") || name.contains("q_proj")
                    || name.contains("k_proj") || name.contains("v_proj") || name.contains("gate_proj") || name.contains("up_proj")
                let hiddenRows = name.contains("o_proj") || name.contains("down_proj")
                var values = tensor.values
                if hiddenColumns {
                    for r in 0..<rows { for c in 0..<cols { values[r * cols + c] = tensor.values[r * cols + permutation[c]] } }
                } else if hiddenRows {
                    for r in 0..<rows { for c in 0..<cols { values[r * cols + c] = tensor.values[permutation[r] * cols + c] } }
                }
                tensor.values = values
            }
            result.tensors[index] = tensor
        }
        return result
    }

    /// Permutes MLP neurons in every layer (gate/up rows, down columns), with reciprocal rescaling.
    public static func permuteNeurons(_ model: ModelWeights, seed: UInt64, rescale: Bool = false) -> ModelWeights {
        var result = model
        var rng = SplitMix64(seed: seed)
        let f = model.spec.intermediateSize, d = model.spec.hiddenSize
        for layer in 0..<model.spec.layerCount {
            let permutation = Array(0..<f).shuffled(using: &rng)
            let scales: [Float] = (0..<f).map { _ in rescale ? 0.5 + 1.5 * rng.nextUnit() : 1 }
            let p = "model.layers.\(layer).mlp."
            for name in [p + "gate_proj.weight", p + "up_proj.weight"] {
                var tensor = result[name]!
                let old = tensor.values
                for r in 0..<f {
                    let scale: Float = name.contains("up_proj") ? scales[r] : 1
                    for c in 0..<d { tensor.values[r * d + c] = old[permutation[r] * d + c] * scale }
                }
                result[name] = tensor
            }
            var down = result[p + "down_proj.weight"]!
            let old = down.values
            for r in 0..<d { for c in 0..<f { down.values[r * f + c] = old[r * f + permutation[c]] / scales[c] } }
            result[p + "down_proj.weight"] = down
        }
        return result
    }

    /// Permutes attention heads in every layer (q/k/v rows and o columns by head blocks),
    /// and rescales Q×c, K/c, V×c', O/c'.
    public static func permuteHeads(_ model: ModelWeights, seed: UInt64, rescale: Bool = false) -> ModelWeights {
        var result = model
        var rng = SplitMix64(seed: seed)
        let heads = model.spec.headCount, hd = model.spec.headDimension, d = model.spec.hiddenSize
        precondition(model.spec.keyValueHeadCount == heads)
        for layer in 0..<model.spec.layerCount {
            let permutation = Array(0..<heads).shuffled(using: &rng)
            let rowMap = (0..<d).map { permutation[$0 / hd] * hd + $0 % hd }
            let p = "model.layers.\(layer).self_attn."
            let qScale: Float = rescale ? 1.7 : 1, vScale: Float = rescale ? 0.6 : 1
            for (name, scale) in [(p + "q_proj.weight", qScale), (p + "k_proj.weight", 1 / qScale), (p + "v_proj.weight", vScale)] {
                var tensor = result[name]!
                let old = tensor.values
                for r in 0..<d { for c in 0..<d { tensor.values[r * d + c] = old[rowMap[r] * d + c] * scale } }
                result[name] = tensor
            }
            var output = result[p + "o_proj.weight"]!
            let old = output.values
            for r in 0..<d { for c in 0..<d { output.values[r * d + c] = old[r * d + rowMap[c]] / vScale } }
            result[p + "o_proj.weight"] = output
        }
        return result
    }

    /// Adds Gaussian noise of relative size `relative` × (tensor std) to every tensor.
    public static func noise(_ model: ModelWeights, relative: Float, seed: UInt64) -> ModelWeights {
        var result = model
        for index in result.tensors.indices {
            var rng = SplitMix64.derived(seed: seed, label: result.tensors[index].name)
            let values = result.tensors[index].values
            let mean = values.reduce(0, +) / Float(values.count)
            let std = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(values.count)).squareRoot()
            let sigma = relative * (std > 0 ? std : 0.02)
            result.tensors[index].values = values.map { $0 + sigma * rng.nextGaussian() }
        }
        return result
    }
}
