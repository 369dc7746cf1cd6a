import ProvenanceCrypto
import TransparencyLog

/// One entry of the registry's log: the decoded entry, its exact stored bytes and its
/// Merkle leaf hash (recomputed from the bytes, never taken from storage).
public struct LoggedEntry: Sendable, Hashable {
    public var entry: LogEntry
    /// The canonical encoding: the Merkle leaf input.
    public var encoded: [UInt8]
    /// `SHA-256(0x00 || encoded)`.
    public var leafHash: SHA256Digest

    /// The entry's position in the log (its leaf index).
    public var sequence: UInt64 { entry.sequenceNumber }
}

/// The log as stored: every entry, the latest signed tree head and the log's public key.
public struct LogSnapshot: Sendable {
    public var entries: [LoggedEntry]
    /// The latest signed tree head, its signature verified with `publicKey`; `nil` for an empty log.
    public var head: SignedTreeHead?
    /// The registry's log key (pinned in the registry); `nil` before the first change.
    public var publicKey: Ed25519PublicKey?
}

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

/// What `Registry.auditLog()` found.
public struct LogAudit: Sendable {
    public var entryCount: Int
    public var headCount: Int
    /// The latest stored head (whether or not it verified).
    public var latestHead: SignedTreeHead?
    public var publicKey: Ed25519PublicKey?
    /// Every problem, in the order found; empty when the log is intact.
    public var problems: [LogProblem]

    public var isIntact: Bool { problems.isEmpty }
}

/// One way the stored log fails to be the append-only history its signed heads vouch for.
public struct LogProblem: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        /// Sequence numbers skip: rows were deleted.
        case missingEntries
        /// A row holds another position's entry: rows were reordered or renumbered.
        case reorderedEntry
        /// A row's bytes are not a valid entry encoding: it was edited.
        case malformedEntry
        /// A row's bytes do not hash to its stored leaf hash: the entry (or hash) was edited.
        case leafHashMismatch
        /// A stored head does not decode, is signed by another key or its signature fails.
        case invalidHead
        /// The entries no longer give a signed head's root: entries were edited, reordered,
        /// inserted or deleted before that head's size.
        case headRootMismatch
        /// A signed head covers more entries than the log holds: entries were deleted.
        case headBeyondLog
        /// Entries after the latest signed head: appended without the registry's key.
        case unsignedEntries
        /// A registered release that no log entry registers.
        case releaseNotLogged
        /// A registered release that differs from what its log entry recorded.
        case releaseDiffersFromLog
        /// A release the log says is registered but the registry does not hold.
        case loggedReleaseMissing
        /// The log key is not pinned, or the key file is not the pinned key.
        case logKey
    }

    public var kind: Kind
    /// The log position concerned, when there is one.
    public var sequence: UInt64?
    /// A sentence saying what is wrong and what it means.
    public var message: String

    public init(kind: Kind, sequence: UInt64? = nil, message: String) {
        self.kind = kind
        self.sequence = sequence
        self.message = message
    }

    public var description: String { message }
}
