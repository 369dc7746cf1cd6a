import Checkpoints
import Fingerprinting
import ProvenanceCrypto

// MARK: - Experts without telling names

extension EvidenceTensor {
    /// Regroups suspect matrices that are a reference expert group's experts under names that
    /// do not say so (opaque renaming): when exactly as many single suspect matrices of one
    /// shape and orientation take the same reference group as their significant best match as
    /// the group has experts, they become one group evidence tensor (their summed sketch), as
    /// if their names had been kept. Returns `nil` when nothing was regrouped.
    ///
    /// Each expert alone estimates a cosine of about 1/√E with its layer's sum, which reads like
    /// a heavily changed layer; the regrouped sum compares like for like. The members are put
    /// in the reference group's expert order where their canonical digests say it (so an exact
    /// copy keeps its exact group digest), else in checkpoint order.
    static func regroupingExperts(
        _ suspect: [EvidenceTensor], alignment: TensorAlignment, suspectFingerprint: Fingerprint,
        reference: [EvidenceTensor], referenceFingerprint: Fingerprint, logThreshold: Double
    ) -> [EvidenceTensor]? {
        var taken = Set<Int>()
        var regrouped: [EvidenceTensor] = []
        for (groupIndex, group) in reference.enumerated() where group.members.count >= 2 {
            let candidates = suspect.indices.filter { index in
                guard suspect[index].members.count == 1, !taken.contains(index), let best = alignment.best[index] else { return false }
                return best.reference == groupIndex && alignment.logPValue(index) < logThreshold
            }
            guard candidates.count == group.members.count,
                  Set(candidates.map { "\(suspect[$0].rows)x\(suspect[$0].cols) \(alignment.best[$0]!.transposed)" }).count == 1 else { continue }
            // Reference expert order where the canonical digests tell it.
            let order = group.members.map { referenceFingerprint.tensors[$0].canonical.sha256 }
            let position = { (index: Int) -> Int in
                order.firstIndex(of: suspectFingerprint.tensors[suspect[index].members[0]].canonical.sha256) ?? order.count + index
            }
            let members = candidates.sorted { (position($0), $0) < (position($1), $1) }
            var sketch = [Double](repeating: 0, count: 64 * 64)
            var squares = 0.0, parameters = 0
            for index in members {
                for cell in sketch.indices { sketch[cell] += Double(suspect[index].sketch[cell]) }
                squares += suspect[index].norm * suspect[index].norm
                parameters += suspect[index].parameters
            }
            let first = suspect[members[0]]
            let tensors = members.map { suspectFingerprint.tensors[suspect[$0].members[0]] }
            regrouped.append(EvidenceTensor(
                members: members.map { suspect[$0].members[0] }, name: "\(first.name) (+\(members.count - 1) experts)", role: first.role,
                layer: first.layer, rows: first.rows, cols: first.cols, parameters: parameters, norm: squares.squareRoot(),
                sketch: sketch.map { Float($0) },
                rawDigest: ExpertLayout.groupDigest(tensors.map(\.sha256)).hex,
                canonicalDigest: ExpertLayout.groupDigest(tensors.map(\.canonical.sha256)).hex))
            taken.formUnion(candidates)
        }
        guard !regrouped.isEmpty else { return nil }
        return (suspect.indices.filter { !taken.contains($0) }.map { suspect[$0] } + regrouped).sorted { $0.members.min()! < $1.members.min()! }
    }
}
