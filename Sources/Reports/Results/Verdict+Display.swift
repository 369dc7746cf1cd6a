import Matching

// MARK: - Display names

extension Verdict.Kind {
    /// The verdict as a reader sees it: "Re-encoded copy", "Partial copy"…
    var displayName: String {
        switch self {
        case .identical: "Identical"
        case .reEncoded: "Re-encoded copy"
        case .derived: "Derived"
        case .partial: "Partial copy"
        case .merge: "Merge"
        case .independent: "Independent"
        }
    }

    var callout: Block.Callout {
        self == .independent ? .clear : .flagged
    }
}
