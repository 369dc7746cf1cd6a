import Fingerprinting
import Foundation

/// Reference method 3: the per-layer std-of-attention-weights correlation of the Pangu/Qwen
/// dispute (arXiv 2507.03014). Per model, the standard deviation of the Q, K, V and O
/// projection of every layer gives four curves over layers; each curve is normalised (z-score)
/// and the four are concatenated. Two models are compared by the Pearson correlation of these
/// vectors over their common layer indices; a correlation of at least `threshold` means "copy",
/// and the suspect is attributed to the registered model with the highest correlation.
enum StdCurveCorrelation {
    static let threshold = 0.9
    static let roles: [TensorRole] = [.attentionQuery, .attentionKey, .attentionValue, .attentionOutput]

    /// Per role, layer → std. Roles come from the fingerprint's role inference (names, or
    /// shapes when names are unknown): the most a reviewer could recover.
    static func curves(_ fingerprint: Fingerprint) -> [TensorRole: [Int: Double]] {
        var result: [TensorRole: [Int: Double]] = [:]
        for tensor in fingerprint.tensors where roles.contains(tensor.role) {
            if let layer = tensor.layer, let std = tensor.statistics?.std { result[tensor.role, default: [:]][layer] = std }
        }
        return result
    }

    /// The correlation of two models' normalised curves, nil when they share fewer than 3 layers of every role.
    static func correlation(_ a: [TensorRole: [Int: Double]], _ b: [TensorRole: [Int: Double]]) -> Double? {
        var x: [Double] = [], y: [Double] = []
        for role in roles {
            guard let ca = a[role], let cb = b[role] else { continue }
            let layers = Set(ca.keys).intersection(cb.keys).sorted()
            guard layers.count >= 3 else { continue }
            x += zScores(layers.map { ca[$0]! })
            y += zScores(layers.map { cb[$0]! })
        }
        guard x.count >= 3 else { return nil }
        return pearson(x, y)
    }

    static func attribute(_ suspect: EvaluatedModel, registry: [EvaluatedModel]) -> MethodAnswer {
        let suspectCurves = curves(suspect.fingerprint)
        let scored = registry.compactMap { model in correlation(suspectCurves, curves(model.fingerprint)).map { (model.label, $0) } }
        guard let best = scored.max(by: { $0.1 < $1.1 }) else { return .none("no attention roles") }
        let text = String(format: "r = %.3f", best.1)
        return best.1 >= threshold ? MethodAnswer(labels: [best.0], detail: text) : .none(text)
    }

    static func zScores(_ values: [Double]) -> [Double] {
        let mean = values.reduce(0, +) / Double(values.count)
        let std = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)).squareRoot()
        return values.map { std > 0 ? ($0 - mean) / std : 0 }
    }

    static func pearson(_ x: [Double], _ y: [Double]) -> Double {
        let mx = x.reduce(0, +) / Double(x.count), my = y.reduce(0, +) / Double(y.count)
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in x.indices { sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) * (x[i] - mx); syy += (y[i] - my) * (y[i] - my) }
        return sxx > 0 && syy > 0 ? sxy / (sxx * syy).squareRoot() : 0
    }
}
