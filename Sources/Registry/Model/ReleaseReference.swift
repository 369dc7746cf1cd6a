/// A release named as `NAME` or `NAME@VERSION` (names never contain `@`).
public struct ReleaseReference: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    /// `nil` means "any version" (for look-ups: the latest registered).
    public var version: String?

    public init(name: String, version: String? = nil) {
        self.name = name
        self.version = version
    }

    /// Parses `NAME` or `NAME@VERSION`, splitting at the first `@`.
    public init(parsing text: String) throws(RegistryError) {
        let parts = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
        let name = String(parts[0])
        if let problem = ReleaseMetadata.nameProblem(name) {
            throw RegistryError.invalidReference(text, reason: problem)
        }
        var version: String?
        if parts.count == 2 {
            let text2 = String(parts[1])
            if text2.isEmpty { throw RegistryError.invalidReference(text, reason: "the version after '@' is empty") }
            if let problem = ReleaseMetadata.versionProblem(text2) {
                throw RegistryError.invalidReference(text, reason: problem)
            }
            version = text2
        }
        self.init(name: name, version: version)
    }

    /// `NAME@VERSION`, or `NAME` when there is no version.
    public var description: String { version.map { "\(name)@\($0)" } ?? name }
}
