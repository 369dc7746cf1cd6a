import ProvenanceCrypto

// MARK: - Proof generation

extension MerkleTree {
    /// The inclusion proof (audit path, RFC 6962 `PATH(m, D[n])`) for leaf `leafIndex` in
    /// the tree of the first `treeSize` leaves (default: the whole tree).
    public func inclusionProof(leafIndex: UInt64, treeSize: UInt64? = nil) throws(LogError) -> InclusionProof {
        let n = treeSize ?? size
        guard n <= size else { throw .treeSizeOutOfRange(requested: n, available: size) }
        guard leafIndex < n else { throw .leafIndexOutOfRange(index: leafIndex, treeSize: n) }
        let hasher = NodeHasher()
        // Walk down from the root, collecting the sibling at each level; reversed at the end
        // so the leaf's sibling comes first.
        var path: [SHA256Digest] = []
        var m = Int(leafIndex)
        var start = 0
        var end = Int(n)
        while end - start > 1 {
            let split = Int(ProofShape.splitPoint(UInt64(end - start)))
            if m < split {
                path.append(subtreeHash(start: start + split, end: end, hasher: hasher))
                end = start + split
            } else {
                path.append(subtreeHash(start: start, end: start + split, hasher: hasher))
                m -= split
                start += split
            }
        }
        return InclusionProof(leafIndex: leafIndex, treeSize: n, hashes: path.reversed())
    }

    /// The consistency proof (RFC 6962 `PROOF(m, D[n])`) that the tree of the first
    /// `oldSize` leaves is a prefix of the tree of the first `newSize` (default: the whole tree).
    public func consistencyProof(oldSize: UInt64, newSize: UInt64? = nil) throws(LogError) -> ConsistencyProof {
        let n = newSize ?? size
        guard n <= size else { throw .treeSizeOutOfRange(requested: n, available: size) }
        guard oldSize <= n else { throw .consistencySizesReversed(oldSize: oldSize, newSize: n) }
        guard oldSize > 0, oldSize < n else { return ConsistencyProof(oldSize: oldSize, newSize: n, hashes: []) }
        let hasher = NodeHasher()
        // SUBPROOF(m, D[start..<end], oldTreeIsWholeSubtree), iteratively, top-down.
        var path: [SHA256Digest] = []
        var m = Int(oldSize)
        var start = 0
        var end = Int(n)
        var oldTreeIsWholeSubtree = true
        while m != end - start {
            let split = Int(ProofShape.splitPoint(UInt64(end - start)))
            if m <= split {
                path.append(subtreeHash(start: start + split, end: end, hasher: hasher))
                end = start + split
            } else {
                path.append(subtreeHash(start: start, end: start + split, hasher: hasher))
                m -= split
                start += split
                oldTreeIsWholeSubtree = false
            }
        }
        if !oldTreeIsWholeSubtree {
            path.append(subtreeHash(start: start, end: end, hasher: hasher))
        }
        return ConsistencyProof(oldSize: oldSize, newSize: n, hashes: path.reversed())
    }
}
