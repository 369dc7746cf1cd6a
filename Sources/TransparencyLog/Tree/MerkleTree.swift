import ProvenanceCrypto

/// An append-only RFC 6962 Merkle tree over leaf hashes, answering roots, inclusion proofs
/// and consistency proofs for the current size and every earlier size.
///
/// It stores the hash of every complete, aligned subtree (level 0 = the leaf hashes,
/// level h+1 = pairs of level h), about 2 × 32 bytes per leaf. Appending costs one leaf plus
/// amortized one node hash; a root or proof for any size costs O(log² n) node hashes.
/// The registry keeps leaf hashes in SQLite and builds a tree with
/// `init(concatenatedLeafHashes:)` or `init(leafHashes:)` when it needs proofs.
public struct MerkleTree: Sendable {
    /// `levels[h]` holds ⌊size / 2^h⌋ digests of 32 bytes, concatenated.
    private var levels: [[UInt8]] = [[]]

    /// An empty tree.
    public init() {}

    /// A tree over `leafHashes`, in log order.
    public init(leafHashes: some Sequence<SHA256Digest>) {
        let hasher = NodeHasher()
        for leaf in leafHashes {
            leaf.bytes.withUnsafeBytes { append(leafHashBytes: $0, hasher: hasher) }
        }
    }

    /// A tree over leaf hashes stored back to back (32 bytes each), e.g. one SQLite blob.
    public init(concatenatedLeafHashes bytes: some Collection<UInt8>) throws(LogError) {
        guard bytes.count % 32 == 0 else { throw .leafHashBytesNotMultipleOf32(count: bytes.count) }
        let flat = Array(bytes)
        let hasher = NodeHasher()
        levels[0].reserveCapacity(flat.count)
        flat.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                append(leafHashBytes: UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + 32)]), hasher: hasher)
                offset += 32
            }
        }
    }

    /// The number of leaves.
    public var size: UInt64 { UInt64(levels[0].count / 32) }

    /// Appends one leaf hash (for example `LogEntry.leafHash`).
    public mutating func append(leafHash: SHA256Digest) {
        let hasher = NodeHasher()
        leafHash.bytes.withUnsafeBytes { append(leafHashBytes: $0, hasher: hasher) }
    }

    /// Hashes `entry` as a leaf (`SHA-256(0x00 || entry)`), appends it and returns the hash.
    @discardableResult
    public mutating func append(entry: some ContiguousBytes) -> SHA256Digest {
        let leaf = MerkleHash.leaf(entry)
        append(leafHash: leaf)
        return leaf
    }

    /// The leaf hash at `index`.
    public func leafHash(at index: UInt64) throws(LogError) -> SHA256Digest {
        guard index < size else { throw .leafIndexOutOfRange(index: index, treeSize: size) }
        return storedHash(level: 0, index: Int(index))
    }

    /// The root hash of the whole tree (`MerkleHash.emptyTree` when empty).
    public var rootHash: SHA256Digest {
        subtreeHash(start: 0, end: Int(size), hasher: NodeHasher())
    }

    /// The root hash of the first `treeSize` leaves: what the root was at that size.
    public func rootHash(treeSize: UInt64) throws(LogError) -> SHA256Digest {
        guard treeSize <= size else { throw .treeSizeOutOfRange(requested: treeSize, available: size) }
        return subtreeHash(start: 0, end: Int(treeSize), hasher: NodeHasher())
    }

    /// The current tree head.
    public var treeHead: TreeHead { TreeHead(size: size, rootHash: rootHash) }

    /// The tree head at an earlier size.
    public func treeHead(treeSize: UInt64) throws(LogError) -> TreeHead {
        TreeHead(size: treeSize, rootHash: try rootHash(treeSize: treeSize))
    }

    // MARK: - Storage

    private mutating func append(leafHashBytes leaf: UnsafeRawBufferPointer, hasher: NodeHasher) {
        levels[0].append(contentsOf: leaf)
        var index = levels[0].count / 32 - 1
        var level = 0
        // Each time the new node is a right child, its parent is now complete.
        while index & 1 == 1 {
            let siblingsStart = (index - 1) * 32
            levels[level].withUnsafeBytes { hasher.hashSiblings(UnsafeRawBufferPointer(rebasing: $0[siblingsStart..<(siblingsStart + 64)])) }
            if levels.count == level + 1 { levels.append([]) }
            levels[level + 1].append(contentsOf: UnsafeRawBufferPointer(hasher.output))
            index >>= 1
            level += 1
        }
    }

    private func storedHash(level: Int, index: Int) -> SHA256Digest {
        SHA256Digest(bytes: levels[level][(index * 32)..<(index * 32 + 32)])!
    }

    /// MTH(D[start..<end]) for the ranges RFC 6962's recursions produce, whose `start` is a
    /// multiple of the largest power of two not above `end - start`; the range's left
    /// part is then always a stored complete subtree.
    func subtreeHash(start: Int, end: Int, hasher: NodeHasher) -> SHA256Digest {
        let count = end - start
        if count == 0 { return MerkleHash.emptyTree }
        if count & (count - 1) == 0 {
            let level = count.trailingZeroBitCount
            assert(start % count == 0, "subtree [\(start), \(end)) is not aligned")
            return storedHash(level: level, index: start >> level)
        }
        let split = Int(ProofShape.splitPoint(UInt64(count)))
        let level = split.trailingZeroBitCount
        assert(start % split == 0, "subtree [\(start), \(end)) is not aligned")
        let left = storedHash(level: level, index: start >> level)
        return hasher.node(left, subtreeHash(start: start + split, end: end, hasher: hasher))
    }
}

// MARK: - Streaming root

extension MerkleTree {
    /// MTH of `leafHashes` in one pass with O(log n) memory, without building a tree: for
    /// recomputing a root over a long log (`log verify`).
    public static func rootHash(ofLeafHashes leafHashes: some Sequence<SHA256Digest>) -> SHA256Digest {
        let hasher = NodeHasher()
        // Roots of the complete subtrees so far, left to right, with their leaf counts.
        var stack: [(hash: SHA256Digest, count: UInt64)] = []
        for leaf in leafHashes {
            var node = (hash: leaf, count: UInt64(1))
            while let last = stack.last, last.count == node.count {
                stack.removeLast()
                node = (hasher.node(last.hash, node.hash), node.count * 2)
            }
            stack.append(node)
        }
        guard var root = stack.popLast()?.hash else { return MerkleHash.emptyTree }
        // Smaller subtrees hang off the right edge: fold them in from right to left.
        while let left = stack.popLast() {
            root = hasher.node(left.hash, root)
        }
        return root
    }
}
