import Fingerprinting

/// Matches a suspect's neuron-profile sets to a reference's: directly when the tensor
/// alignment already maps the layer, otherwise by screening every reference set of the same
/// kind (mean best |cosine| of input profiles) and cross-checking the best one.
enum ProfileMatching {
    static func match(suspect: Fingerprint, reference: Fingerprint, layerHints: [Int: Int]) -> [ProfileMatch] {
        let t = suspect.header.probeTokens
        guard t == reference.header.probeTokens, suspect.probe.kind == reference.probe.kind,
              suspect.probe.tokenIDs == reference.probe.tokenIDs else { return [] }
        var matches: [ProfileMatch] = []
        for set in suspect.profiles {
            let candidates = reference.profiles.filter { $0.kind == set.kind }
            guard !candidates.isEmpty else { continue }
            var chosen: NeuronProfileSet
            var comparisons = 1
            if let hinted = layerHints[set.layer], let direct = candidates.first(where: { $0.layer == hinted }) {
                chosen = direct
            } else {
                comparisons = candidates.count
                chosen = candidates.max { screen(set, $0, t) < screen(set, $1, t) }!
            }
            let comparison = ProfileComparison.compare(
                referenceInput: chosen.inputProfiles, referencePaired: chosen.pairedProfiles,
                suspectInput: set.inputProfiles, suspectPaired: set.pairedProfiles, t: t)
            // Is the recovered alignment the identity on original neuron indices?
            var same = 0, aligned = 0
            for (position, suspectPosition) in comparison.alignment.enumerated() where suspectPosition >= 0 {
                aligned += 1
                if chosen.selected[position] == set.selected[suspectPosition] { same += 1 }
            }
            let logP = LogProbability.bonferroni(comparison.logPValue, comparisons: comparisons)
            matches.append(ProfileMatch(
                kind: set.kind, suspectLayer: set.layer, referenceLayer: chosen.layer,
                suspectTensor: set.inputTensor, referenceTensor: chosen.inputTensor,
                matchedNeurons: comparison.matched, inputAgreement: comparison.inputAgreement,
                crossCheck: comparison.crossCheck, nullMean: comparison.nullMean, nullStd: comparison.nullStd,
                z: comparison.z, log10P: LogProbability.log10(logP), permutationPValue: comparison.permutationPValue,
                identityFraction: aligned > 0 ? Double(same) / Double(aligned) : 0, comparisons: comparisons))
        }
        return matches
    }

    /// Mean over suspect neurons of the best |cosine| with any reference neuron.
    static func screen(_ suspect: NeuronProfileSet, _ reference: NeuronProfileSet, _ t: Int) -> Double {
        let s = suspect.inputProfiles, r = reference.inputProfiles
        let sCount = s.count / t, rCount = r.count / t
        guard sCount > 0, rCount > 0 else { return 0 }
        var total = 0.0
        s.withUnsafeBufferPointer { s in
            r.withUnsafeBufferPointer { r in
                for i in 0..<sCount {
                    var bestValue: Float = 0
                    for j in 0..<rCount {
                        var dot: Float = 0
                        for k in 0..<t { dot += s[i * t + k] * r[j * t + k] }
                        bestValue = max(bestValue, abs(dot))
                    }
                    total += Double(bestValue)
                }
            }
        }
        return total / Double(sCount)
    }
}
