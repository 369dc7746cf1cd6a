import Fingerprinting
import Foundation

// MARK: - Neurons or heads rescaled one by one

extension VerdictRules {
    /// How much further a matrix's sketch must deviate than its neurons' profiles for the
    /// difference to be a scale per neuron (or head) rather than a change of the weights:
    /// noise moves both alike (the profiles' 1/a² − 1 is about twice the sketch's 1/ρ² − 1 at
    /// 1 % and 10 % noise: a ratio near 0.5), a factor per row moves only the sketch (ratios
    /// of 10⁴ and more; still 15–200 with 2 % noise on top).
    static let unitRescalingRatio = 10.0

    /// Below this sketch deviation (1/ρ² − 1) a matrix is left as it is: rounding territory.
    static let unitRescalingFloor = 1e-3

    /// The matched matrices of `matches` that the neuron profiles show to be the reference's
    /// with each unit (neuron, head row) multiplied by its own factor: a strong profile set
    /// covers them (input side: input agreement; paired side: the cross-check T), and their
    /// sketch deviation is at least `unitRescalingRatio` times the profiles'. Whether the matrix
    /// each unit feeds was scaled back (reciprocity) is not seen: a fine-tune moves row
    /// directions, not only lengths, so this reads a pure scale per unit. Profiles are
    /// unit-norm per neuron, so such factors leave them untouched while every sketch moves
    /// (`perturb --rescale`: sketch cosines 0.87–0.99, profiles 0.999999). Suspect tensor →
    /// the profile agreement, which measures what is left after those factors.
    static func unitRescaledMatches(_ matches: [TensorMatch], strongProfiles: [ProfileMatch]) -> [String: Double] {
        var agreement: [String: Double] = [:]
        for profile in strongProfiles {
            agreement[profile.suspectTensor] = min(agreement[profile.suspectTensor] ?? 1, profile.inputAgreement)
            if let paired = profile.suspectPairedTensor {
                agreement[paired] = min(agreement[paired] ?? 1, profile.crossCheck)
            }
        }
        var result: [String: Double] = [:]
        for match in matches {
            guard let profile = agreement[match.suspectTensor], profile > 0 else { continue }
            let sketch = deviationEnergy(cosine: match.cosine)
            if sketch >= unitRescalingFloor, sketch >= unitRescalingRatio * deviationEnergy(cosine: profile) {
                result[match.suspectTensor] = profile
            }
        }
        return result
    }
}
