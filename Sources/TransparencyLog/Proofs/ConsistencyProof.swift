import ProvenanceCrypto

/// Proof that the tree of `oldSize` leaves is a prefix of the tree of `newSize` leaves,
/// i.e. the log only grew (RFC 9162 §2.1.4). Empty when the sizes are equal or the old tree
/// is empty.
/// Codable (JSON: `oldSize`, `newSize`, `hashes` as hex strings) for `--json` output.
public struct ConsistencyProof: Hashable, Sendable, Codable {
    /// The size of the earlier tree.
    public let oldSize: UInt64
    /// The size of the later tree.
    public let newSize: UInt64
    /// The consistency path, in RFC 6962 `PROOF(m, D[n])` order.
    public let hashes: [SHA256Digest]

    public init(oldSize: UInt64, newSize: UInt64, hashes: [SHA256Digest]) {
        self.oldSize = oldSize
        self.newSize = newSize
        self.hashes = hashes
    }

    /// Throws unless the proof shows that the tree with root `oldRoot` (size `oldSize`) is a
    /// prefix of the tree with root `newRoot` (size `newSize`), by the algorithm of
    /// RFC 9162 §2.1.4.2; the error says which root failed to reproduce.
    public func verify(oldRoot: SHA256Digest, newRoot: SHA256Digest) throws(LogError) {
        guard oldSize <= newSize else { throw .consistencySizesReversed(oldSize: oldSize, newSize: newSize) }
        let expected = ProofShape.consistencyLength(oldSize: oldSize, newSize: newSize)
        guard hashes.count == expected else {
            throw .proofLengthMismatch(proof: .consistency, expected: expected, got: hashes.count)
        }
        if oldSize == 0 {
            // The empty tree is a prefix of every tree; its head must still be well formed.
            guard oldRoot == MerkleHash.emptyTree else { throw .emptyTreeRootMismatch(found: oldRoot) }
            return
        }
        if oldSize == newSize {
            guard oldRoot == newRoot else { throw .newRootMismatch(computed: oldRoot, expected: newRoot) }
            return
        }
        var path = hashes
        // An old tree that is a complete subtree is not repeated in the proof.
        if oldSize & (oldSize - 1) == 0 { path.insert(oldRoot, at: 0) }
        var fn = oldSize - 1
        var sn = newSize - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        let hasher = NodeHasher()
        var oldComputed = path[0]
        var newComputed = path[0]
        for node in path.dropFirst() {
            guard sn != 0 else { throw .proofLengthMismatch(proof: .consistency, expected: expected, got: hashes.count) }
            if fn & 1 == 1 || fn == sn {
                oldComputed = hasher.node(node, oldComputed)
                newComputed = hasher.node(node, newComputed)
                while fn & 1 == 0 && fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                newComputed = hasher.node(newComputed, node)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else { throw .proofLengthMismatch(proof: .consistency, expected: expected, got: hashes.count) }
        guard oldComputed == oldRoot else { throw .oldRootMismatch(computed: oldComputed, expected: oldRoot) }
        guard newComputed == newRoot else { throw .newRootMismatch(computed: newComputed, expected: newRoot) }
    }

    /// Throws unless the proof is for these heads' sizes and shows `old` is a prefix of `new`.
    public func verify(old: TreeHead, new: TreeHead) throws(LogError) {
        guard old.size == oldSize else { throw .treeSizeMismatch(proof: .consistency, proofSize: oldSize, headSize: old.size) }
        guard new.size == newSize else { throw .treeSizeMismatch(proof: .consistency, proofSize: newSize, headSize: new.size) }
        try verify(oldRoot: old.rootHash, newRoot: new.rootHash)
    }
}
