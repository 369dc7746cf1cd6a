import SyntheticModels

/// Adds independent Gaussian noise to every floating-point tensor: σ = r × the tensor's
/// standard deviation (population, over all its values); a constant tensor (std 0, e.g. norm
/// weights at initialisation) gets σ = r × its root-mean-square instead, so all-zero tensors
/// stay zero. Integer buffers are untouched.
///
/// Tensor `name` draws from `SplitMix64.derived(seed: seed, label: name)` (`nextGaussian`:
/// Irwin–Hall, mean 0, variance 1, bit-identical on every platform).
public struct GaussianNoise: Perturbation {
    /// r: noise standard deviation relative to each tensor's.
    public var relativeStandardDeviation: Float
    public var seed: UInt64
    public var step: PerturbationStep { .noise }

    public init(relativeStandardDeviation: Float, seed: UInt64) {
        self.relativeStandardDeviation = relativeStandardDeviation
        self.seed = seed
    }

    /// σ for a tensor with these values.
    public func sigma(for values: [Float]) -> Double {
        guard !values.isEmpty else { return 0 }
        var sum = 0.0, squares = 0.0
        for value in values {
            sum += Double(value)
            squares += Double(value) * Double(value)
        }
        let n = Double(values.count), mean = sum / n
        let variance = max(0, squares / n - mean * mean)
        let spread = variance > 0 ? variance.squareRoot() : (squares / n).squareRoot()
        return Double(relativeStandardDeviation) * spread
    }

    public func apply(to model: inout CheckpointModel) throws(PerturbationError) -> PerturbationRecord {
        let attack = step.name
        guard relativeStandardDeviation.isFinite, relativeStandardDeviation >= 0 else {
            throw PerturbationError(attack: attack, rule: .invalidArgument("the relative noise level must be a finite number ≥ 0, got \(relativeStandardDeviation)"))
        }
        var touched = 0
        for index in model.entries.indices where model.entries[index].isFloatingPoint {
            let name = model.entries[index].name
            let sigma = sigma(for: model.entries[index].tensor.values)
            guard sigma > 0 else { continue }
            var rng = SplitMix64.derived(seed: seed, label: name)
            var values = model.entries[index].tensor.values
            for i in values.indices { values[i] = Float(Double(values[i]) + sigma * Double(rng.nextGaussian())) }
            model.entries[index].tensor.values = values
            touched += 1
        }
        return PerturbationRecord(
            attack: attack, functionPreserving: false,
            summary: "added Gaussian noise with σ = \(relativeStandardDeviation) × each tensor's std to \(touched) tensors (seed \(seed))",
            parameters: ["seed": .integer(Int(truncatingIfNeeded: seed)), "relative_std": .number(Double("\(relativeStandardDeviation)") ?? Double(relativeStandardDeviation)),
                         "tensors": .integer(touched)])
    }
}
