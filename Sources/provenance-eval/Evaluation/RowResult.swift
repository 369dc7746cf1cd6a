/// Everything measured for one row.
struct RowResult: Sendable {
    var recipe: SuspectRecipe
    var provenance: ProvenanceAnswer
    var wholeFile: MethodAnswer
    var tensorSet: MethodAnswer
    var stdCurve: MethodAnswer
    var buildSeconds: Double
    var fingerprintSeconds: Double

    var expectation: Expectation { recipe.expectation }
    var provenanceCorrect: Bool { Scoring.attributionCorrect(provenance, expectation) && Scoring.verdictCorrect(provenance, expectation) }
}

/// Per-method totals over the rows.
struct MethodSummary: Sendable {
    var name: String
    var correct: Int
    var rows: Int
    var falsePositives: Int
    /// provenance only: rows with the right model(s) whatever the verdict.
    var attributionOnly: Int?

    static func of(_ rows: [RowResult]) -> [MethodSummary] {
        var result = [MethodSummary(
            name: "provenance", correct: rows.filter(\.provenanceCorrect).count, rows: rows.count,
            falsePositives: rows.filter { Scoring.falsePositive($0.provenance, $0.expectation) }.count,
            attributionOnly: rows.filter { Scoring.attributionCorrect($0.provenance, $0.expectation) }.count)]
        let methods: [(String, (RowResult) -> MethodAnswer)] = [
            ("whole-file SHA-256", \.wholeFile), ("name-free tensor SHA-256 set", \.tensorSet),
            ("std-curve correlation ≥ \(StdCurveCorrelation.threshold)", \.stdCurve),
        ]
        for (name, answer) in methods {
            result.append(MethodSummary(
                name: name, correct: rows.filter { Scoring.correct(answer($0), $0.expectation) }.count, rows: rows.count,
                falsePositives: rows.filter { Scoring.falsePositive(answer($0), $0.expectation) }.count))
        }
        return result
    }
}
