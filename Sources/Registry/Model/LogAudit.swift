import ProvenanceCrypto
import TransparencyLog

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
