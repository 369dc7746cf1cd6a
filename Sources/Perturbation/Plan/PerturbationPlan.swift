import SyntheticModels

/// Several attacks composed in the fixed order of `PerturbationStep`, with seeds derived
/// from one master seed.
public struct PerturbationPlan: Sendable {
    /// The master seed.
    public var seed: UInt64
    /// The attacks, in the order they were added.
    public private(set) var perturbations: [any Perturbation] = []

    public init(seed: UInt64) {
        self.seed = seed
    }

    /// The seed of the attack at `step`: `SplitMix64.derived(seed: seed, label: "perturb/" + step.name).next() >> 11`
    /// (53 bits, so it survives JSON readers that use doubles).
    public static func derivedSeed(_ seed: UInt64, for step: PerturbationStep) -> UInt64 {
        var rng = SplitMix64.derived(seed: seed, label: "perturb/" + step.name)
        return rng.next() >> 11
    }

    /// `derivedSeed(seed, for: step)`.
    public func seed(for step: PerturbationStep) -> UInt64 {
        Self.derivedSeed(seed, for: step)
    }

    public mutating func add(_ perturbation: any Perturbation) {
        perturbations.append(perturbation)
    }

    /// The attacks in application order (stable for equal steps).
    public var ordered: [any Perturbation] {
        perturbations.enumerated().sorted { ($0.element.step.rawValue, $0.offset) < ($1.element.step.rawValue, $1.offset) }.map(\.element)
    }

    /// Applies every attack in order; returns what each did.
    public func apply(to model: inout CheckpointModel) throws(PerturbationError) -> [PerturbationRecord] {
        var records: [PerturbationRecord] = []
        for perturbation in ordered {
            records.append(try perturbation.apply(to: &model))
        }
        return records
    }
}
