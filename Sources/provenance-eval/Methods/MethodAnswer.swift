/// What one attribution method says about a row: the registered model it names (nil: none)
/// and the number behind it.
struct MethodAnswer: Sendable {
    /// Registered model(s) named; more than one for a merge.
    var labels: [String]
    /// Short text for the table, e.g. "r = 0.987".
    var detail: String

    static func none(_ detail: String) -> MethodAnswer { MethodAnswer(labels: [], detail: detail) }

    var cell: String {
        labels.isEmpty ? "none" + (detail.isEmpty ? "" : " (\(detail))") : labels.joined(separator: " + ") + (detail.isEmpty ? "" : " (\(detail))")
    }
}
