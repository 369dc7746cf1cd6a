/// What `Registry.register` stored and found.
public struct RegistrationResult: Sendable {
    /// The stored release.
    public var release: Release
    /// The entry with the same name and version that was replaced, if any.
    public var replaced: Release?
    /// Other releases with identical weights or exactly shared tensors (identical first).
    public var findings: [WeightsFinding]
}

/// What `Registry.import` stored.
public struct ImportResult: Sendable {
    /// One entry per imported file, in the order given.
    public struct Entry: Sendable {
        public enum Outcome: Sendable, Hashable {
            /// Stored as a new release.
            case imported
            /// Replaced a different entry with the same name and version.
            case replaced
            /// The registry already held exactly this entry; nothing changed.
            case unchanged
        }
        public var file: String
        public var release: Release
        public var outcome: Outcome
        /// Other releases with identical weights or exactly shared tensors.
        public var findings: [WeightsFinding]
    }

    public var entries: [Entry]

    /// Files that changed the registry.
    public var changedCount: Int { entries.filter { $0.outcome != .unchanged }.count }
}

/// What `Registry.seedIfEmpty` did.
public struct SeedResult: Sendable {
    /// The directory the fingerprint files came from.
    public var directory: String
    /// The releases seeded.
    public var releases: [Release]
}

/// One file written by `Registry.export`.
public struct ExportedFile: Sendable {
    public var release: Release
    public var path: String
    public var size: Int
}
