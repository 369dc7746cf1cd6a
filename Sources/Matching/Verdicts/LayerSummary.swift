import Checkpoints
import Fingerprinting
import Foundation

/// Derives layer-level views from tensor and profile matches: per-layer matches, the layer
/// map (dropped, reordered, unmatched layers), heatmaps and statistic curves.
enum LayerSummary {
    static func groupName(_ match: TensorMatch) -> String {
        if let layer = match.suspectLayer { return "layer \(layer)" }
        switch match.role {
        case TensorRole.tokenEmbedding.rawValue, TensorRole.positionEmbedding.rawValue: return "embeddings"
        case TensorRole.outputHead.rawValue: return "head"
        default: return "other"
        }
    }

    /// `probeIsEmbedding`: the suspect's profiles were taken through its own token embedding, so
    /// a profile match also vouches for the embedding (its rows give matching profiles).
    static func layers(_ tensors: [TensorMatch], profiles: [ProfileMatch], logThreshold: Double, probeIsEmbedding: Bool) -> [LayerMatch] {
        let ln10 = log(10.0)
        let strongProfiles = profiles.filter { $0.log10P * ln10 < logThreshold }
        let profileTensors = Set(strongProfiles.flatMap { [$0.suspectTensor] + ($0.suspectPairedTensor.map { [$0] } ?? []) })
        var order: [String] = []
        var groups: [String: [TensorMatch]] = [:]
        for match in tensors {
            let name = groupName(match)
            if groups[name] == nil { order.append(name) }
            groups[name, default: []].append(match)
        }
        // Numbered layers in order, then embeddings, head and the rest.
        let rank = ["embeddings": 1, "head": 2, "other": 3]
        order.sort { a, b in
            let la = groups[a]!.first?.suspectLayer, lb = groups[b]!.first?.suspectLayer
            switch (la, lb) {
            case let (x?, y?): return x < y
            case (.some, nil): return true
            case (nil, .some): return false
            default: return (rank[a] ?? 9) < (rank[b] ?? 9)
            }
        }
        return order.map { name in
            let members = groups[name]!
            let layer = members.first?.suspectLayer
            let parameters = members.reduce(0) { $0 + $1.parameters }
            let weighted = members.reduce(0.0) { $0 + abs($1.cosine) * Double($1.parameters) }
            let tensorLogP = LogProbability.fisher(members.map { $0.log10P * ln10 })
            let layerProfiles = profiles.filter { $0.suspectLayer == layer && layer != nil }
            let combined = LogProbability.fisher(members.map { $0.log10P * ln10 } + layerProfiles.map { $0.log10P * ln10 })
            var referenceVotes: [Int: Int] = [:]
            for match in members where match.significant { if let rl = match.referenceLayer { referenceVotes[rl, default: 0] += match.parameters } }
            for profile in layerProfiles where profile.log10P * ln10 < logThreshold { referenceVotes[profile.referenceLayer, default: 0] += 1 }
            let referenceLayer = referenceVotes.max { ($0.value, -$0.key) < ($1.value, -$1.key) }?.key
            let matchedBy: String
            if members.allSatisfy({ $0.exact != nil }) { matchedBy = "exact" }
            else if tensorLogP < logThreshold { matchedBy = "sketch" }
            else if layerProfiles.contains(where: { $0.log10P * ln10 < logThreshold })
                        || members.contains(where: { profileTensors.contains($0.suspectTensor) })
                        || (name == "embeddings" && probeIsEmbedding && !strongProfiles.isEmpty
                            && members.contains { $0.role == TensorRole.tokenEmbedding.rawValue }) { matchedBy = "profiles" }
            else { matchedBy = "none" }
            return LayerMatch(suspectLayer: layer, group: name, referenceLayer: referenceLayer, tensors: members.count,
                              parameters: parameters, meanCosine: parameters > 0 ? weighted / Double(parameters) : 0,
                              log10P: LogProbability.log10(combined), matchedBy: matchedBy)
        }
    }

    static func alignment(
        _ tensors: [TensorMatch], profiles: [ProfileMatch], layers: [LayerMatch], suspect: Fingerprint,
        reference: Fingerprint, converted: Set<String> = [], fullWeights: FullWeightEvidence? = nil, logThreshold: Double
    ) -> AlignmentSummary {
        let ln10 = log(10.0)
        let significant = tensors.filter(\.significant)
        // Elementwise conversions (`converted`: suspect tensors paired by ConvertedValues) are neither renamed nor rescaled.
        let unconverted = significant.filter { !converted.contains($0.suspectTensor) }
        let rescaled = unconverted.filter { abs($0.cosine) > 0.9 && $0.isRescaled }
            .map { String(format: "%@ ×%.3g", $0.suspectTensor, $0.normRatio) }
        // A permutation shows as a profile alignment away from the identity on a matrix that
        // does not match position by position. Under heavy rounding (1–2-bit quantization) the
        // alignment of nearly tied neurons goes astray too, but the sketches still match.
        // The kept neurons of a width-pruned copy are renumbered but keep their order: not permuted.
        // A weak positional match does not count: it rests on the units a permutation left in place
        // (heads that kept their slot, fewer than half when the profile says permuted), where
        // 1-bit rounding still leaves ≈ 0.8 (`VerdictRules.partialMatchCosine`).
        let positionallyMatched = Set(significant.filter { abs($0.cosine) >= VerdictRules.partialMatchCosine }.map(\.suspectTensor))
        let strongProfiles = profiles.filter { $0.log10P * ln10 < logThreshold }
        let permuted = Set(strongProfiles.filter {
            $0.identityFraction < 0.5 && !$0.keepsNeuronOrder && $0.suspectLayer >= 0 && !positionallyMatched.contains($0.suspectTensor)
        }.map(\.suspectLayer)).union(fullWeights.map { permutedByWeights(layers, tensors: tensors, fullWeights: $0) } ?? [])
        let widths = widthChanges(strongProfiles, suspect: suspect, reference: reference, related: !strongProfiles.isEmpty || !significant.isEmpty)
        var layerMap: [Int: Int] = [:]
        for layer in layers { if let sl = layer.suspectLayer, let rl = layer.referenceLayer, layer.matchedBy != "none" { layerMap[sl] = rl } }
        let referenceLayers = Set(reference.tensors.compactMap { $0.role.isWeightMatrix ? $0.layer : nil })
        let mapped = Set(layerMap.values)
        let ordered = layerMap.keys.sorted().map { layerMap[$0]! }
        // Scale factors are how a weight is stored, not tensors of the model: their names do not count.
        let modelTensorNames = Set(suspect.tensors.filter { $0.role != .quantizationScale }.map(\.name))
        return AlignmentSummary(
            // A stack of experts named after the other side's per-expert group is not renamed, nor is a part
            // of a fused tensor matched to its counterpart on the split side (parts have no names of their own).
            renamed: unconverted.filter { match in
                guard let reference = match.referenceTensor, !EvidenceTensor.isPartName(reference),
                      !EvidenceTensor.isPartName(match.suspectTensor) else { return false }
                return ExpertLayout.stackName(forGroup: reference) != ExpertLayout.stackName(forGroup: match.suspectTensor)
            }.count,
            sharedTensorNames: modelTensorNames.intersection(reference.tensors.map(\.name)).count,
            suspectTensorNames: modelTensorNames.count,
            transposed: significant.filter(\.transposed).count,
            rescaled: rescaled,
            permutedLayers: permuted.sorted(),
            layerMap: Dictionary(uniqueKeysWithValues: layerMap.map { (String($0.key), $0.value) }),
            droppedReferenceLayers: referenceLayers.subtracting(mapped).sorted(),
            unmatchedSuspectLayers: layers.filter { $0.matchedBy == "none" }.compactMap(\.suspectLayer).sorted(),
            reordered: zip(ordered, ordered.dropFirst()).contains { $0 > $1 },
            suspectVocabularyRows: suspect.structure.vocabularyRows,
            referenceVocabularyRows: reference.structure.vocabularyRows,
            widthChanges: widths.isEmpty ? nil : widths)
    }

    /// Widths that differ from the reference's: the hidden size (when the two are related at
    /// all), and per profile kind the neuron counts of matched layer pairs, grouped by the two
    /// counts and whether the alignment keeps the reference's neuron order.
    static func widthChanges(_ strongProfiles: [ProfileMatch], suspect: Fingerprint, reference: Fingerprint, related: Bool) -> [WidthChange] {
        var changes: [WidthChange] = []
        let suspectHidden = suspect.structure.hiddenSize, referenceHidden = reference.structure.hiddenSize
        if related, suspectHidden > 0, referenceHidden > 0, suspectHidden != referenceHidden {
            changes.append(WidthChange(kind: "hidden", suspectWidth: suspectHidden, referenceWidth: referenceHidden, layers: [], orderKept: nil))
        }
        struct Key: Hashable { var kind: String; var suspect: Int; var reference: Int; var ordered: Bool }
        var layers: [Key: Set<Int>] = [:]
        for match in strongProfiles {
            guard let s = match.suspectNeurons, let r = match.referenceNeurons, s != r else { continue }
            // A suspect without layer structure (standalone profiles) is placed by the reference layer it matched.
            let layer = match.suspectLayer >= 0 ? match.suspectLayer : match.referenceLayer
            layers[Key(kind: match.kind, suspect: s, reference: r, ordered: match.keepsNeuronOrder), default: []].insert(layer)
        }
        let kinds = ["mlp": 0, "attention.vo": 1, "attention.qk": 2]
        for (key, set) in layers.sorted(by: { ((kinds[$0.key.kind] ?? 9), $0.value.min()!) < ((kinds[$1.key.kind] ?? 9), $1.value.min()!) }) {
            changes.append(WidthChange(kind: key.kind, suspectWidth: key.suspect, referenceWidth: key.reference, layers: set.sorted(), orderKept: key.ordered))
        }
        return changes
    }

    static func heatmaps(_ alignment: TensorAlignment) -> [Heatmap] {
        var maps: [Heatmap] = []
        for family in ["attention", "mlp.in", "mlp.out"] {
            let suspectLayers = Array(Set(alignment.suspect.filter { $0.role.family == family }.compactMap(\.layer))).sorted()
            let referenceLayers = Array(Set(alignment.reference.filter { $0.role.family == family }.compactMap(\.layer))).sorted()
            guard suspectLayers.count > 1 || referenceLayers.count > 1, !suspectLayers.isEmpty, !referenceLayers.isEmpty else { continue }
            let rowIndex = Dictionary(uniqueKeysWithValues: suspectLayers.enumerated().map { ($1, $0) })
            let colIndex = Dictionary(uniqueKeysWithValues: referenceLayers.enumerated().map { ($1, $0) })
            var cells = Array(repeating: Array(repeating: 0.0, count: referenceLayers.count), count: suspectLayers.count)
            for (index, s) in alignment.suspect.enumerated() where s.role.family == family {
                guard let sl = s.layer, let row = rowIndex[sl] else { continue }
                for score in alignment.scores[index] {
                    let r = alignment.reference[score.reference]
                    guard r.role.family == family, let rl = r.layer, let col = colIndex[rl] else { continue }
                    cells[row][col] = max(cells[row][col], abs(score.cosine))
                }
            }
            maps.append(Heatmap(family: family, suspectLayers: suspectLayers, referenceLayers: referenceLayers, cosines: cells))
        }
        return maps
    }

    /// For a comparison with permuted layers, where positional sketches stay dark: the layer
    /// pairs the neuron-profile cross-check matched, each cell the pair's T (clamped to 0…1; 0
    /// for pairs not compared). Rows and columns are the layers holding profile sets.
    static func profileHeatmap(_ profiles: [ProfileMatch], alignment: AlignmentSummary, suspect: Fingerprint, reference: Fingerprint) -> Heatmap? {
        guard !alignment.permutedLayers.isEmpty else { return nil }
        // A suspect without layer names has standalone profiles: its rows are the layers their matches placed.
        let suspectLayers = Set(suspect.profiles.filter { !$0.kind.hasPrefix("matrix.") }.map(\.layer))
            .union(alignment.placedMatrices == nil ? [] : profiles.filter { $0.suspectLayer >= 0 }.map(\.suspectLayer)).sorted()
        let referenceLayers = Set(reference.profiles.filter { !$0.kind.hasPrefix("matrix.") }.map(\.layer)).sorted()
        let rowIndex = Dictionary(uniqueKeysWithValues: suspectLayers.enumerated().map { ($1, $0) })
        let colIndex = Dictionary(uniqueKeysWithValues: referenceLayers.enumerated().map { ($1, $0) })
        var cells = Array(repeating: Array(repeating: 0.0, count: referenceLayers.count), count: suspectLayers.count)
        var filled = false
        for match in profiles {
            guard let row = rowIndex[match.suspectLayer], let col = colIndex[match.referenceLayer], match.crossCheck.isFinite else { continue }
            cells[row][col] = max(cells[row][col], min(1, max(0, match.crossCheck)))
            filled = true
        }
        guard filled else { return nil }
        return Heatmap(family: Heatmap.profilesFamily, suspectLayers: suspectLayers, referenceLayers: referenceLayers, cosines: cells)
    }

    static func curves(suspect: Fingerprint, reference: Fingerprint) -> [StatisticCurve] {
        let roles: [TensorRole] = [.attentionQuery, .attentionKey, .attentionValue, .attentionOutput, .attentionUnknown, .mlpGate, .mlpUp, .mlpDown]
        func curve(_ fingerprint: Fingerprint, _ role: TensorRole) -> [Int: Double] {
            var values: [Int: Double] = [:]
            for tensor in fingerprint.tensors where tensor.role == role {
                if let layer = tensor.layer, let std = tensor.statistics?.std, values[layer] == nil { values[layer] = std }
            }
            return values
        }
        var result: [StatisticCurve] = []
        for role in roles {
            let a = curve(suspect, role), b = curve(reference, role)
            guard !a.isEmpty, !b.isEmpty else { continue }
            let maximum = max(a.keys.max()!, b.keys.max()!)
            let common = Set(a.keys).intersection(b.keys).sorted()
            result.append(StatisticCurve(
                role: role.rawValue, statistic: "std",
                suspect: (0...maximum).map { a[$0] }, reference: (0...maximum).map { b[$0] },
                correlation: pearson(common.map { a[$0]! }, common.map { b[$0]! })))
        }
        return result
    }

    static func pearson(_ x: [Double], _ y: [Double]) -> Double? {
        guard x.count >= 3 else { return nil }
        let mx = x.reduce(0, +) / Double(x.count), my = y.reduce(0, +) / Double(y.count)
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in x.indices { sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) * (x[i] - mx); syy += (y[i] - my) * (y[i] - my) }
        guard sxx > 0, syy > 0 else { return nil }
        return sxy / (sxx * syy).squareRoot()
    }
}
