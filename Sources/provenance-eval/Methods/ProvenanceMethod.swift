import Foundation
import Matching

/// provenance itself: `Matcher.scan` of the suspect against the registry (base, release,
/// independent-1) with the default options.
struct ProvenanceAnswer: Sendable {
    var scan: ScanResult
    /// Registered model(s) named by the attribution.
    var labels: [String]
    var verdict: Verdict.Kind
    /// log₁₀ of the combined p-value of the attributed candidate (the most significant one when
    /// nothing or a merge is attributed).
    var log10P: Double
    var pValue: String
    var estimatedCosine: Double?
    /// β(release | base) of the sketch-delta analysis, when the scan computed it.
    var betaReleaseOverBase: Double?
    var seconds: Double

    var attributionCell: String {
        switch verdict {
        case .independent: "none"
        case .merge: labels.joined(separator: " + ")
        default: labels.first ?? "?"
        }
    }
}

enum ProvenanceMethod {
    static func scan(_ suspect: EvaluatedModel, registry: [EvaluatedModel], options: MatchingOptions = MatchingOptions()) -> ProvenanceAnswer {
        let start = Date()
        let result = Matcher.scan(suspect.fingerprint, suspectIdentity: suspect.identity, against: registry.map(\.reference), options: options)
        let seconds = Date().timeIntervalSince(start)
        let attribution = result.attribution
        let labels: [String]
        if attribution.verdict == .merge {
            labels = attribution.components.map(\.label)
        } else {
            labels = attribution.nearest.map { [$0] } ?? []
        }
        let focus = result.candidates.first { $0.reference.label == attribution.nearest } ?? result.candidates.first
        let beta = attribution.relations.first {
            $0.from == LineageModel.base.label && $0.toward == LineageModel.release.label
        }?.beta
        return ProvenanceAnswer(
            scan: result, labels: labels, verdict: attribution.verdict, log10P: focus?.verdict.log10P ?? 0,
            pValue: focus?.verdict.pValue ?? "1", estimatedCosine: focus?.verdict.estimatedCosine,
            betaReleaseOverBase: beta, seconds: seconds)
    }
}
