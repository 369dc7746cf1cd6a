import Foundation
import Perturbation

/// What the lineage is: corpora and training from lineage.json, and the raw weight cosines
/// between its models (to show that raw similarity cannot name the ancestor).
struct LineageFacts {
    struct Training {
        var name: String
        var start: String
        var corpus: String
        var steps: Int
        var seconds: Double
        var lossFirst: Double
        var lossLast: Double
    }

    struct Corpus {
        var name: String
        var source: String
        var tokens: Int
        var sha256: String
    }

    var corpora: [Corpus] = []
    var trainings: [Training] = []
    var trainingSeconds: Double = 0
    var versions: String = ""
    var batch = 0
    var length = 0
    /// (a, b, cosine over every floating-point weight, ‖a − b‖ / ‖b‖).
    var cosines: [(String, String, Double, Double)] = []

    static func read(lineage: String) throws -> LineageFacts {
        let path = (lineage as NSString).appendingPathComponent("lineage.json")
        guard let data = FileManager.default.contents(atPath: path),
              let root = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw EvaluationError("\(path) is missing or not a JSON object.")
        }
        var facts = LineageFacts()
        for (name, value) in (root["corpora"] as? [String: Any] ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let corpus = value as? [String: Any] else { continue }
            facts.corpora.append(Corpus(name: name, source: corpus["source"] as? String ?? "", tokens: corpus["tokens"] as? Int ?? 0,
                                        sha256: corpus["sha256"] as? String ?? ""))
        }
        let models = root["models"] as? [String: Any] ?? [:]
        for model in LineageModel.allCases where model != .base {
            guard let entry = models[model.rawValue] as? [String: Any] else { continue }
            facts.trainings.append(Training(
                name: model.rawValue, start: entry["start"] as? String ?? "", corpus: entry["corpus"] as? String ?? "",
                steps: entry["steps"] as? Int ?? 0, seconds: entry["seconds"] as? Double ?? 0,
                lossFirst: entry["loss_first50"] as? Double ?? 0, lossLast: entry["loss_last50"] as? Double ?? 0))
        }
        facts.trainingSeconds = root["seconds"] as? Double ?? 0
        facts.versions = "Python \(root["python"] as? String ?? "?"), JAX \(root["jax"] as? String ?? "?"), numpy \(root["numpy"] as? String ?? "?")"
        let training = root["training"] as? [String: Any] ?? [:]
        facts.batch = training["batch"] as? Int ?? 0
        facts.length = training["length"] as? Int ?? 0
        return facts
    }

    /// Cosine of all floating-point weights of `a` and `b` (same names and shapes), and ‖a − b‖ / ‖b‖.
    static func cosine(_ a: CheckpointModel, _ b: CheckpointModel) -> (Double, Double) {
        var dot = 0.0, aa = 0.0, bb = 0.0, dd = 0.0
        for entry in a.entries where entry.isFloatingPoint {
            guard let other = b[entry.name], other.shape == entry.tensor.shape else { continue }
            entry.tensor.values.withUnsafeBufferPointer { x in
                other.values.withUnsafeBufferPointer { y in
                    for i in x.indices {
                        let u = Double(x[i]), v = Double(y[i])
                        dot += u * v; aa += u * u; bb += v * v; dd += (u - v) * (u - v)
                    }
                }
            }
        }
        return (dot / (aa * bb).squareRoot(), (dd / bb).squareRoot())
    }
}
