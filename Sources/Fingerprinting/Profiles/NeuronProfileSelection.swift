/// Keeps the most informative neurons of a profile set, in a permutation-equivariant way.
enum NeuronProfileSelection {
    /// Ranks neurons by ‖input profile‖ · ‖paired profile‖ (unchanged by reciprocal per-neuron
    /// rescaling and by permutations), keeps the top `ProfilePlan.neuronLimit`, and scales
    /// each kept profile to unit norm.
    static func select(kind: String, layer: Int, inputTensor: String, pairedTensor: String,
                       input: [Float], paired: [Float]) -> NeuronProfileSet {
        let t = ProbeBasis.tokenCount
        let n = min(input.count, paired.count) / t
        func norm(_ values: [Float], _ k: Int) -> Double {
            var sum = 0.0
            for index in (k * t)..<((k + 1) * t) { sum += Double(values[index]) * Double(values[index]) }
            return sum.squareRoot()
        }
        let inputNorms = (0..<n).map { norm(input, $0) }
        let pairedNorms = (0..<n).map { norm(paired, $0) }
        let order = (0..<n).sorted { a, b in
            let left = inputNorms[a] * pairedNorms[a], right = inputNorms[b] * pairedNorms[b]
            return left != right ? left > right : a < b
        }
        let kept = Array(order.prefix(ProfilePlan.neuronLimit))
        var inputProfiles: [Float] = [], pairedProfiles: [Float] = []
        inputProfiles.reserveCapacity(kept.count * t)
        pairedProfiles.reserveCapacity(kept.count * t)
        for k in kept {
            let inScale = inputNorms[k] > 0 ? 1 / inputNorms[k] : 0
            let pairScale = pairedNorms[k] > 0 ? 1 / pairedNorms[k] : 0
            for index in (k * t)..<((k + 1) * t) {
                inputProfiles.append(Float(Double(input[index]) * inScale))
                pairedProfiles.append(Float(Double(paired[index]) * pairScale))
            }
        }
        return NeuronProfileSet(kind: kind, layer: layer, inputTensor: inputTensor, pairedTensor: pairedTensor,
                                neuronCount: n, selected: kept, inputProfiles: inputProfiles, pairedProfiles: pairedProfiles)
    }

    /// A standalone set (`matrix.rows` / `matrix.columns`): every neuron kept (up to the
    /// standalone limit, then the largest by norm), in neuron order, unit-norm; no paired profiles.
    static func standalone(kind: String, tensor: String, profiles: [Float]) -> NeuronProfileSet {
        let t = ProbeBasis.tokenCount
        let n = profiles.count / t
        let norms = (0..<n).map { k -> Double in
            var sum = 0.0
            for index in (k * t)..<((k + 1) * t) { sum += Double(profiles[index]) * Double(profiles[index]) }
            return sum.squareRoot()
        }
        var kept = Array(0..<n)
        if n > ProfilePlan.standaloneNeuronLimit {
            kept = Array(kept.sorted { norms[$0] != norms[$1] ? norms[$0] > norms[$1] : $0 < $1 }.prefix(ProfilePlan.standaloneNeuronLimit)).sorted()
        }
        var normalized: [Float] = []
        normalized.reserveCapacity(kept.count * t)
        for k in kept {
            let scale = norms[k] > 0 ? 1 / norms[k] : 0
            for index in (k * t)..<((k + 1) * t) { normalized.append(Float(Double(profiles[index]) * scale)) }
        }
        return NeuronProfileSet(kind: kind, layer: -1, inputTensor: tensor, pairedTensor: "", neuronCount: n,
                                selected: kept, inputProfiles: normalized, pairedProfiles: [])
    }
}
