import ProvenanceCrypto

/// RFC 6962 / RFC 9162 Merkle tree hashing with SHA-256.
///
/// Leaves and interior nodes get different one-byte prefixes, so a leaf can never be
/// passed off as an interior node (second-preimage resistance).
public enum MerkleHash {
    /// The prefix byte of a leaf hash.
    public static let leafPrefix: UInt8 = 0x00
    /// The prefix byte of an interior node hash.
    public static let nodePrefix: UInt8 = 0x01

    /// The root of the empty tree: SHA-256 of the empty string.
    public static let emptyTree: SHA256Digest = SHA256.hash([UInt8]())

    /// `SHA-256(0x00 || entry)`.
    public static func leaf(_ entry: some ContiguousBytes) -> SHA256Digest {
        let hasher = SHA256()
        hasher.update([leafPrefix])
        hasher.update(entry)
        return hasher.finalize()
    }

    /// `SHA-256(0x01 || left || right)`.
    public static func node(_ left: SHA256Digest, _ right: SHA256Digest) -> SHA256Digest {
        let hasher = SHA256()
        hasher.update([nodePrefix])
        hasher.update(left.bytes)
        hasher.update(right.bytes)
        return hasher.finalize()
    }
}

/// Interior-node hashing for hot loops: one OpenSSL context and one output buffer reused
/// for every node. Belongs to one call at a time.
final class NodeHasher {
    private let hasher = SHA256()
    /// The 32 bytes of the most recent `hashSiblings` result.
    let output = UnsafeMutableRawBufferPointer.allocate(byteCount: 32, alignment: 8)

    deinit {
        output.deallocate()
    }

    /// Hashes `0x01 || siblings` where `siblings` is the 64 bytes `left || right`; the
    /// result is left in `output`.
    func hashSiblings(_ siblings: UnsafeRawBufferPointer) {
        withUnsafeBytes(of: MerkleHash.nodePrefix) { hasher.update($0) }
        hasher.update(siblings)
        hasher.finalize(into: output)
    }

    func node(_ left: SHA256Digest, _ right: SHA256Digest) -> SHA256Digest {
        withUnsafeBytes(of: MerkleHash.nodePrefix) { hasher.update($0) }
        hasher.update(left.bytes)
        hasher.update(right.bytes)
        return hasher.finalize()
    }
}
