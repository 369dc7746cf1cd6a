import Checkpoints
import Fingerprinting

// MARK: - Fused tensors (gate/up, latent attention's key/value)

extension EvidenceTensor {
    /// The evidence of each fused weight's two parts (`FusedPartFingerprint`), by tensor
    /// index: the part's sketch, size and norm, the role of the separate matrix it becomes, and
    /// digests only the same part of the same fused tensor shares.
    static func fusedParts(_ fingerprint: Fingerprint, signs: SignTable) -> [Int: [EvidenceTensor]] {
        var parts: [Int: [EvidenceTensor]] = [:]
        for part in fingerprint.fusedParts {
            guard part.tensor < fingerprint.tensors.count else { continue }
            let tensor = fingerprint.tensors[part.tensor]
            guard tensor.role.isWeightMatrix, part.rows >= 2, part.cols >= 2, part.rows * part.cols >= minimumElements,
                  part.sketch.count == SketchGeometry.side * SketchGeometry.side else { continue }
            let suffix = ":" + part.part.rawValue
            parts[part.tensor, default: []].append(EvidenceTensor(
                members: [part.tensor], name: partName(tensor.name, part.part), role: role(of: part.part),
                layer: tensor.layer, rows: part.rows, cols: part.cols, parameters: part.count, norm: part.sumSquares.squareRoot(),
                sketch: SketchMath.centered(part.sketch, rows: part.rows, cols: part.cols,
                                            mean: part.mean * Double(part.stackedMatrices(of: tensor)), signs: signs),
                rawDigest: (tensor.expertDigests?.raw ?? tensor.sha256).hex + suffix,
                canonicalDigest: (tensor.expertDigests?.canonical ?? tensor.canonical.sha256).hex + suffix))
        }
        // Both parts or neither: one part alone would leave the other half unaccounted for.
        return parts.filter { $0.value.count == 2 }
    }

    /// The role of the separate matrix a part becomes.
    static func role(of part: FusedProjection.Part) -> TensorRole {
        switch part {
        case .gate: .mlpGate
        case .up: .mlpUp
        case .key: .attentionKey
        case .value: .attentionValue
        }
    }

    /// The evidence name of one part of a fused tensor: `NAME[gate]`, `NAME[up]`, `NAME[key]`, `NAME[value]`.
    static func partName(_ tensor: String, _ part: FusedProjection.Part) -> String {
        "\(tensor)[\(part.rawValue)]"
    }

    /// The fused tensor's name and the part of a part's evidence name (`partName`), or `nil` for other names.
    static func part(ofName name: String) -> (whole: String, part: FusedProjection.Part)? {
        FusedProjection.Part.allCases.lazy.compactMap { part in
            name.hasSuffix("[\(part.rawValue)]") ? (String(name.dropLast(part.rawValue.count + 2)), part) : nil
        }.first
    }

    /// The fused tensor's name of a part's evidence name (`partName`), or `nil` for other names.
    static func wholeName(ofPart name: String) -> String? {
        part(ofName: name)?.whole
    }

    /// Whether an evidence name is one part of a fused tensor (`partName`).
    static func isPartName(_ name: String) -> Bool {
        part(ofName: name) != nil
    }

    /// Every evidence tensor a comparison of `fingerprint` may have used, wholes and parts, by name.
    static func collectAll(_ fingerprint: Fingerprint, signs: SignTable) -> [String: EvidenceTensor] {
        let all = collect(fingerprint, signs: signs) + fusedParts(fingerprint, signs: signs).values.joined()
        return Dictionary(all.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// `evidence` with the whole of each fused weight in `indices` replaced by its two parts.
    static func replacingFused(_ evidence: [EvidenceTensor], _ indices: Set<Int>, in fingerprint: Fingerprint, signs: SignTable) -> [EvidenceTensor] {
        guard !indices.isEmpty else { return evidence }
        let parts = fusedParts(fingerprint, signs: signs)
        return evidence.flatMap { tensor -> [EvidenceTensor] in
            guard tensor.members.count == 1, indices.contains(tensor.members[0]), let split = parts[tensor.members[0]],
                  tensor.name == fingerprint.tensors[tensor.members[0]].name else { return [tensor] }
            return split
        }
    }

    /// The fused weights (with parts) of either side that matched nothing significant
    /// as a whole: a copy that split them (llama.cpp's `ffn_gate_exps`/`ffn_up_exps` or
    /// `attn_k_b`/`attn_v_b`, a llamafied `gate_proj`/`up_proj`) holds the parts instead. Their indices, per side, or
    /// `nil` when there are none. A fused copy — renamed or not — still matches as a whole, as
    /// before parts existed, so parts only stand in where the whole found nothing.
    static func unmatchedFused(
        suspect: [EvidenceTensor], suspectFingerprint: Fingerprint, reference: [EvidenceTensor], referenceFingerprint: Fingerprint,
        alignment: TensorAlignment, logThreshold: Double
    ) -> (suspect: Set<Int>, reference: Set<Int>)? {
        let suspectFused = Set(suspectFingerprint.fusedParts.map(\.tensor)), referenceFused = Set(referenceFingerprint.fusedParts.map(\.tensor))
        guard !suspectFused.isEmpty || !referenceFused.isEmpty else { return nil }
        var matchedReference = Set<Int>()
        var unmatchedSuspect = Set<Int>()
        for index in suspect.indices {
            let significant = alignment.logPValue(index) < logThreshold
            if significant, let best = alignment.best[index] { matchedReference.insert(best.reference) }
            let tensor = suspect[index]
            if !significant, tensor.members.count == 1, suspectFused.contains(tensor.members[0]),
               tensor.name == suspectFingerprint.tensors[tensor.members[0]].name {
                unmatchedSuspect.insert(tensor.members[0])
            }
        }
        var unmatchedReference = Set<Int>()
        for (index, tensor) in reference.enumerated() where !matchedReference.contains(index) && tensor.members.count == 1 {
            if referenceFused.contains(tensor.members[0]), tensor.name == referenceFingerprint.tensors[tensor.members[0]].name {
                unmatchedReference.insert(tensor.members[0])
            }
        }
        return unmatchedSuspect.isEmpty && unmatchedReference.isEmpty ? nil : (unmatchedSuspect, unmatchedReference)
    }
}
