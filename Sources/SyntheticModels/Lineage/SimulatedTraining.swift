/// Cheap stand-ins for training, to build model lineages in tests and samples.
///
/// A real fine-tune moves weights by a small, structured amount: mostly low-rank
/// directions shared across a tensor, plus a little dense noise, and it also drifts
/// norm weights and biases. `fineTune` imitates that; it is not a substitute for the
/// real training used in `make eval`.
public enum SimulatedTraining {
    /// Returns `model` moved by a fine-tuning-like update of relative size `strength`
    /// (Frobenius norm of the update ≈ strength × norm of each matrix).
    public static func fineTune(_ model: ModelWeights, seed: UInt64, strength: Float = 0.05, rank: Int = 4) -> ModelWeights {
        var result = model
        for index in result.tensors.indices {
            var tensor = result.tensors[index]
            var rng = SplitMix64.derived(seed: seed, label: "finetune:" + tensor.name)
            let count = tensor.values.count
            let norm = (tensor.values.reduce(Float(0)) { $0 + $1 * $1 }).squareRoot()
            if tensor.shape.count == 2 {
                let rows = tensor.shape[0], cols = tensor.shape[1]
                var update = [Float](repeating: 0, count: count)
                for _ in 0..<rank {
                    let u = (0..<rows).map { _ in rng.nextGaussian() }
                    let v = (0..<cols).map { _ in rng.nextGaussian() }
                    for r in 0..<rows {
                        for c in 0..<cols { update[r * cols + c] += u[r] * v[c] }
                    }
                }
                for i in 0..<count { update[i] += 0.5 * Float(rank).squareRoot() * rng.nextGaussian() }
                let updateNorm = (update.reduce(Float(0)) { $0 + $1 * $1 }).squareRoot()
                let scale = updateNorm > 0 ? strength * norm / updateNorm : 0
                for i in 0..<count { tensor.values[i] += update[i] * scale }
            } else {
                // Norm weights and biases drift by a small absolute amount.
                for i in 0..<count { tensor.values[i] += strength * 0.1 * rng.nextGaussian() }
            }
            result.tensors[index] = tensor
        }
        return result
    }
}
