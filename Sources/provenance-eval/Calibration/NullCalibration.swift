import Fingerprinting
import Foundation
import Matching
import Perturbation
import SyntheticModels

/// The false-positive rate on pairs of independent models: generated pairs (independent
/// initialisations of the same architecture, the cleanest null) and the real pairs of the
/// lineage that share no ancestry (independent-1/-2 against each other and against the
/// MiniLM family).
struct NullCalibration {
    struct Family: Sendable {
        var name: String
        var spec: TransformerSpec
        var firstSeed: UInt64
    }

    struct PairResult: Sendable {
        var first: String
        var second: String
        var log10P: Double
        var flagged: Bool
        var verdict: Verdict.Kind
    }

    struct Summary: Sendable {
        var name: String
        var pairs: [PairResult]
        var seconds: Double

        var count: Int { pairs.count }
        /// Flagged by the verdict rules at the default threshold (anything but `independent`).
        var flaggedAtDefault: Int { pairs.filter(\.flagged).count }
        /// Combined p below `alpha`.
        func below(_ alpha: Double) -> Int { pairs.filter { $0.log10P < Foundation.log10(alpha) }.count }
        var smallestLog10P: Double { pairs.map(\.log10P).min() ?? 0 }
    }

    static let families = [
        Family(name: "generated BERT (tinyBERT: 4 layers, d 64)", spec: .tinyBERT, firstSeed: 50_000),
        Family(name: "generated Llama (tinyLlama: 4 layers, d 64)", spec: .tinyLlama, firstSeed: 60_000),
    ]

    /// `pairs` consecutive pairs (seed i, seed i+1) of independently generated models per family.
    static func generated(_ family: Family, pairs: Int, scratch: String) throws -> Summary {
        let start = Date()
        let directory = (scratch as NSString).appendingPathComponent("null-\(family.spec.family.rawValue)")
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var options = FingerprintOptions()
        options.fileDigests = false
        var previous: Fingerprint?
        var results: [PairResult] = []
        for index in 0...pairs {
            let seed = family.firstSeed + UInt64(index)
            let path = (directory as NSString).appendingPathComponent("m\(index)")
            try CheckpointModel.write(ModelGenerator.generate(family.spec, seed: seed), to: path)
            let fingerprint = try Fingerprinter.fingerprint(path: path, options: options)
            try? FileManager.default.removeItem(atPath: path)
            if let previous {
                let result = Matcher.compare(
                    fingerprint, suspectIdentity: ModelIdentity(fingerprint: fingerprint, label: "seed \(seed)", kind: "checkpoint"),
                    with: Matcher.Reference(label: "seed \(seed - 1)", fingerprint: previous))
                results.append(PairResult(first: "seed \(seed)", second: "seed \(seed - 1)", log10P: result.verdict.log10P,
                                          flagged: result.verdict.isFlagged, verdict: result.verdict.kind))
            }
            previous = fingerprint
        }
        return Summary(name: family.name, pairs: results, seconds: Date().timeIntervalSince(start))
    }

    /// Real pairs with no common ancestry among the lineage models.
    static func real(_ models: [LineageModel: EvaluatedModel]) -> Summary {
        let start = Date()
        var pairs: [(LineageModel, LineageModel)] = [(.independent2, .independent1)]
        for independent in [LineageModel.independent1, .independent2] {
            for other in [LineageModel.base, .release, .sibling, .releaseFineTuned] { pairs.append((independent, other)) }
        }
        let results = pairs.compactMap { pair -> PairResult? in
            guard let a = models[pair.0], let b = models[pair.1] else { return nil }
            let result = Matcher.compare(a.fingerprint, suspectIdentity: a.identity, with: b.reference)
            return PairResult(first: a.label, second: b.label, log10P: result.verdict.log10P, flagged: result.verdict.isFlagged,
                              verdict: result.verdict.kind)
        }
        return Summary(name: "real: trained from scratch vs MiniLM lineage", pairs: results, seconds: Date().timeIntervalSince(start))
    }
}
