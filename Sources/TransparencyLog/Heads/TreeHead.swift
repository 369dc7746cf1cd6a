import ProvenanceCrypto

/// The size and root hash of the log's Merkle tree at one moment.
/// Codable (JSON: `size`, `rootHash` as hex) for `--json` output.
public struct TreeHead: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The number of entries.
    public let size: UInt64
    /// MTH of the first `size` entries (RFC 9162 §2.1.1).
    public let rootHash: SHA256Digest

    public init(size: UInt64, rootHash: SHA256Digest) {
        self.size = size
        self.rootHash = rootHash
    }

    /// The head of the empty log.
    public static let empty = TreeHead(size: 0, rootHash: MerkleHash.emptyTree)

    public var description: String { "tree head size \(size) root \(rootHash.hex)" }
}
