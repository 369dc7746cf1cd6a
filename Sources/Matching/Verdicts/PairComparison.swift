import Checkpoints
import Fingerprinting
import Foundation
import ProvenanceCrypto

/// Compares a suspect fingerprint with one reference fingerprint.
public enum PairComparison {
    /// `fullWeights`: the element-by-element evidence of a first comparison of the same pair
    /// (`compare --deep`), which settles layers no fingerprint evidence reached and whether the
    /// weights were changed; it never changes the p-value.
    public static func compare(
        suspect: Fingerprint, suspectIdentity: ModelIdentity,
        reference wholeReference: Fingerprint, referenceIdentity: ModelIdentity,
        options: MatchingOptions = MatchingOptions(), fullWeights: FullWeightEvidence? = nil
    ) -> Comparison {
        // A text-only copy of a multimodal release is compared with the release's language model.
        let languageModel = LanguageModelPart.find(suspect: suspect, reference: wholeReference)
        let reference = languageModel?.reference ?? wholeReference
        let signs = SignTable(seed: PublicSeed(suspect.header.seed), count: EvidenceTensor.maximumDimension([suspect, reference]))
        var suspectEvidence = EvidenceTensor.collect(suspect, signs: signs)
        var referenceEvidence = EvidenceTensor.collect(reference, signs: signs)
        let sameSeed = suspect.header.seed == reference.header.seed
        let logTensorThreshold = log(options.tensorThreshold)
        var alignment = TensorAlignment(suspect: suspectEvidence, reference: sameSeed ? referenceEvidence : [])
        // Experts renamed beyond recognition: regroup them as the reference's groups.
        if sameSeed, let regrouped = EvidenceTensor.regroupingExperts(
            suspectEvidence, alignment: alignment, suspectFingerprint: suspect, reference: referenceEvidence,
            referenceFingerprint: reference, logThreshold: logTensorThreshold) {
            suspectEvidence = regrouped
            alignment = TensorAlignment(suspect: suspectEvidence, reference: referenceEvidence)
        }
        // Fused gate/up weights whose whole matched nothing: the other side may hold them split.
        if sameSeed, let unmatched = EvidenceTensor.unmatchedFused(
            suspect: suspectEvidence, suspectFingerprint: suspect, reference: referenceEvidence, referenceFingerprint: reference,
            alignment: alignment, logThreshold: logTensorThreshold) {
            suspectEvidence = EvidenceTensor.replacingFused(suspectEvidence, unmatched.suspect, in: suspect, signs: signs)
            referenceEvidence = EvidenceTensor.replacingFused(referenceEvidence, unmatched.reference, in: reference, signs: signs)
            alignment = TensorAlignment(suspect: suspectEvidence, reference: referenceEvidence)
        }

        // Per-tensor matches.
        // Expert groups have digests of their own (over their members').
        let referenceRaw = Set(reference.tensors.map(\.sha256.hex) + referenceEvidence.map(\.rawDigest))
        let referenceCanonical = Set(reference.tensors.map(\.canonical.sha256.hex) + referenceEvidence.map(\.canonicalDigest))
        var tensorMatches: [TensorMatch] = []
        var tensorLogPs: [Double] = []
        for (index, s) in suspectEvidence.enumerated() {
            let score = alignment.best[index]
            let r = score.map { referenceEvidence[$0.reference] }
            let logP = alignment.logPValue(index)
            tensorLogPs.append(logP)
            var exact: String?
            if referenceRaw.contains(s.rawDigest) { exact = "raw" } else if referenceCanonical.contains(s.canonicalDigest) { exact = "canonical" }
            tensorMatches.append(TensorMatch(
                suspectTensor: s.name, referenceTensor: r?.name, role: s.role.rawValue, suspectLayer: s.layer,
                referenceLayer: r?.layer, parameters: s.parameters, transposed: score?.transposed ?? false,
                cosine: score?.cosine ?? 0, z: score?.z ?? 0, log10P: LogProbability.log10(logP),
                comparisons: alignment.comparisons[index], exact: exact,
                normRatio: r.map { $0.norm > 0 ? s.norm / $0.norm : 0 } ?? 0,
                significant: exact != nil || logP < logTensorThreshold))
        }

        // Layer hints for profiles: suspect layer → reference layer by significant matches.
        var votes: [Int: [Int: Int]] = [:]
        for match in tensorMatches where match.significant {
            if let sl = match.suspectLayer, let rl = match.referenceLayer { votes[sl, default: [:]][rl, default: 0] += match.parameters }
        }
        let layerHints = votes.mapValues { $0.max { ($0.value, -$0.key) < ($1.value, -$1.key) }!.key }
        var profileMatches = sameSeed ? ProfileMatching.match(suspect: suspect, reference: reference, layerHints: layerHints) : []
        // Opaque names: matrices take the layer numbers of the reference layers they match.
        let placedMatrices = LayerPlacement.applies(suspect: suspect, reference: reference)
            ? LayerPlacement.place(tensors: &tensorMatches, profiles: &profileMatches, reference: reference,
                                   fullWeights: fullWeights, logThreshold: logTensorThreshold)
            : nil
        let profileLogPs = profileMatches.map { $0.log10P * Foundation.log(10.0) }

        let combined = LogProbability.fisher(tensorLogPs + profileLogPs)
        var layers = LayerSummary.layers(tensorMatches, profiles: profileMatches, logThreshold: logTensorThreshold,
                                         probeIsEmbedding: suspect.probe.kind == .embedding)
        if let fullWeights { layers = LayerSummary.settling(layers, tensors: tensorMatches, by: fullWeights, reference: reference) }
        // Elementwise conversions (ConvertedValues) are neither renamed nor rescaled matrices, whatever their sketches say.
        let converted = sameSeed ? ConvertedValues.find(suspect: suspect, reference: reference, signs: signs) : nil
        let convertedNames = converted?.suspectTensors ?? []
        var alignmentSummary = LayerSummary.alignment(
            tensorMatches, profiles: profileMatches, layers: layers, suspect: suspect, reference: reference,
            converted: convertedNames, fullWeights: fullWeights, logThreshold: logTensorThreshold)
        alignmentSummary.placedMatrices = placedMatrices
        let exact = exactEvidence(suspect: suspect, reference: reference, evidence: suspectEvidence, matches: tensorMatches)
        let verdict = VerdictRules.decide(
            suspect: suspect, reference: reference, exact: exact, tensors: tensorMatches, profiles: profileMatches,
            layers: layers, alignment: alignmentSummary, combinedLogP: combined, converted: converted,
            rounding: RoundingBudget(suspect: suspect, reference: reference, evidence: suspectEvidence,
                                     referenceEvidence: referenceEvidence, matches: tensorMatches), options: options,
            referenceLabel: languageModel == nil ? referenceIdentity.label : "\(referenceIdentity.label)'s language model",
            leadingEvidence: languageModel.map { [$0.evidence] } ?? [], fullWeights: fullWeights)
        return Comparison(
            suspect: suspectIdentity, reference: referenceIdentity, verdict: verdict, exact: exact, tensors: tensorMatches,
            layers: layers, profiles: profileMatches,
            heatmaps: LayerSummary.heatmaps(alignment)
                + [LayerSummary.profileHeatmap(profileMatches, alignment: alignmentSummary, suspect: suspect, reference: reference)].compactMap { $0 },
            curves: LayerSummary.curves(suspect: suspect, reference: reference),
            alignment: alignmentSummary,
            method: MethodInfo(tool: Fingerprinter.toolName, toolVersion: Fingerprinter.toolVersion,
                               fingerprintFormat: FingerprintFormat.version, seed: suspect.header.seed,
                               threshold: options.threshold, tensorThreshold: options.tensorThreshold, command: options.command),
            fullWeights: fullWeights)
    }

    /// The canonical digests a root is taken over (scale factors left out, as in `RootDigest`),
    /// sorted, with every mixture-of-experts layer's experts as one group digest: a stack's
    /// `expertDigests`, or the group digest of per-expert tensors in expert order.
    static func expertCanonicalDigests(_ fingerprint: Fingerprint) -> [SHA256Digest] {
        let groups = perExpertGroupDigests(fingerprint)
        let inGroups = Set(groups.flatMap(\.members))
        var digests = groups.map(\.digest)
        for (index, tensor) in fingerprint.tensors.enumerated() where tensor.role != .quantizationScale && !inGroups.contains(index) {
            digests.append(tensor.expertDigests?.canonical ?? tensor.canonical.sha256)
        }
        return digests.sorted()
    }

    /// Each group of per-expert tensors (scale factors left out) with the group digest of its
    /// members' canonical digests in expert order — what a stack of the same experts records
    /// as `expertDigests.canonical`.
    static func perExpertGroupDigests(_ fingerprint: Fingerprint) -> [(members: [Int], digest: SHA256Digest)] {
        ExpertGrouping.groups(fingerprint.tensors) { $0.role != .quantizationScale }.map { group in
            (group.members, ExpertLayout.groupDigest(group.members.map { fingerprint.tensors[$0].canonical.sha256 }))
        }
    }

    /// Whether a tensor's digest is evidence. Buffers (position ids) and constant tensors
    /// (untrained norms, zero biases) are the same in every model of an architecture; scale
    /// factors belong to their weight, whose canonical digest covers them.
    static func isExactEvidence(_ tensor: TensorFingerprint) -> Bool {
        tensor.role != .buffer && tensor.role != .quantizationScale && (tensor.statistics?.std ?? 1) > 0
    }

    /// The evidential tensors of `fingerprint` whose values `other` holds in no tensor
    /// (`tensorsNotHeld`).
    static func evidenceNotHeld(in fingerprint: Fingerprint, by other: Fingerprint) -> [TensorFingerprint] {
        tensorsNotHeld(in: fingerprint, by: other, where: isExactEvidence)
    }

    /// The tensors of `fingerprint` that satisfy `include` and whose values `other` holds in no
    /// tensor: neither its canonical digest nor, for experts, the digest of its layer's experts
    /// taken one by one (`expertValueDigests`) occurs on the other side.
    static func tensorsNotHeld(in fingerprint: Fingerprint, by other: Fingerprint, where include: (TensorFingerprint) -> Bool) -> [TensorFingerprint] {
        let held = Set(other.tensors.map(\.canonical.sha256)).union(expertValueDigests(other).values)
        let experts = expertValueDigests(fingerprint)
        return fingerprint.tensors.indices.compactMap { index in
            let tensor = fingerprint.tensors[index]
            guard include(tensor), !held.contains(tensor.canonical.sha256) else { return nil }
            return experts[index].map(held.contains) == true ? nil : tensor
        }
    }

    /// By tensor index, the digest of the experts a tensor holds, each expert as the 2-D matrix
    /// it would be stored alone: a stack's `expertDigests.canonical`, or for a per-expert tensor
    /// the group digest of its layer's experts in expert order. Each expert's canonical digest
    /// is orientation-free, so a stack and its experts stored transposed one by one (llama.cpp
    /// writes Llama 4's and gpt-oss's `[E, I, H]` `down_proj` as `[E, H, I]`) have the same.
    static func expertValueDigests(_ fingerprint: Fingerprint) -> [Int: SHA256Digest] {
        var digests: [Int: SHA256Digest] = [:]
        for group in perExpertGroupDigests(fingerprint) {
            for member in group.members { digests[member] = group.digest }
        }
        for (index, tensor) in fingerprint.tensors.enumerated() {
            if let stacked = tensor.expertDigests?.canonical { digests[index] = stacked }
        }
        return digests
    }

    static func exactEvidence(suspect: Fingerprint, reference: Fingerprint, evidence: [EvidenceTensor], matches: [TensorMatch]) -> ExactEvidence {
        let referenceFiles = Set(reference.source.files.compactMap { $0.sha256?.hex })
        let identicalFiles = suspect.source.files.filter { $0.sha256.map { referenceFiles.contains($0.hex) } ?? false }.count
        let referenceRaw = Set(reference.tensors.map(\.sha256))
        let totalParameters = max(1, matches.reduce(0) { $0 + $1.parameters })
        let canonicalParameters = matches.filter { $0.exact != nil }.reduce(0) { $0 + $1.parameters }
        let informative = suspect.tensors.filter(isExactEvidence)
        return ExactEvidence(
            suspectFiles: suspect.source.files.count, identicalFiles: identicalFiles,
            suspectTensors: informative.count,
            sharedRawTensors: informative.filter { referenceRaw.contains($0.sha256) }.count,
            sharedCanonicalTensors: informative.count - evidenceNotHeld(in: suspect, by: reference).count,
            rawRootEqual: suspect.roots.raw == reference.roots.raw,
            canonicalRootEqual: suspect.roots.canonical == reference.roots.canonical,
            expertRootEqual: suspect.roots.canonical != reference.roots.canonical
                && expertCanonicalDigests(suspect) == expertCanonicalDigests(reference),
            canonicalCoverage: Double(canonicalParameters) / Double(totalParameters))
    }
}
