/// The result of matching a suspect against several references (a registry scan).
public struct ScanResult: Codable, Sendable {
    public var suspect: ModelIdentity
    /// Every candidate compared: the attributed release(s) first (the nearest ancestor, then
    /// merge or graft components), then the rest most significant first.
    public var candidates: [Comparison]
    public var attribution: Attribution
    public var method: MethodInfo

    /// Whether the suspect is flagged (exit status 1).
    public var flagged: Bool { attribution.verdict != .independent }
}

/// Which registered release(s) the suspect comes from, after comparing the related ones
/// with each other.
public struct Attribution: Codable, Sendable, Hashable {
    public struct Component: Codable, Sendable, Hashable {
        public var label: String
        /// Estimated mixing weight (linear merges).
        public var weight: Double?
        /// Suspect layers taken from this release (grafts).
        public var layers: [Int]?
    }

    /// How two related candidates were told apart.
    public struct Relation: Codable, Sendable, Hashable {
        public var from: String
        public var toward: String
        /// β(toward | from): ≈1 the suspect is `toward`'s copy, ≈0 it moved away from `from` on its own.
        public var beta: Double?
        public var method: String
        public var conclusion: String
    }

    public var verdict: Verdict.Kind
    /// The nearest registered ancestor (nil for independent or merges).
    public var nearest: String?
    public var sentence: String
    public var components: [Component]
    public var relations: [Relation]

    /// The releases the verdict names: the nearest ancestor, then the other components, each once.
    public var attributedLabels: [String] {
        ([nearest].compactMap { $0 } + components.map(\.label)).reduce(into: [String]()) {
            if !$0.contains($1) { $0.append($1) }
        }
    }
}
