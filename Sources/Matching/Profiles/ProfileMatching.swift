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
        for set in suspect.profiles where !set.kind.hasPrefix("matrix.") {
            let candidates = reference.profiles.filter { $0.kind == set.kind }
            guard !candidates.isEmpty else { continue }
            var chosen: NeuronProfileSet
            var comparisons = 1
            if let hinted = layerHints[set.layer], let direct = candidates.first(where: { $0.layer == hinted }) {
                chosen = direct
            } else {
                comparisons = candidates.count
                let scores = candidates.map { screen(set, $0, t) }
                chosen = candidates[scores.indices.max { scores[$0] < scores[$1] }!]
            }
            let comparison = ProfileComparison.compare(
                referenceInput: chosen.inputProfiles, referencePaired: chosen.pairedProfiles,
                suspectInput: set.inputProfiles, suspectPaired: set.pairedProfiles, t: t)
            // Is the recovered alignment the identity on original neuron indices, and does it keep their order?
            var same = 0, aligned = 0
            var pairs: [(suspect: Int, reference: Int)] = []
            for (position, suspectPosition) in comparison.alignment.enumerated() where suspectPosition >= 0 {
                aligned += 1
                if chosen.selected[position] == set.selected[suspectPosition] { same += 1 }
                pairs.append((set.selected[suspectPosition], chosen.selected[position]))
            }
            let logP = LogProbability.bonferroni(comparison.logPValue, comparisons: comparisons)
            matches.append(ProfileMatch(
                kind: set.kind, suspectLayer: set.layer, referenceLayer: chosen.layer,
                suspectTensor: set.inputTensor, referenceTensor: chosen.inputTensor,
                matchedNeurons: comparison.matched, inputAgreement: comparison.inputAgreement,
                crossCheck: comparison.crossCheck, nullMean: comparison.nullMean, nullStd: comparison.nullStd,
                z: comparison.z, log10P: LogProbability.log10(logP), permutationPValue: comparison.permutationPValue,
                identityFraction: aligned > 0 ? Double(same) / Double(aligned) : 0, comparisons: comparisons,
                suspectPairedTensor: set.pairedTensor, suspectNeurons: set.neuronCount, referenceNeurons: chosen.neuronCount,
                orderFraction: orderFraction(pairs)))
        }
        matches += matchStandalone(suspect: suspect, reference: reference, t: t)
        return matches
    }

    /// A suspect without layer structure (opaque, shuffled names) carries standalone profiles per
    /// matrix. For each reference set, find the suspect matrix whose profiles best fit its input
    /// side and the one that best fits its paired side, then cross-check them as a pair: the
    /// neuron alignment found on the first must also align the second.
    static func matchStandalone(suspect: Fingerprint, reference: Fingerprint, t: Int) -> [ProfileMatch] {
        var matches: [ProfileMatch] = []
        // Sets taken through the primary probe, and (when present) through the alternative one.
        for probe in [false, true] {
            let standalone = suspect.profiles.filter { $0.kind.hasPrefix("matrix.") && $0.kind.hasSuffix(".alt") == probe }
            guard !standalone.isEmpty else { continue }
            matches += matchStandalone(standalone, reference: reference, t: t)
        }
        // Keep, per reference set, the better of the two probes.
        var best: [String: ProfileMatch] = [:]
        for match in matches {
            let key = "\(match.kind)@\(match.referenceLayer)"
            if best[key].map({ match.log10P < $0.log10P }) ?? true { best[key] = match }
        }
        return best.values.sorted { ($0.referenceLayer, $0.kind) < ($1.referenceLayer, $1.kind) }
    }

    static func matchStandalone(_ standalone: [NeuronProfileSet], reference: Fingerprint, t: Int) -> [ProfileMatch] {
        var matches: [ProfileMatch] = []
        for set in reference.profiles where !set.kind.hasPrefix("matrix.") {
            // Equal neuron counts, or fewer (down to a quarter): a width-pruned copy's matrices.
            let candidates = standalone.filter { $0.neuronCount <= set.neuronCount && 4 * $0.neuronCount >= set.neuronCount }
            guard candidates.count >= 2 else { continue }
            let inputScores = candidates.map { screen(set.inputProfiles, $0.inputProfiles, t) }
            let inputIndex = inputScores.indices.max { inputScores[$0] < inputScores[$1] }!
            let input = candidates[inputIndex]
            let pairedScores = candidates.map {
                $0.inputTensor == input.inputTensor || $0.neuronCount != input.neuronCount ? -1 : screen(set.pairedProfiles, $0.inputProfiles, t)
            }
            let paired = candidates[pairedScores.indices.max { pairedScores[$0] < pairedScores[$1] }!]
            guard paired.inputTensor != input.inputTensor, paired.neuronCount == input.neuronCount else { continue }
            // Keep the neurons both matrices kept, in the same order.
            let pairedPosition = Dictionary(uniqueKeysWithValues: paired.selected.enumerated().map { ($1, $0) })
            var inputRows: [Float] = [], pairedRows: [Float] = [], neurons: [Int] = []
            for (position, neuron) in input.selected.enumerated() {
                guard let other = pairedPosition[neuron] else { continue }
                inputRows += input.inputProfiles[(position * t)..<((position + 1) * t)]
                pairedRows += paired.inputProfiles[(other * t)..<((other + 1) * t)]
                neurons.append(neuron)
            }
            let comparison = ProfileComparison.compare(
                referenceInput: set.inputProfiles, referencePaired: set.pairedProfiles,
                suspectInput: inputRows, suspectPaired: pairedRows, t: t)
            var pairs: [(suspect: Int, reference: Int)] = []
            for (position, suspectPosition) in comparison.alignment.enumerated() where suspectPosition >= 0 {
                pairs.append((neurons[suspectPosition], set.selected[position]))
            }
            let comparisons = candidates.count * (candidates.count - 1)
            // Two probes were tried: Bonferroni over both.
            let logP = LogProbability.bonferroni(comparison.logPValue, comparisons: 2 * comparisons)
            matches.append(ProfileMatch(
                kind: set.kind, suspectLayer: -1, referenceLayer: set.layer,
                suspectTensor: input.inputTensor, referenceTensor: set.inputTensor,
                matchedNeurons: comparison.matched, inputAgreement: comparison.inputAgreement,
                crossCheck: comparison.crossCheck, nullMean: comparison.nullMean, nullStd: comparison.nullStd,
                z: comparison.z, log10P: LogProbability.log10(logP), permutationPValue: comparison.permutationPValue,
                identityFraction: pairs.isEmpty ? 0 : Double(pairs.filter { $0.suspect == $0.reference }.count) / Double(pairs.count),
                comparisons: 2 * comparisons, suspectPairedTensor: paired.inputTensor,
                suspectNeurons: input.neuronCount, referenceNeurons: set.neuronCount, orderFraction: orderFraction(pairs)))
        }
        return matches
    }

    /// The share of aligned neuron pairs on a longest chain increasing in both indices: the
    /// pairs sorted by suspect index, the longest strictly increasing run of reference indices.
    static func orderFraction(_ pairs: [(suspect: Int, reference: Int)]) -> Double {
        guard !pairs.isEmpty else { return 0 }
        let references = pairs.sorted { $0.suspect < $1.suspect }.map(\.reference)
        // Patience sorting: tails[k] is the smallest tail of an increasing run of length k + 1.
        var tails: [Int] = []
        for value in references {
            var low = 0, high = tails.count
            while low < high {
                let middle = (low + high) / 2
                if tails[middle] < value { low = middle + 1 } else { high = middle }
            }
            if low == tails.count { tails.append(value) } else { tails[low] = value }
        }
        return Double(tails.count) / Double(pairs.count)
    }

    /// Mean over the first set's neurons of the best |cosine| with any neuron of the second.
    static func screen(_ suspect: NeuronProfileSet, _ reference: NeuronProfileSet, _ t: Int) -> Double {
        screen(suspect.inputProfiles, reference.inputProfiles, t)
    }

    /// Neurons of the first set a screen averages over, evenly spaced: a related candidate's
    /// best |cosine| is ≈ 1 for each, an unrelated one's the maximum of chance cosines, so a
    /// sample tells them apart as well as all 512 — at a fraction of the cost, which matters
    /// when a suspect without layer names offers every matrix as a candidate (a TinyLlama-sized
    /// one: 24 reference sets × ≈ 100 candidates of up to 4096 neurons).
    static let screeningNeurons = 64

    static func screen(_ s: [Float], _ r: [Float], _ t: Int) -> Double {
        let sCount = s.count / t, rCount = r.count / t
        guard sCount > 0, rCount > 0 else { return 0 }
        let sampled = min(sCount, screeningNeurons)
        let blocks = t / 8
        var total = 0.0
        s.withUnsafeBufferPointer { s in
            r.withUnsafeBufferPointer { r in
                let sRaw = UnsafeRawPointer(s.baseAddress!), rRaw = UnsafeRawPointer(r.baseAddress!)
                for sample in 0..<sampled {
                    let i = sample * sCount / sampled
                    var bestValue: Float = 0
                    for j in 0..<rCount {
                        // Eight lanes at a time, the remainder (t not a multiple of 8) one by one.
                        var lanes = SIMD8<Float>()
                        for block in 0..<blocks {
                            let a = sRaw.loadUnaligned(fromByteOffset: (i * t + block * 8) * 4, as: SIMD8<Float>.self)
                            let b = rRaw.loadUnaligned(fromByteOffset: (j * t + block * 8) * 4, as: SIMD8<Float>.self)
                            lanes += a * b
                        }
                        var dot = lanes.sum()
                        for k in (blocks * 8)..<t { dot += s[i * t + k] * r[j * t + k] }
                        bestValue = max(bestValue, abs(dot))
                    }
                    total += Double(bestValue)
                }
            }
        }
        return total / Double(sampled)
    }
}
