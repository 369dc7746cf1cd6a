import Matching

/// Whether an answer is right for a row, and whether it is a false positive (naming a
/// registered model the row does not descend from).
enum Scoring {
    /// provenance: the right model(s) and the right verdict.
    static func attributionCorrect(_ answer: ProvenanceAnswer, _ expectation: Expectation) -> Bool {
        switch expectation.attribution {
        case .model(let model): answer.verdict != .independent && answer.verdict != .merge && answer.labels == [model.label]
        case .merge(let models): answer.verdict == .merge && Set(answer.labels) == Set(models.map(\.label))
        case .none: answer.verdict == .independent
        }
    }

    static func verdictCorrect(_ answer: ProvenanceAnswer, _ expectation: Expectation) -> Bool {
        answer.verdict == expectation.verdict
    }

    static func falsePositive(_ answer: ProvenanceAnswer, _ expectation: Expectation) -> Bool {
        answer.verdict != .independent && answer.labels.contains { !expectation.ancestorLabels.contains($0) }
    }

    /// Single-answer reference methods: right when they name the model (any component of a
    /// merge), or nothing for an unrelated model.
    static func correct(_ answer: MethodAnswer, _ expectation: Expectation) -> Bool {
        let acceptable = expectation.acceptableLabels
        if acceptable.isEmpty { return answer.labels.isEmpty }
        return answer.labels.count == 1 && acceptable.contains(answer.labels[0])
    }

    static func falsePositive(_ answer: MethodAnswer, _ expectation: Expectation) -> Bool {
        answer.labels.contains { !expectation.ancestorLabels.contains($0) }
    }
}
