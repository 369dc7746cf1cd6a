import Checkpoints
import Fingerprinting
import Foundation

/// The decision rules from evidence to a verdict (docs/MATCHING.md).
enum VerdictRules {
    /// Typical relative rounding error (rms) of storing weights in a narrower dtype. The IQ1–IQ3
    /// and Q1_0 figures are what `GGMLQuantizer`'s nearest-point search gives on Gaussian
    /// values (`QuantizerRoundTripTests` prints them); llama.cpp's search does somewhat better.
    static func expectedRoundingError(_ dtype: String) -> Double? {
        switch dtype {
        case "F16": 1.5e-4
        case "BF16": 1.2e-3
        case "F8_E4M3", "F8_E4M3FNUZ": 0.04
        case "F8_E5M2", "F8_E5M2FNUZ": 0.08
        case "Q8_0": 0.005
        case "Q6_K": 0.01
        case "Q5_0", "Q5_1", "Q5_K": 0.025
        case "Q4_0", "Q4_1", "Q4_K", "IQ4_NL", "IQ4_XS": 0.06
        case "MXFP4", "NVFP4": 0.11
        case "Q3_K": 0.12
        case "Q2_K": 0.25
        case "IQ3_S": 0.14
        case "IQ3_XXS": 0.19
        case "IQ2_S": 0.26
        case "IQ2_XS": 0.30
        case "IQ2_XXS": 0.35
        case "IQ1_M": 0.50
        case "IQ1_S": 0.58
        case "Q1_0": 0.60
        // Ternary grids (−d, 0, +d, d the block maximum), for fingerprints written before their
        // block scales were measured: on MiniLM's matrices 0.72 (Q2_0) and 0.82 (TQ, 256 per
        // block; `python3 eval/ternary_rounding.py`).
        case "Q2_0": 0.72
        case "TQ1_0", "TQ2_0": 0.82
        default: nil
        }
    }

    /// The type a tensor's values are rounded to: its GGML quantization, else the narrowest
    /// float grid holding its values (FP8 values kept in BF16 count as FP8).
    static func effectiveType(_ tensor: TensorFingerprint) -> String {
        isGGMLQuantized(tensor.dtype) ? tensor.dtype : (tensor.valueGrid ?? tensor.dtype)
    }

    /// Whether a dtype name is a GGML block quantization (Q8_0 … Q6_K, IQ*, MXFP4, NVFP4, TQ*).
    static func isGGMLQuantized(_ dtype: String) -> Bool {
        DType(rawValue: dtype)?.isBlockQuantized ?? false
    }

    /// 1/ρ² − 1 for a matched pair's cosine ρ: the energy of what differs relative to what is
    /// shared (0 for equal directions; clamped, so a rounding-born |ρ| > 1 gives 0).
    static func deviationEnergy(cosine: Double) -> Double {
        max(0, 1 / max(cosine * cosine, 1e-12) - 1)
    }

    /// Whether the relative deviation √(1/ρ² − 1) of the matched matrices is uniform (noise,
    /// rounding) or varies (further training). Uniformity is judged within each storage type:
    /// a GGUF copy keeps matrices in several types (llama.cpp's fallbacks), each with its own
    /// rounding error.
    static func deviationEvidence(_ matches: [TensorMatch], suspect: Fingerprint) -> String {
        func ratio(_ match: TensorMatch) -> Double { deviationEnergy(cosine: match.cosine).squareRoot() }
        func uniformMean(_ ratios: [Double]) -> Double? {
            // Matrices kept exactly (a GGUF's F32 tensors) are uniform too: no deviation at all.
            if ratios.allSatisfy({ $0 == 0 }) { return 0 }
            let mean = ratios.reduce(0, +) / Double(ratios.count)
            let spread = (ratios.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(ratios.count)).squareRoot()
            return mean > 0 && spread / mean < 0.3 ? mean : nil
        }
        let ratios = matches.map(ratio)
        if let mean = uniformMean(ratios) {
            return String(format: "The deviation is uniform across matrices (≈%.3g × each tensor's norm), as added noise or rounding would produce.", mean)
        }
        let dtypes = Dictionary(suspect.tensors.map { ($0.name, $0.dtype) }, uniquingKeysWith: { first, _ in first })
        let groups = Dictionary(grouping: matches) { dtypes[$0.suspectTensor] ?? "?" }
        if groups.count > 1 {
            let means = groups.mapValues { uniformMean($0.map(ratio)) }
            if means.values.allSatisfy({ $0 != nil }) {
                let parts = means.sorted { $0.value! > $1.value! }.map { String(format: "%@ ≈%.3g", $0.key, $0.value!) }
                return "The deviation is uniform within each storage type (" + parts.joined(separator: ", ")
                    + " × each tensor's norm), as added noise or rounding would produce."
            }
        }
        let searched = Dictionary(suspect.tensors.compactMap { tensor in RoundingBudget.search(of: tensor).map { (tensor.name, $0) } },
                                  uniquingKeysWith: { first, _ in first })
        if let search = matches.lazy.compactMap({ searched[$0.suspectTensor] }).first {
            // GPTQ's error feedback moves some layers' weights twice as far as others (eval/gptq_minilm.py);
            // AWQ's clipping search shrinks some layers' groups more than others (eval/awq_minilm.py).
            let why = search == .clipping ? "AWQ's clipping" : search == .errorFeedback ? "GPTQ's error feedback" : "GPTQ's error feedback (which may have chosen these codes)"
            return String(format: "The deviation varies across matrices (%.3g–%.3g × norm); %@ varies from layer to layer too, so this does not tell its rounding from further training.",
                          ratios.min()!, ratios.max()!, why)
        }
        // Matrices that deviate well beyond rounding and are all rescaled as well: parts of a matrix scaled by
        // different factors (Falcon-H1's multipliers, folded per row block by llama.cpp's converter) look so.
        let deviatingMatches = matches.filter { ratio($0) > 0.05 }
        if !deviatingMatches.isEmpty, deviatingMatches.allSatisfy(\.isRescaled) {
            let names = listing(deviatingMatches.map(\.suspectTensor), limit: 3)
            return String(format: "The deviation varies across matrices (%.3g–%.3g × norm), and every matrix deviating by more than 0.05 of its norm is rescaled too (%@): parts of a matrix scaled by different factors (multipliers a converter folds into the weights) give this, as does further training of those matrices.",
                          ratios.min()!, ratios.max()!, names)
        }
        return String(format: "The deviation varies across matrices (%.3g–%.3g × norm), as further training would produce.", ratios.min()!, ratios.max()!)
    }

    /// Below this estimated |cosine|, a positional match in a layer whose profiles say permuted
    /// rests on the units left in place (fewer than half), not on the matrix as a whole; the
    /// heaviest rounding (1-bit Q1_0 on the real MiniLM) still leaves ≈ 0.8.
    static let partialMatchCosine = 0.6

    /// Suspect tensors of `matches` whose element count differs from their reference tensor's,
    /// when the comparison found width changes (else none).
    static func resizedMatches(_ matches: [TensorMatch], suspect: Fingerprint, reference: Fingerprint, widthChanged: Bool) -> Set<String> {
        guard widthChanged else { return [] }
        func sizes(_ fingerprint: Fingerprint) -> [String: Int] {
            Dictionary(fingerprint.tensors.map { ($0.name, $0.shape.reduce(1, *)) }, uniquingKeysWith: { first, _ in first })
        }
        let suspectSizes = sizes(suspect), referenceSizes = sizes(reference)
        return Set(matches.compactMap { match in
            guard let reference = match.referenceTensor, let a = suspectSizes[match.suspectTensor], let b = referenceSizes[reference], a != b else { return nil }
            return match.suspectTensor
        })
    }

    /// The verdict from the evidence (docs/MATCHING.md §5); `leadingEvidence` comes first (what
    /// the comparison left out of the reference, `LanguageModelPart`).
    static func decide(
        suspect: Fingerprint, reference: Fingerprint, exact: ExactEvidence, tensors: [TensorMatch],
        profiles: [ProfileMatch], layers: [LayerMatch], alignment: AlignmentSummary, combinedLogP: Double,
        converted: ConvertedValues? = nil, rounding: RoundingBudget?, options: MatchingOptions, referenceLabel: String,
        leadingEvidence: [String] = [], fullWeights: FullWeightEvidence? = nil
    ) -> Verdict {
        let ln10 = log(10.0)
        let totalParameters = max(1, tensors.reduce(0) { $0 + $1.parameters })
        let matchedParameters = layers.filter { $0.matchedBy != "none" }.reduce(0) { $0 + $1.parameters }
        let numbered = layers.filter { $0.suspectLayer != nil }
        let matchedNumbered = numbered.filter { $0.matchedBy != "none" }.count
        // Opaque names (`LayerPlacement`): the matrices left unplaced stand for as many layers as
        // they would fill at the reference's matrices per layer, once the placed layers' missing
        // matrices (an MLP input whose sibling alone was profiled) are filled.
        let placed = alignment.placedMatrices != nil
        let unplaced = placed ? layers.first { $0.suspectLayer == nil && $0.group == "other" } : nil
        let unplacedLayerCount = unplaced.map { group in
            let layered = reference.tensors.filter { $0.role.isWeightMatrix && $0.layer != nil }
            let perLayer = max(1, layered.count / max(1, Set(layered.compactMap(\.layer)).count))
            let openSlots = max(0, numbered.count * perLayer - (alignment.placedMatrices ?? 0))
            return (max(0, group.tensors - openSlots) + perLayer - 1) / perLayer
        } ?? 0
        /// The larger of the matched shares of parameters and of numbered layers, `unchecked` left out of both.
        func coverageLeavingOut(_ unchecked: [LayerMatch]) -> Double {
            let parameters = max(1, totalParameters - unchecked.reduce(0) { $0 + $1.parameters })
            let unplacedCounted = unplaced != nil && !unchecked.contains { $0.suspectLayer == nil && $0.group == "other" }
            let layerCount = numbered.count - unchecked.filter { $0.suspectLayer != nil }.count + (unplacedCounted ? unplacedLayerCount : 0)
            let matchedLayers = matchedNumbered + (unplacedCounted && unplaced?.matchedBy != "none" ? unplacedLayerCount : 0)
            return max(Double(matchedParameters) / Double(parameters), layerCount > 0 ? Double(matchedLayers) / Double(layerCount) : 0)
        }
        let coverage = coverageLeavingOut([])
        // Neuron profiles cover at most 8 layers. When every layer that carries them matched and
        // some matched by their profiles alone, the sketches are blind to this copy's layers
        // (neurons permuted; the residual stream pruned, permuted or rotated): a layer without
        // profiles and without a sketch match shows nothing either way. It is left out of the
        // coverage the verdict needs — and named — rather than counted as a layer from elsewhere,
        // unless the element-by-element comparison read it.
        // A profiled layer whose counterpart carries none (layers dropped before it move the
        // evenly spaced profiled layers apart) is no more reachable than a layer without them.
        let profiledLayers = Set(suspect.profiles.map(\.layer)), referenceProfiled = Set(reference.profiles.map(\.layer))
        let anchors = alignment.layerMap.compactMap { key, value in Int(key).map { (suspect: $0, reference: value) } }.sorted { $0.suspect < $1.suspect }
        /// The reference layer at the offset of the nearest matched layer below (else above).
        func counterpart(_ layer: Int) -> Int? {
            guard let anchor = anchors.last(where: { $0.suspect < layer }) ?? anchors.first(where: { $0.suspect > layer }) else { return nil }
            return layer + anchor.reference - anchor.suspect
        }
        // Placed layers (opaque names) are the reference's own numbers: reachable where it has profiles.
        func reachable(_ layer: Int) -> Bool {
            if placed { return referenceProfiled.contains(layer) }
            return profiledLayers.contains(layer) && counterpart(layer).map(referenceProfiled.contains) ?? true
        }
        let reachableLayers = numbered.filter { reachable($0.suspectLayer!) }
        let sketchesBlind = reachableLayers.allSatisfy { $0.matchedBy != "none" } && reachableLayers.contains { $0.matchedBy == "profiles" }
        let checkedByWeights = fullWeights.map { LayerSummary.groupsChecked(by: $0, tensors: tensors) } ?? []
        let uncheckedLayers = !sketchesBlind ? [] : numbered.filter {
            $0.matchedBy == "none" && !reachable($0.suspectLayer!) && !checkedByWeights.contains($0.group)
        }
        // Opaque names: matrices neither a sketch nor a profile set placed, where only profiles
        // placed any, are in the same position as unchecked layers.
        let uncheckedUnplaced = unplaced.flatMap { group in
            sketchesBlind && group.matchedBy == "none" && !checkedByWeights.contains(group.group) ? group : nil
        }
        let unplacedMatrices = uncheckedUnplaced?.tensors ?? 0
        let checkedCoverage = coverageLeavingOut(uncheckedLayers + (uncheckedUnplaced.map { [$0] } ?? []))
        let significant = tensors.filter(\.significant)
        // Tensors paired as elementwise conversions (1 + w, −exp(w)) hold the other side's values in
        // another form: their sketch cosine measures the function, not a change of the weights.
        let convertedNames = converted?.suspectTensors ?? []
        // In a width-pruned (or widened) copy, a matrix whose size changed matches its original only
        // where rows kept their positions (before the first removed one): its cosine measures the
        // pruning, not a change of the kept weights, which the width evidence describes.
        let resized = resizedMatches(significant, suspect: suspect, reference: reference, widthChanged: !(alignment.widthChanges ?? []).isEmpty)
        // In a permuted layer, a matrix that still matches position by position but weakly matches
        // on the units the permutation left in place (heads that kept their slot): its cosine
        // measures the permutation, not a change of the weights.
        let permutedLayers = Set(alignment.permutedLayers)
        // The same holds outside the layers (embeddings, head) once layers are permuted: a copy
        // permuting neurons permutes the residual stream's dimensions too, as a rule, and a head
        // whose columns were renumbered keeps a weak positional match on those left in place.
        let partlyPermuted = Set(significant.filter { match in
            let permutedAround = match.suspectLayer.map(permutedLayers.contains) ?? !permutedLayers.isEmpty
            return permutedAround && abs(match.cosine) < partialMatchCosine
        }.map(\.suspectTensor))
        let deviating = significant.filter {
            !convertedNames.contains($0.suspectTensor) && !resized.contains($0.suspectTensor) && !partlyPermuted.contains($0.suspectTensor)
        }
        let strongProfiles = profiles.filter { $0.log10P * ln10 < log(options.tensorThreshold) }
        // Neurons or heads rescaled one by one: the profiles measure what changed beyond the factors.
        let unitRescaled = unitRescaledMatches(deviating, strongProfiles: strongProfiles)
        let changes = deviating.map { match in
            var match = match
            if let agreement = unitRescaled[match.suspectTensor] { match.cosine = agreement }
            return match
        }
        let significantParameters = changes.reduce(0) { $0 + $1.parameters }
        let estimatedCosine: Double? = significantParameters > 0
            ? changes.reduce(0.0) { $0 + abs($1.cosine) * Double($1.parameters) } / Double(significantParameters) : nil
        // Element by element, where `--deep` lined matrices up: it decides whether weights changed.
        let exactCosine = fullWeights?.exactCosine(excluding: convertedNames)
        let changeCosine = exactCosine ?? estimatedCosine

        var evidence = leadingEvidence
        // Exact layer.
        if exact.identicalFiles > 0 {
            evidence.append("\(exact.identicalFiles) of \(exact.suspectFiles) files are byte-identical to the reference's files (SHA-256).")
        }
        if exact.rawRootEqual { evidence.append("Every tensor is byte-identical to the reference (same name-free tensor root).") }
        else if exact.canonicalRootEqual { evidence.append("Every tensor holds the same values as the reference after canonical re-encoding (same canonical root).") }
        else if exact.expertRootEqual { evidence.append("Every tensor holds the same values as the reference once experts are compared one by one (one side stacks each layer's experts in one tensor).") }
        else if exact.sharedCanonicalTensors > 0 {
            evidence.append("\(exact.sharedCanonicalTensors) of \(exact.suspectTensors) tensors have the same values as a reference tensor (\(exact.sharedRawTensors) byte-identical).")
        }
        // Sketches.
        if !significant.isEmpty {
            let cosines = significant.map { abs($0.cosine) }.sorted()
            evidence.append(String(format: "%d of %d weight matrices match a reference matrix by sketch (estimated cosine median %.4f, min %.4f).",
                                   significant.count, tensors.count, cosines[cosines.count / 2], cosines.first!))
            if let cosine = estimatedCosine, cosine < 0.99995 {
                evidence.append(deviationEvidence(changes, suspect: suspect))
            }
        }
        let sharedNames = alignment.sharedTensorNames ?? 0
        let names = alignment.suspectTensorNames ?? suspect.tensors.count
        if alignment.renamed > 0 {
            evidence.append("\(alignment.renamed) matched tensors have different names (renamed).")
        } else if sharedNames * 2 < names {
            evidence.append(sharedNames == 0 ? "None of the \(names) tensor names occur in the reference (renamed)."
                                              : "Only \(sharedNames) of \(names) tensor names occur in the reference (renamed).")
        }
        if alignment.transposed > 0 { evidence.append("\(alignment.transposed) matched matrices are stored transposed.") }
        if !alignment.rescaled.isEmpty {
            evidence.append("Rescaled matrices: " + listing(alignment.rescaled, limit: 6) + ".")
        }
        if !unitRescaled.isEmpty {
            let sketchCosines = deviating.filter { unitRescaled[$0.suspectTensor] != nil }.map { abs($0.cosine) }
            evidence.append(String(format: "%d %@ by sketch (cosine %.4f–%.4f) while the neuron profiles %@ agree to at least %.6f: each neuron or head was multiplied by its own factor, which leaves the function unchanged when the matrix it feeds is scaled back; the profiles' agreement stands for their change.",
                                   unitRescaled.count, unitRescaled.count == 1 ? "matrix deviates" : "matrices deviate", sketchCosines.min()!, sketchCosines.max()!,
                                   unitRescaled.count == 1 ? "covering it" : "covering them", unitRescaled.values.min()!))
        }
        if !strongProfiles.isEmpty {
            let best = strongProfiles.map(\.crossCheck).sorted()
            evidence.append(String(format: "%d of %d neuron-profile sets pass the permutation cross-check (T median %.3f; independent models give ≈0).",
                                   strongProfiles.count, profiles.count, best[best.count / 2]))
        }
        // MoE routers have one row per expert: renumbered experts leave every expert group matched
        // (sums do not depend on order) but not the router, whose rows then agree only where an
        // expert kept its number (estimated cosine ≈ the share of such experts).
        let routers = tensors.filter { $0.role == TensorRole.mlpRouter.rawValue }
        let disagreeingRouters = routers.filter { !$0.significant || abs($0.cosine) < 0.9 }
        let expertCosines = tensors.filter { ($0.suspectTensor.hasSuffix("_exps.weight") || $0.suspectTensor.contains(".experts.")) && $0.significant }.map { abs($0.cosine) }
        let expertsRenumbered = !disagreeingRouters.isEmpty && (expertCosines.min() ?? 0) >= 0.95
        if expertsRenumbered {
            evidence.append("\(disagreeingRouters.count) of \(routers.count) mixture-of-experts routers do not match (estimated cosine below 0.9) while every expert group does (at least 0.95): the experts were renumbered (or the routers retrained).")
        }
        if !alignment.permutedLayers.isEmpty {
            evidence.append("Neurons or heads are permuted in layers " + alignment.permutedLayers.map(String.init).joined(separator: ", ") + " (function-preserving relabelling).")
        }
        let widthChanges = alignment.widthChanges ?? []
        // No matrix matches by sketch while the profiles (read through the model's own embedding)
        // match with neurons in place and widths kept: the residual stream's basis was changed.
        let residualChanged = significant.isEmpty && !strongProfiles.isEmpty && alignment.permutedLayers.isEmpty && widthChanges.isEmpty
        // `--deep` tells a rotation apart: no dimension is the reference's, a change of basis
        // fitted to the embeddings lines every matrix up (also under permuted neurons).
        let residualRotated = fullWeights?.hiddenOrder == .rotated
        if residualChanged || residualRotated {
            let opening = residualChanged
                ? "No weight matrix matches by sketch, while the neuron profiles match in every profiled layer with the neurons in place: "
                : "No hidden dimension is the reference's, while the weights line up through one change of basis: "
            evidence.append(opening + (residualRotated
                ? "the residual stream was rotated (lined up element by element through an orthogonal matrix fitted to the token embeddings), which leaves the function unchanged."
                : fullWeights?.hiddenOrder == .renumbered
                    ? "the residual stream's dimensions were renumbered (lined up element by element), which leaves the function unchanged."
                    : "the residual stream's dimensions were permuted or rotated, which leaves the function unchanged."))
        }
        if let placedMatrices = alignment.placedMatrices, placedMatrices > 0 {
            let layerMatrices = placedMatrices + (unplaced?.tensors ?? 0)
            evidence.append("The suspect's tensor names carry no layer numbers: \(placedMatrices) of its \(layerMatrices) weight matrices outside the embeddings and head are placed in the reference layer their \(fullWeights == nil ? "sketch or neuron profiles" : "sketch, neuron profiles or lined-up weights") match, and the layers below are those placements.")
        }
        if unplacedMatrices > 0 {
            evidence.append("\(unplacedMatrices) \(unplacedMatrices == 1 ? "matrix" : "matrices") without layer numbers \(unplacedMatrices == 1 ? "matches" : "match") no sketch and no neuron-profile set, as matrices of this copy would not where only profiles place them (a fingerprint keeps them for 8 evenly spaced layers): not checked (`compare --deep` lines them up from the weights).")
        }
        if !uncheckedLayers.isEmpty {
            evidence.append("Layers " + listing(uncheckedLayers.map { String($0.suspectLayer!) }, limit: 12)
                + " carry no neuron profiles that meet the reference's (a fingerprint keeps them for 8 evenly spaced layers) and match no sketch, as layers of this copy would not where only profiles match them: they were not checked (`compare --deep` lines permuted and pruned ones up from the weights).")
        }
        if let fullWeights {
            evidence += weightsEvidence(fullWeights, layers: layers, tensors: tensors)
        }
        evidence += widthChanges.map(\.sentence)
        // The counterparts of unchecked layers are unknown, not missing.
        var unknown = Set(uncheckedLayers.compactMap { counterpart($0.suspectLayer!) })
        // Unplaced matrices may be any unreachable reference layer's.
        if unplacedMatrices > 0 { unknown.formUnion(alignment.droppedReferenceLayers.filter { !reachable($0) }) }
        let dropped = alignment.droppedReferenceLayers.filter { !unknown.contains($0) }
        if !dropped.isEmpty, coverage > 0 {
            evidence.append("Reference layers without a counterpart: " + dropped.map(String.init).joined(separator: ", ") + ".")
        }
        if alignment.reordered { evidence.append("Layers appear in a different order than in the reference.") }
        if let s = alignment.suspectVocabularyRows, let r = alignment.referenceVocabularyRows, s != r {
            evidence.append("The vocabulary has \(s) rows against the reference's \(r) (\(s > r ? "extended" : "trimmed")).")
        }

        let pText = LogProbability.format(combinedLogP)
        let cosineText = exactCosine.map { String(format: ", exact cosine %.4f", $0) }
            ?? estimatedCosine.map { String(format: ", estimated cosine %.4f", $0) } ?? ""
        let coverageText = String(format: "%.0f%%", coverage * 100)
        var roundingCheck: RoundingCheck?
        func verdict(_ kind: Verdict.Kind, _ sentence: String) -> Verdict {
            Verdict(kind: kind, sentence: sentence, log10P: LogProbability.log10(combinedLogP), pValue: pText,
                    estimatedCosine: estimatedCosine, coverage: coverage, evidence: evidence, rounding: roundingCheck,
                    exactCosine: exactCosine)
        }

        let sameNames = Set(suspect.tensors.map(\.name)) == Set(reference.tensors.map(\.name))
        if exact.suspectFiles > 0 && exact.identicalFiles == exact.suspectFiles && suspect.source.files.count == reference.source.files.count {
            return verdict(.identical, "Identical: every file is byte-for-byte a file of \(referenceLabel).")
        }
        if exact.rawRootEqual && sameNames {
            return verdict(.identical, "Identical: the same tensors, byte for byte and under the same names, as \(referenceLabel) (only file framing or metadata differs).")
        }
        if exact.canonicalRootEqual || (exact.rawRootEqual && !sameNames) {
            return verdict(.reEncoded, "Re-encoded copy of \(referenceLabel): the same weights stored differently (renamed, re-sharded, transposed or converted losslessly).")
        }
        if exact.expertRootEqual {
            return verdict(.reEncoded, "Re-encoded copy of \(referenceLabel): the same weights stored differently (experts stacked or split per tensor\(sameNames ? "" : ", renamed")).")
        }
        if let exception = losslessException(
            suspect: suspect, reference: reference, exact: exact, tensors: tensors, alignment: alignment, coverage: coverage,
            significant: combinedLogP < log(options.threshold), converted: converted, referenceLabel: referenceLabel) {
            evidence.append(contentsOf: exception.evidence)
            return verdict(.reEncoded, exception.sentence)
        }
        guard combinedLogP < log(options.threshold) else {
            return verdict(.independent, "No evidence of a relation to \(referenceLabel) (combined p = \(pText), above the \(LogProbability.format(log(options.threshold))) threshold).")
        }
        // Lossy re-encoding: every matrix matched, nothing permuted, and the deviation no
        // larger than rounding to the suspect's storage explains (VerdictRules+LossyReEncoding).
        var changedBeforeRounding: String?
        if estimatedCosine != nil, coverage >= 0.99, alignment.permutedLayers.isEmpty, significant.count == tensors.count,
           let budget = rounding, let lossy = lossyReEncoding(suspect: suspect, reference: reference, budget: budget) {
            roundingCheck = budget.check
            if let line = lossy.evidence { evidence.append(line) }
            if budget.explained {
                return verdict(.reEncoded, "Re-encoded copy of \(referenceLabel): the same weights \(lossy.conversion) \(lossy.names) (p = \(pText)\(cosineText)).")
            }
            if lossy.evidence != nil { changedBeforeRounding = lossy.operation }
        }
        if checkedCoverage >= options.derivedCoverage {
            var how: [String] = []
            // Matrices without layer names (opaque) name no permuted layer; their renumbered
            // units, lined up by `--deep`, still show the permutation.
            if !alignment.permutedLayers.isEmpty || !(fullWeights?.renumberedTensors.isEmpty ?? true) { how.append("permuted") }
            if residualRotated {
                how.append("residual stream rotated")
            } else if residualChanged {
                how.append(fullWeights?.hiddenOrder == .renumbered ? "residual stream permuted" : "residual stream permuted or rotated")
            }
            if widthChanges.contains(where: \.isPruned) { how.append("width-pruned") }
            if widthChanges.contains(where: { !$0.isPruned }) { how.append("widened") }
            if !alignment.rescaled.isEmpty || !unitRescaled.isEmpty || !(fullWeights?.rescaledTensors.isEmpty ?? true) { how.append("rescaled") }
            if expertsRenumbered { how.append("experts renumbered") }
            if let operation = changedBeforeRounding { how.append("weights changed, then \(operation)") }
            else if let cosine = changeCosine, cosine < 0.99995 { how.append("weights changed") }
            let detail = how.isEmpty ? "" : " (" + how.joined(separator: ", ") + ")"
            var unchecked = uncheckedLayers.isEmpty ? "" : "; \(uncheckedLayers.count) layers without neuron profiles could not be checked"
            if unplacedMatrices > 0 { unchecked += "; \(unplacedMatrices) matrices without layer numbers could not be placed or checked" }
            return verdict(.derived, "Derived from \(referenceLabel)\(detail): p = \(pText)\(cosineText), \(coverageText) of weights matched\(unchecked).")
        }
        let matchedLayers = layers.filter { $0.matchedBy != "none" }.map(\.group)
        return verdict(.partial, "Partly taken from \(referenceLabel): \(matchedLayers.joined(separator: ", ")) match (p = \(pText)\(cosineText), \(coverageText) of weights).")
    }
}
