import Checkpoints
import Fingerprinting

// MARK: - Copies holding the same weights, beside what a converter changes

extension VerdictRules {
    /// A re-encoding the canonical root does not show: every weight the copy holds is the other
    /// side's, and what differs is something converters do — leave small tensors out, add
    /// buffers they compute, split fused gate/up (or key/value) tensors, store norms as 1 + w
    /// or state-space decays as −exp(w).
    struct LosslessException {
        /// What differs and why the weights are still the same (a line or more).
        var evidence: [String]
        /// The verdict's sentence.
        var sentence: String
    }

    /// The first exception that holds, in this order: reference tensors left out
    /// (`droppedTensors`), tensors without evidence differing (`nonEvidenceDifferences`), fused
    /// gate/up tensors split (`fusedSplit`, with values converted elementwise besides), values
    /// converted elementwise (`ConvertedValues`: norms as 1 + w, decays as −exp(w)); `nil` when
    /// none does. All but the second need every reference layer to have a counterpart; the last
    /// two rest on sketches and statistics, so they need the pair to be significant (and the
    /// split, every matrix matched).
    static func losslessException(
        suspect: Fingerprint, reference: Fingerprint, exact: ExactEvidence, tensors: [TensorMatch], alignment: AlignmentSummary,
        coverage: Double, significant: Bool, converted: ConvertedValues?, referenceLabel: String
    ) -> LosslessException? {
        let layersKept = alignment.droppedReferenceLayers.isEmpty
        let renamed = isRenamed(suspect: suspect, reference: reference)
        let stored = "the same weights stored differently"
        if let absent = droppedTensors(suspect: suspect, reference: reference, exact: exact), layersKept {
            let listed = listing(absent.names, limit: 4)
            let count = absent.names.count == 1 ? "1 reference tensor is" : "\(absent.names.count) reference tensors are"
            return LosslessException(
                evidence: [String(format: "%@ not in the suspect (%@: %.2g%% of the reference's parameters); every tensor it has holds a reference tensor's values.",
                                 count, listed, absent.share * 100)],
                sentence: "Re-encoded copy of \(referenceLabel) without \(absent.names.count == 1 ? "one" : String(absent.names.count)) of its tensors: \(stored)\(renamed ? " (renamed)" : ""), minus what a converter leaves out (\(listed)).")
        }
        if let differing = nonEvidenceDifferences(suspect: suspect, reference: reference, exact: exact) {
            let listed = listing(differing, limit: 4)
            return LosslessException(
                evidence: ["Every evidential tensor holds the other side's values; only tensors that carry no evidence differ (buffers a converter computes, constants): \(listed)."],
                sentence: "Re-encoded copy of \(referenceLabel): \(stored)\(renamed ? " (renamed)" : ""), beside tensors that hold no weights (\(listed)).")
        }
        guard layersKept, significant else { return nil }
        let convertedClause = converted.map { ", " + $0.clause } ?? ""
        if coverage >= 0.99, let split = fusedSplit(suspect: suspect, reference: reference, tensors: tensors, converted: converted) {
            let keyValue = split.parts.isSubset(of: [.key, .value]), gateUp = split.parts.isSubset(of: [.gate, .up])
            let what = keyValue ? "the key or value part of a fused key/value up-projection (latent attention's kv_b_proj)"
                : gateUp ? "the gate or up part of a fused gate/up tensor" : "a part of a fused tensor (gate/up, or latent attention's key/value)"
            let how = keyValue ? "latent attention's key/value up-projection fused on one side, split per head on the other"
                : gateUp ? "fused gate/up projections on one side, separate on the other" : "fused projections on one side, split on the other"
            let others = converted == nil ? "every other tensor holds the other side's values" : "every other tensor holds the other side's values or converts to them as below"
            return LosslessException(
                evidence: ["\(split.matrices) matrices are \(what) on the other side; each equals its part to within the sketches' precision (1/ρ² − 1 ≤ 1e-12, a deviation below about 1e-6 of the norm), and \(others). The parts have no digests of their own, so this is as close to byte-equal as the fingerprint can say."]
                    + (converted?.evidence ?? []),
                // The split side's parts keep the converter's names (no original has them): not a renaming.
                sentence: "Re-encoded copy of \(referenceLabel): \(stored) (\(how)\(isRenamed(suspect: suspect, reference: reference, ignoring: split.suspectTensors) ? "; renamed" : ""))\(convertedClause).")
        }
        if let converted, converted.explainsAll {
            return LosslessException(
                evidence: converted.evidence,
                sentence: "Re-encoded copy of \(referenceLabel): \(stored)\(renamed ? " (renamed)" : "")\(convertedClause).")
        }
        return nil
    }

    /// The first `limit` names, comma-separated, with "…" when there are more.
    static func listing(_ names: [String], limit: Int) -> String {
        names.prefix(limit).joined(separator: ", ") + (names.count > limit ? ", …" : "")
    }

    /// The largest share of the reference's parameters a copy may leave out and still be a
    /// re-encoding: converters drop what their runtime does not use (llama.cpp's BERT conversion
    /// drops the pooler, 0.65 % of all-MiniLM-L6-v2); dropping more (layers, a head) is an edit.
    static let droppedTensorShare = 0.05

    /// The reference tensors a suspect lacks when every evidential suspect tensor holds one of
    /// the reference's values exactly (experts one by one count: `PairComparison.tensorsNotHeld`)
    /// and the evidential ones missing are at most
    /// `droppedTensorShare` of the reference's parameters (buffers such as position ids and
    /// constant tensors may be missing too); `nil` otherwise, or when nothing is missing.
    static func droppedTensors(suspect: Fingerprint, reference: Fingerprint, exact: ExactEvidence) -> (names: [String], share: Double)? {
        guard exact.suspectTensors > 0, exact.sharedCanonicalTensors == exact.suspectTensors else { return nil }
        let absent = PairComparison.tensorsNotHeld(in: reference, by: suspect) { $0.role != .quantizationScale }
        let evidential = reference.tensors.filter(PairComparison.isExactEvidence)
        let total = evidential.reduce(0) { $0 + $1.shape.reduce(1, *) }
        let missing = absent.filter(PairComparison.isExactEvidence).reduce(0) { $0 + $1.shape.reduce(1, *) }
        guard !absent.isEmpty, total > 0, Double(missing) <= droppedTensorShare * Double(total) else { return nil }
        return (absent.map(\.name), Double(missing) / Double(total))
    }

    /// The tensors that differ when every evidential tensor on both sides holds the other's
    /// values and only tensors carrying no evidence do not — buffers a converter computes
    /// (llama.cpp's `rope_freqs` for Llama 3's scaled RoPE) or constants; `nil` otherwise.
    static func nonEvidenceDifferences(suspect: Fingerprint, reference: Fingerprint, exact: ExactEvidence) -> [String]? {
        guard exact.suspectTensors > 0, exact.sharedCanonicalTensors == exact.suspectTensors,
              PairComparison.evidenceNotHeld(in: reference, by: suspect).isEmpty else { return nil }
        let weights: (TensorFingerprint) -> Bool = { $0.role != .quantizationScale }
        let differing = PairComparison.tensorsNotHeld(in: suspect, by: reference, where: weights)
            + PairComparison.tensorsNotHeld(in: reference, by: suspect, where: weights)
        let names = Array(Set(differing.map(\.name))).sorted()
        return names.isEmpty ? nil : names
    }

    /// Whether some of the suspect's tensor names are not the reference's. Left out: buffers a
    /// converter computes (llama.cpp's `rope_freqs`), the names in `ignoring`, and stacks of
    /// experts the reference stores one tensor per expert (llama.cpp's `ffn_up_exps`: no
    /// original name exists for a stack, so a converter's is no renaming).
    static func isRenamed(suspect: Fingerprint, reference: Fingerprint, ignoring: Set<String> = []) -> Bool {
        let referenceGroups = Set(PairComparison.perExpertGroupDigests(reference).map(\.digest))
        let names = suspect.tensors.filter { tensor in
            tensor.role != .buffer && !ignoring.contains(tensor.name) && !(tensor.expertDigests.map { referenceGroups.contains($0.canonical) } ?? false)
        }.map(\.name)
        return !Set(names).isSubset(of: Set(reference.tensors.map(\.name)))
    }
}
