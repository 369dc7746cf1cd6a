/// Thresholds of the decision rules (documented in docs/MATCHING.md).
public struct MatchingOptions: Sendable, Hashable {
    /// A suspect is flagged when the combined p-value is below this.
    public var threshold: Double = 1e-6
    /// A single tensor or profile test counts as a match below this (Bonferroni-corrected).
    public var tensorThreshold: Double = 1e-4
    /// Coverage at or above which a relation is `derived` rather than `partial`.
    public var derivedCoverage: Double = 0.8
    /// Recorded in reports: the command that reproduces the result.
    public var command: String?

    public init() {}
}
