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

    static func collect(_ fingerprint: Fingerprint, signs: SignTable) -> [EvidenceTensor] {
        var evidence: [EvidenceTensor] = []
        var groups: [String: [Int]] = [:]
        var groupOrder: [String] = []
        for (index, tensor) in fingerprint.tensors.enumerated() {
            guard tensor.role.isWeightMatrix, tensor.shape.count >= 2, let view = tensor.matrixView,
                  view.rows >= 2, view.cols >= 2, view.rows * view.cols >= minimumElements,
                  tensor.sketch.count == 64 * 64, tensor.statistics != nil else { continue }
            if tensor.shape.count == 2, let group = ExpertLayout.groupName(name: tensor.name) {
                let key = "\(group) \(view.rows)x\(view.cols)"
                if groups[key] == nil { groupOrder.append(key) }
                groups[key, default: []].append(index)
                continue
            }
            evidence.append(single(index, tensor, signs: signs))
        }
        for key in groupOrder {
            let members = groups[key]!.sorted {
                ExpertLayout.expertIndex(name: fingerprint.tensors[$0].name)! < ExpertLayout.expertIndex(name: fingerprint.tensors[$1].name)!
            }
            let tensors = members.map { fingerprint.tensors[$0] }
            let first = tensors[0]
            guard members.count >= 2 else {
                evidence.append(single(members[0], first, signs: signs))
                continue
            }
            let (rows, cols) = first.matrixView!
            var sketch = [Double](repeating: 0, count: 64 * 64)
            var sumSquares = 0.0, parameters = 0
            for tensor in tensors {
                let stats = tensor.statistics!
                let centred = SketchMath.centered(tensor.sketch, rows: rows, cols: cols, mean: stats.mean, signs: signs)
                for cell in sketch.indices { sketch[cell] += Double(centred[cell]) }
                sumSquares += stats.sumSquares
                parameters += stats.count
            }
            evidence.append(EvidenceTensor(
                members: members, name: ExpertLayout.groupName(name: first.name)!, role: first.role, layer: first.layer,
                rows: rows, cols: cols, parameters: parameters, norm: sumSquares.squareRoot(), sketch: sketch.map { Float($0) },
                rawDigest: ExpertLayout.groupDigest(tensors.map(\.sha256)).hex,
                canonicalDigest: ExpertLayout.groupDigest(tensors.map(\.canonical.sha256)).hex))
        }
        return evidence.sorted { $0.members[0] < $1.members[0] }
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
