import ProvenanceCrypto
import TransparencyLog

/// An inclusion proof of the log entry that registered a release, against the latest
/// signed tree head. Everything a verifier needs is in here: the entry bytes (hash them as a
/// leaf), the audit path, the signed head (its root and size) and the key that signed it.
public struct LogInclusion: Sendable {
    public var release: Release
    /// The latest entry that registered, replaced or imported the release.
    public var entry: LoggedEntry
    public var proof: InclusionProof
    public var head: SignedTreeHead
    public var publicKey: Ed25519PublicKey
}

/// A consistency proof from an earlier signed tree head to the latest one.
public struct LogConsistency: Sendable {
    /// The head given by the user (its signature verified with `publicKey`).
    public var oldHead: SignedTreeHead
    /// The log's latest signed tree head.
    public var newHead: SignedTreeHead
    public var publicKey: Ed25519PublicKey
    /// The proof the log gives; `nil` when the log now holds fewer entries than the old head.
    public var proof: ConsistencyProof?
    /// Why the log did not only grow since `oldHead`; `nil` when the proof verifies.
    public var problem: String?

    /// Whether the log only grew.
    public var isConsistent: Bool { problem == nil }
}
