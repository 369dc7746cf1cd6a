import ProvenanceCrypto

/// Proof that the leaf at `leafIndex` is in the tree of `treeSize` leaves (RFC 9162 §2.1.3):
/// the audit path, the leaf's sibling first and the root's child last.
/// Codable (JSON: `leafIndex`, `treeSize`, `hashes` as hex strings) for `--json` output.
public struct InclusionProof: Hashable, Sendable, Codable {
    /// The 0-based index of the proved leaf.
    public let leafIndex: UInt64
    /// The size of the tree the proof leads to.
    public let treeSize: UInt64
    /// The audit path, bottom-up.
    public let hashes: [SHA256Digest]

    public init(leafIndex: UInt64, treeSize: UInt64, hashes: [SHA256Digest]) {
        self.leafIndex = leafIndex
        self.treeSize = treeSize
        self.hashes = hashes
    }

    /// The root hash this proof leads to from `leafHash`, by the algorithm of
    /// RFC 9162 §2.1.3.2. Throws if the index is outside the tree or the path has the wrong
    /// number of hashes for this index and size.
    public func rootHash(leafHash: SHA256Digest) throws(LogError) -> SHA256Digest {
        guard leafIndex < treeSize else { throw .leafIndexOutOfRange(index: leafIndex, treeSize: treeSize) }
        let expected = ProofShape.inclusionLength(index: leafIndex, size: treeSize)
        guard hashes.count == expected else {
            throw .proofLengthMismatch(proof: .inclusion, expected: expected, got: hashes.count)
        }
        let hasher = NodeHasher()
        var fn = leafIndex
        var sn = treeSize - 1
        var root = leafHash
        for sibling in hashes {
            guard sn != 0 else { throw .proofLengthMismatch(proof: .inclusion, expected: expected, got: hashes.count) }
            if fn & 1 == 1 || fn == sn {
                root = hasher.node(sibling, root)
                // A right-edge node with no right sibling: climb until it is a right child.
                while fn & 1 == 0 && fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                root = hasher.node(root, sibling)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else { throw .proofLengthMismatch(proof: .inclusion, expected: expected, got: hashes.count) }
        return root
    }

    /// Throws unless this proof leads from `leafHash` to `rootHash`.
    public func verify(leafHash: SHA256Digest, rootHash expectedRoot: SHA256Digest) throws(LogError) {
        let computed = try rootHash(leafHash: leafHash)
        guard computed == expectedRoot else { throw .inclusionRootMismatch(computed: computed, expected: expectedRoot) }
    }

    /// Throws unless this proof is for `treeHead`'s size and leads from `leafHash` to its root.
    public func verify(leafHash: SHA256Digest, treeHead: TreeHead) throws(LogError) {
        guard treeHead.size == treeSize else {
            throw .treeSizeMismatch(proof: .inclusion, proofSize: treeSize, headSize: treeHead.size)
        }
        try verify(leafHash: leafHash, rootHash: treeHead.rootHash)
    }
}
