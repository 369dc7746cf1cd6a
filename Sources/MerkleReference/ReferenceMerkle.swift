import ProvenanceCrypto

/// An independent, deliberately naive RFC 6962 implementation written straight from the
/// definitions in RFC 6962 §2.1 (MTH, PATH, PROOF/SUBPROOF), used to cross-check the
/// library. It shares nothing with `TransparencyLog` except the SHA-256 primitive, works
/// on plain byte arrays, and recurses exactly as the RFC's equations do. (Test support only.)
public enum ReferenceMerkle {
    public typealias Hash = [UInt8]

    public static func sha256(_ bytes: [UInt8]) -> Hash {
        SHA256.hash(bytes).bytes
    }

    /// MTH({d(0)}) = SHA-256(0x00 || d(0)).
    public static func leafHash(_ entry: [UInt8]) -> Hash {
        sha256([0x00] + entry)
    }

    public static func nodeHash(_ left: Hash, _ right: Hash) -> Hash {
        sha256([0x01] + left + right)
    }

    /// k: the largest power of two smaller than n (n > 1).
    public static func split(_ n: Int) -> Int {
        var k = 1
        while k * 2 < n { k *= 2 }
        return k
    }

    /// MTH(D[n]) over entries.
    public static func mth(_ entries: [[UInt8]]) -> Hash {
        let n = entries.count
        if n == 0 { return sha256([]) }
        if n == 1 { return leafHash(entries[0]) }
        let k = split(n)
        return nodeHash(mth(Array(entries[0..<k])), mth(Array(entries[k..<n])))
    }

    /// PATH(m, D[n]).
    public static func path(_ m: Int, _ entries: [[UInt8]]) -> [Hash] {
        let n = entries.count
        if n == 1 { return [] }
        let k = split(n)
        if m < k {
            return path(m, Array(entries[0..<k])) + [mth(Array(entries[k..<n]))]
        }
        return path(m - k, Array(entries[k..<n])) + [mth(Array(entries[0..<k]))]
    }

    /// PROOF(m, D[n]) = SUBPROOF(m, D[n], true).
    public static func proof(_ m: Int, _ entries: [[UInt8]]) -> [Hash] {
        subproof(m, entries, true)
    }

    public static func subproof(_ m: Int, _ entries: [[UInt8]], _ b: Bool) -> [Hash] {
        let n = entries.count
        if m == n { return b ? [] : [mth(entries)] }
        let k = split(n)
        if m <= k {
            return subproof(m, Array(entries[0..<k]), b) + [mth(Array(entries[k..<n]))]
        }
        return subproof(m - k, Array(entries[k..<n]), false) + [mth(Array(entries[0..<k]))]
    }

    // MARK: - Verifiers, by inverting the same recursions

    /// The root that PATH-shaped `proof` gives for leaf `m` of `n`, or nil if the proof
    /// does not have the shape PATH(m, D[n]) has.
    public static func rootFromInclusion(_ m: Int, _ n: Int, leaf: Hash, proof: ArraySlice<Hash>) -> Hash? {
        if n == 1 { return proof.isEmpty ? leaf : nil }
        guard let last = proof.last else { return nil }
        let k = split(n)
        if m < k {
            guard let left = rootFromInclusion(m, k, leaf: leaf, proof: proof.dropLast()) else { return nil }
            return nodeHash(left, last)
        }
        guard let right = rootFromInclusion(m - k, n - k, leaf: leaf, proof: proof.dropLast()) else { return nil }
        return nodeHash(last, right)
    }

    public static func verifyInclusion(_ m: Int, _ n: Int, leaf: Hash, proof: [Hash], root: Hash) -> Bool {
        guard m >= 0, m < n else { return false }
        return rootFromInclusion(m, n, leaf: leaf, proof: proof[...]) == root
    }

    /// The (old root, new root) that SUBPROOF-shaped `proof` gives, where a `b == true`
    /// base case contributes the trusted `oldRoot`; nil if the shape is wrong.
    public static func rootsFromConsistency(_ m: Int, _ n: Int, _ b: Bool, oldRoot: Hash, proof: ArraySlice<Hash>) -> (Hash, Hash)? {
        if m == n {
            if b { return proof.isEmpty ? (oldRoot, oldRoot) : nil }
            return proof.count == 1 ? (proof[proof.startIndex], proof[proof.startIndex]) : nil
        }
        guard let last = proof.last else { return nil }
        let k = split(n)
        if m <= k {
            guard let (old, new) = rootsFromConsistency(m, k, b, oldRoot: oldRoot, proof: proof.dropLast()) else { return nil }
            return (old, nodeHash(new, last))
        }
        guard let (old, new) = rootsFromConsistency(m - k, n - k, false, oldRoot: oldRoot, proof: proof.dropLast()) else { return nil }
        return (nodeHash(last, old), nodeHash(last, new))
    }

    public static func verifyConsistency(_ m: Int, _ n: Int, oldRoot: Hash, newRoot: Hash, proof: [Hash]) -> Bool {
        guard m >= 0, m <= n else { return false }
        if m == 0 { return proof.isEmpty && oldRoot == sha256([]) }
        guard let (old, new) = rootsFromConsistency(m, n, true, oldRoot: oldRoot, proof: proof[...]) else { return false }
        return old == oldRoot && new == newRoot
    }
}
