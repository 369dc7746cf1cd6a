import Checkpoints
import Fingerprinting

/// A tensor that carries identifying evidence (a weight matrix with a sketch), prepared for
/// comparison: its sketch centred (the tensor's mean removed).
///
/// The experts of a mixture-of-experts layer are one piece of evidence: per-expert matrices
/// of the same layer, role and shape are summed (`ExpertLayout`), which is what a stack of
/// experts (`TensorFingerprint.experts`) already holds. So an MoE layer matches whether the
/// copy stores its experts one by one or stacked, and whatever their order.
struct EvidenceTensor: Sendable {
    /// The fingerprint's tensors this evidence stands for (one, or an expert group's members).
    let members: [Int]
    let name: String
    let role: TensorRole
    let layer: Int?
    let rows: Int
    let cols: Int
    /// Elements of every member.
    let parameters: Int
    /// Frobenius norm over every member.
    let norm: Double
    let sketch: [Float]
    let rawDigest: String
    let canonicalDigest: String

    /// Tensors smaller than this carry too little to be evidence.
    static let minimumElements = 1024

    /// The fingerprint's evidence tensors; a fused gate/up weight is one (see `replacingFused`).
    static func collect(_ fingerprint: Fingerprint, signs: SignTable) -> [EvidenceTensor] {
        var evidence: [EvidenceTensor] = []
        for group in fingerprint.expertGroups {
            if let tensor = grouped(group.name, members: group.members, summedSketch: group.sketch, fingerprint, signs: signs) {
                evidence.append(tensor)
            }
        }
        // Per-expert tensors that still carry their own sketches (fingerprints written before
        // expert groups) are grouped here the same way.
        let groups = ExpertGrouping.groups(fingerprint.tensors, including: ExpertGrouping.isFoldable)
        for (name, members) in groups {
            if let tensor = grouped(name, members: members, summedSketch: ExpertGrouping.summedSketch(of: members, in: fingerprint.tensors),
                                    fingerprint, signs: signs) {
                evidence.append(tensor)
            }
        }
        let inGroups = Set(groups.flatMap(\.members))
        for (index, tensor) in fingerprint.tensors.enumerated() where !inGroups.contains(index) {
            guard tensor.role.isWeightMatrix, tensor.shape.count >= 2, let view = tensor.matrixView,
                  view.rows >= 2, view.cols >= 2, view.rows * view.cols >= minimumElements,
                  tensor.sketch.count == 64 * 64, tensor.statistics != nil else { continue }
            evidence.append(single(index, tensor, signs: signs))
        }
        return evidence.sorted { ($0.members[0], $0.name) < ($1.members[0], $1.name) }
    }

    /// The evidence of an expert group: its summed sketch centred by the sum of the members'
    /// means, its norm and size over every member, digests over the members' in expert order.
    private static func grouped(
        _ name: String, members: [Int], summedSketch: [Float], _ fingerprint: Fingerprint, signs: SignTable
    ) -> EvidenceTensor? {
        let tensors = members.map { fingerprint.tensors[$0] }
        guard let first = tensors.first, first.role.isWeightMatrix, let (rows, cols) = first.matrixView,
              rows >= 2, cols >= 2, rows * cols >= minimumElements, summedSketch.count == 64 * 64 else { return nil }
        var meanSum = 0.0, sumSquares = 0.0, parameters = 0
        for tensor in tensors {
            guard let stats = tensor.statistics else { return nil }
            meanSum += stats.mean
            sumSquares += stats.sumSquares
            parameters += stats.count
        }
        return EvidenceTensor(
            members: members, name: name, role: first.role, layer: first.layer, rows: rows, cols: cols, parameters: parameters,
            norm: sumSquares.squareRoot(),
            sketch: SketchMath.centered(summedSketch, rows: rows, cols: cols, mean: meanSum, signs: signs),
            rawDigest: ExpertLayout.groupDigest(tensors.map(\.sha256)).hex,
            canonicalDigest: ExpertLayout.groupDigest(tensors.map(\.canonical.sha256)).hex)
    }

    private static func single(_ index: Int, _ tensor: TensorFingerprint, signs: SignTable) -> EvidenceTensor {
        let (rows, cols) = tensor.matrixView!
        let stats = tensor.statistics!
        return EvidenceTensor(
            members: [index], name: tensor.name, role: tensor.role, layer: tensor.layer, rows: rows, cols: cols,
            parameters: stats.count, norm: stats.norm,
            // A stack's sketch sums its experts, so its constant offset is the mean times their count.
            sketch: SketchMath.centered(tensor.sketch, rows: rows, cols: cols, mean: stats.mean * Double(tensor.experts ?? 1), signs: signs),
            // A stack's experts, digested one by one, match the same experts stored one by one.
            rawDigest: (tensor.expertDigests?.raw ?? tensor.sha256).hex,
            canonicalDigest: (tensor.expertDigests?.canonical ?? tensor.canonical.sha256).hex)
    }

    /// The largest dimension among evidence tensors (for the sign table).
    static func maximumDimension(_ fingerprints: [Fingerprint]) -> Int {
        var result = 1
        for fingerprint in fingerprints {
            for tensor in fingerprint.tensors {
                if let view = tensor.matrixView { result = max(result, view.rows, view.cols) }
            }
        }
        return result
    }
}
