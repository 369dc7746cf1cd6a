import Checkpoints
import Fingerprinting

// MARK: - Fused tensors stored split (or the reverse), values unchanged

extension VerdictRules {
    /// The deviation energy (relative to the aligned energy, `1/ρ² − 1`) below which two
    /// sketches are equal to within their own precision: 64 × 64 F32 cells rounded to 2^-24
    /// of their size leave ≈10^-14 between sketches of equal values; any change to the
    /// weights of 10^-6 of their norm or more shows above 10^-12.
    static let sketchPrecision = 1e-12

    /// What a fused split found: how many part matrices matched, the parts they were, and the
    /// suspect's tensors on either side of those matches (wholes, or the split stacks).
    struct FusedSplit {
        var matrices: Int
        var parts: Set<FusedProjection.Part>
        var suspectTensors: Set<String>
    }

    /// The matrices that differ only because one side stores a fused tensor whole and the
    /// other its two parts (llama.cpp's BF16 or F32 GGUF of Llama 4, gpt-oss or Granite MoE,
    /// or of DeepSeek's latent attention; a llamafied Phi-3): every other evidential tensor on
    /// both sides holds the other's values (or pairs in `converted`: 1 + w, −exp(w)), and each part matches its counterpart to within the
    /// sketches' precision — the parts have no digests of their own. `nil` when that is not so.
    static func fusedSplit(suspect: Fingerprint, reference: Fingerprint, tensors: [TensorMatch], converted: ConvertedValues?) -> FusedSplit? {
        func equalBySketch(_ match: TensorMatch) -> Bool {
            match.significant && match.cosine > 0 && deviationEnergy(cosine: match.cosine) <= sketchPrecision
        }
        let partMatches = tensors.filter { match in
            (EvidenceTensor.isPartName(match.suspectTensor) || match.referenceTensor.map(EvidenceTensor.isPartName) == true) && equalBySketch(match)
        }
        guard !partMatches.isEmpty else { return nil }
        // A tensor is accounted for by its parts when both are matched (the part's side), or by a match to a part (the whole's side).
        func accounted(_ tensor: TensorFingerprint, in fingerprint: Fingerprint, own: (TensorMatch) -> String?, other: (TensorMatch) -> String?) -> Bool {
            let parts = fingerprint.fusedParts.filter { fingerprint.tensors[$0.tensor].name == tensor.name }
                .map { EvidenceTensor.partName(tensor.name, $0.part) }
            return (!parts.isEmpty && parts.allSatisfy { part in partMatches.contains { own($0) == part } })
                || partMatches.contains { own($0) == tensor.name && other($0).map(EvidenceTensor.isPartName) == true }
        }
        // Tensors converted elementwise (norms as 1 + w, decays as −exp(w)) are accounted for by their pairs.
        let convertedSuspect = converted?.suspectTensors ?? [], convertedReference = converted?.referenceTensors ?? []
        let suspectDiffering = PairComparison.evidenceNotHeld(in: suspect, by: reference)
        let referenceDiffering = PairComparison.evidenceNotHeld(in: reference, by: suspect)
        guard !suspectDiffering.isEmpty,
              suspectDiffering.allSatisfy({ convertedSuspect.contains($0.name) || accounted($0, in: suspect, own: \.suspectTensor, other: \.referenceTensor) }),
              referenceDiffering.allSatisfy({ convertedReference.contains($0.name) || accounted($0, in: reference, own: { $0.referenceTensor }, other: { $0.suspectTensor }) })
        else { return nil }
        let parts = partMatches.compactMap { match in
            (EvidenceTensor.part(ofName: match.suspectTensor) ?? match.referenceTensor.flatMap(EvidenceTensor.part(ofName:)))?.part
        }
        let suspectTensors = partMatches.map { EvidenceTensor.wholeName(ofPart: $0.suspectTensor) ?? $0.suspectTensor }
        return FusedSplit(matrices: partMatches.count, parts: Set(parts), suspectTensors: Set(suspectTensors))
    }
}
