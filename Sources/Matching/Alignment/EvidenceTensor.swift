import Fingerprinting

/// A tensor that carries identifying evidence (a weight matrix with a sketch), prepared for
/// comparison: its sketch centred (the tensor's mean removed).
struct EvidenceTensor: Sendable {
    let index: Int
    let name: String
    let role: TensorRole
    let layer: Int?
    let rows: Int
    let cols: Int
    let parameters: Int
    let norm: Double
    let std: Double
    let sketch: [Float]
    let rawDigest: String
    let canonicalDigest: String

    /// Tensors smaller than this carry too little to be evidence.
    static let minimumElements = 1024

    static func collect(_ fingerprint: Fingerprint, signs: SignTable) -> [EvidenceTensor] {
        fingerprint.tensors.enumerated().compactMap { index, tensor in
            guard tensor.role.isWeightMatrix, tensor.shape.count >= 2, let view = tensor.matrixView,
                  view.rows >= 2, view.cols >= 2, view.rows * view.cols >= minimumElements,
                  tensor.sketch.count == 64 * 64, let stats = tensor.statistics else { return nil }
            return EvidenceTensor(
                index: index, name: tensor.name, role: tensor.role, layer: tensor.layer, rows: view.rows, cols: view.cols,
                parameters: view.rows * view.cols, norm: stats.norm, std: stats.std,
                sketch: SketchMath.centered(tensor.sketch, rows: view.rows, cols: view.cols, mean: stats.mean, signs: signs),
                rawDigest: tensor.sha256.hex, canonicalDigest: tensor.canonical.sha256.hex)
        }
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
