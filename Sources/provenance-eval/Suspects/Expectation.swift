import Matching

/// What a correct detector says about one row, and which attributions would be false positives.
struct Expectation: Sendable {
    enum Attribution: Sendable {
        /// Derived from this registered model.
        case model(LineageModel)
        /// Combined from these registered models (linear merge or graft).
        case merge([LineageModel])
        /// Related to no registered model.
        case none
    }

    var attribution: Attribution
    /// The verdict provenance must give (for `.none`: `independent`).
    var verdict: Verdict.Kind
    /// Registered models the row's weights really descend from: naming any of them is not a
    /// false positive (naming the base for a copy of the release is wrong, but not false).
    var ancestors: Set<LineageModel>

    static func derived(from model: LineageModel, verdict: Verdict.Kind = .derived) -> Expectation {
        Expectation(attribution: .model(model), verdict: verdict, ancestors: model == .base ? [.base] : [model, .base])
    }

    static func merge(_ models: [LineageModel]) -> Expectation {
        Expectation(attribution: .merge(models), verdict: .merge, ancestors: Set(models).union([.base]))
    }

    static let unrelated = Expectation(attribution: .none, verdict: .independent, ancestors: [])

    /// Labels a single-answer method may give and be right (any component of a merge).
    var acceptableLabels: Set<String> {
        switch attribution {
        case .model(let model): [model.label]
        case .merge(let models): Set(models.map(\.label))
        case .none: []
        }
    }

    var ancestorLabels: Set<String> { Set(ancestors.map(\.label)) }

    /// "release (derived)", "merge: release + independent-1", "none (independent)".
    var text: String {
        switch attribution {
        case .model(let model): "\(model.label) (\(verdict.rawValue))"
        case .merge(let models): "merge: " + models.map(\.label).joined(separator: " + ")
        case .none: "none (independent)"
        }
    }
}
