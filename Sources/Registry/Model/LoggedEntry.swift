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
