/// Proof lengths and split points that follow from tree sizes alone (RFC 6962 §2.1).
enum ProofShape {
    /// The largest power of two strictly smaller than `n` (`n` ≥ 2).
    static func splitPoint(_ n: UInt64) -> UInt64 {
        precondition(n >= 2, "a tree of fewer than two leaves has no split")
        return UInt64(1) << (63 - (n - 1).leadingZeroBitCount)
    }

    /// The number of hashes in PATH(m, D[n]).
    static func inclusionLength(index: UInt64, size: UInt64) -> Int {
        var m = index, n = size, count = 0
        while n > 1 {
            let k = splitPoint(n)
            if m < k { n = k } else { m -= k; n -= k }
            count += 1
        }
        return count
    }

    /// The number of hashes in PROOF(m, D[n]); 0 when m is 0 or m equals n.
    static func consistencyLength(oldSize: UInt64, newSize: UInt64) -> Int {
        guard oldSize > 0, oldSize < newSize else { return 0 }
        var m = oldSize, n = newSize, count = 0, oldTreeIsWholeSubtree = true
        while m != n {
            let k = splitPoint(n)
            if m <= k { n = k } else { m -= k; n -= k; oldTreeIsWholeSubtree = false }
            count += 1
        }
        // SUBPROOF(m, D[m], false) contributes MTH(D[m]).
        return count + (oldTreeIsWholeSubtree ? 0 : 1)
    }
}
