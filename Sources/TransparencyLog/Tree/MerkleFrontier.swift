import ProvenanceCrypto

/// The right edge of an RFC 6962 tree: the roots of its complete subtrees, largest first
/// (one per set bit of the size). Enough to append leaves and compute the root in
/// O(log n) time and memory, without the leaves, so a registry can sign a new tree head
/// per change without reading its whole log.
///
/// Encoding (`encoded`): `u64 size || hash[32] × popcount(size)`, big-endian. It is a cache
/// the writer keeps next to the log; auditors recompute roots from the entries instead.
public struct MerkleFrontier: Hashable, Sendable {
    /// The number of leaves appended.
    public private(set) var size: UInt64 = 0
    /// Roots of the complete subtrees along the right edge, left to right (largest first).
    public private(set) var subtreeRoots: [SHA256Digest] = []

    /// The frontier of the empty tree.
    public init() {}

    /// The frontier of the tree over `leafHashes`, in log order.
    public init(leafHashes: some Sequence<SHA256Digest>) {
        let hasher = NodeHasher()
        for leaf in leafHashes { append(leafHash: leaf, hasher: hasher) }
    }

    /// Appends one leaf hash (for example `LogEntry.leafHash`).
    public mutating func append(leafHash: SHA256Digest) {
        append(leafHash: leafHash, hasher: NodeHasher())
    }

    private mutating func append(leafHash: SHA256Digest, hasher: NodeHasher) {
        // Binary increment: each set low bit is a complete subtree of the same size as the
        // carry, and merges with it.
        var carry = leafHash
        var bit = size
        while bit & 1 == 1 {
            carry = hasher.node(subtreeRoots.removeLast(), carry)
            bit >>= 1
        }
        subtreeRoots.append(carry)
        size += 1
    }

    /// MTH of the leaves appended so far (`MerkleHash.emptyTree` when empty): the smaller
    /// subtrees hang off the right edge, folded in from the right.
    public var rootHash: SHA256Digest {
        guard var root = subtreeRoots.last else { return MerkleHash.emptyTree }
        let hasher = NodeHasher()
        for left in subtreeRoots.dropLast().reversed() {
            root = hasher.node(left, root)
        }
        return root
    }

    /// The tree head of the leaves appended so far.
    public var treeHead: TreeHead { TreeHead(size: size, rootHash: rootHash) }
}

// MARK: - Encoding

extension MerkleFrontier {
    /// `u64 size || subtree roots`, 8 + 32 × popcount(size) bytes.
    public var encoded: [UInt8] {
        var encoder = CanonicalEncoder()
        encoder.append(bigEndian: size)
        for root in subtreeRoots { encoder.append(contentsOf: root.bytes) }
        return encoder.bytes
    }

    /// Decodes `encoded` strictly: the number of hashes must be the popcount of the size.
    public init(encoded input: some Collection<UInt8>) throws(LogError) {
        var decoder = CanonicalDecoder(input)
        do throws(CanonicalDecodingError) {
            let size = try decoder.readUInt64("the tree size")
            var roots: [SHA256Digest] = []
            for index in 0..<size.nonzeroBitCount {
                roots.append(SHA256Digest(bytes: try decoder.read(count: 32, "subtree root \(index)"))!)
            }
            try decoder.finish()
            self.size = size
            subtreeRoots = roots
        } catch {
            throw .malformed(what: "Merkle frontier", reason: error.description)
        }
    }
}
