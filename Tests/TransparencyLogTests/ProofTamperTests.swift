import MerkleReference
import ProvenanceCrypto
import Testing
import TransparencyLog

private func digest(_ bytes: [UInt8]) -> SHA256Digest { SHA256Digest(bytes: bytes)! }

/// `digest` with one bit flipped in byte `position`.
private func flipped(_ hash: SHA256Digest, at position: Int) -> SHA256Digest {
    var bytes = hash.bytes
    bytes[position % 32] ^= 0x01 << UInt8(position % 8)
    return digest(bytes)
}

/// Whether the library accepts the inclusion proof.
private func libraryAccepts(_ proof: InclusionProof, leaf: SHA256Digest, root: SHA256Digest) -> Bool {
    (try? proof.verify(leafHash: leaf, rootHash: root)) != nil
}

private func libraryAccepts(_ proof: ConsistencyProof, old: SHA256Digest, new: SHA256Digest) -> Bool {
    (try? proof.verify(oldRoot: old, newRoot: new)) != nil
}

@Suite("Tampered proofs, leaves and roots are rejected by the library and by the reference")
struct ProofTamperTests {
    static let roots = (0...64).map { ReferenceMerkle.mth(Array(sampleEntries[0..<$0])) }
    static let leaves = sampleEntries.map(ReferenceMerkle.leafHash)

    @Test("inclusion: altered hash, leaf, root, index, size, truncated, extended, swapped — all n ≤ 64, all indices")
    func inclusion() throws {
        var rejections = 0
        for n in 1...64 {
            let root = digest(Self.roots[n])
            for m in 0..<n {
                let proof = try sampleTree.inclusionProof(leafIndex: UInt64(m), treeSize: UInt64(n))
                let leaf = digest(Self.leaves[m])
                var variants: [(String, InclusionProof, SHA256Digest, SHA256Digest)] = []
                for (position, hash) in proof.hashes.enumerated() {
                    var hashes = proof.hashes
                    hashes[position] = flipped(hash, at: position * 7 + m)
                    variants.append(("hash \(position) altered", InclusionProof(leafIndex: proof.leafIndex, treeSize: proof.treeSize, hashes: hashes), leaf, root))
                }
                variants.append(("leaf altered", proof, flipped(leaf, at: m), root))
                if n > 1 { variants.append(("another leaf", proof, digest(Self.leaves[(m + 1) % n]), root)) }
                variants.append(("root altered", proof, leaf, flipped(root, at: n)))
                variants.append(("root of another size", proof, leaf, digest(Self.roots[n == 64 ? 63 : n + 1])))
                for otherIndex in [m - 1, m + 1] where otherIndex >= 0 && otherIndex < n {
                    variants.append(("index \(otherIndex)", InclusionProof(leafIndex: UInt64(otherIndex), treeSize: proof.treeSize, hashes: proof.hashes), leaf, root))
                }
                variants.append(("index beyond size", InclusionProof(leafIndex: UInt64(n), treeSize: proof.treeSize, hashes: proof.hashes), leaf, root))
                // A proof does not bind the tree size by itself (the signed tree head binds size
                // and root together), so a changed size is tested against that size's real root.
                for otherSize in [n - 1, n + 1] where otherSize > m && otherSize <= 64 {
                    variants.append(("size \(otherSize)", InclusionProof(leafIndex: proof.leafIndex, treeSize: UInt64(otherSize), hashes: proof.hashes),
                                     leaf, digest(Self.roots[otherSize])))
                }
                if !proof.hashes.isEmpty {
                    variants.append(("truncated", InclusionProof(leafIndex: proof.leafIndex, treeSize: proof.treeSize, hashes: Array(proof.hashes.dropLast())), leaf, root))
                    variants.append(("first hash dropped", InclusionProof(leafIndex: proof.leafIndex, treeSize: proof.treeSize, hashes: Array(proof.hashes.dropFirst())), leaf, root))
                }
                variants.append(("extended", InclusionProof(leafIndex: proof.leafIndex, treeSize: proof.treeSize, hashes: proof.hashes + [root]), leaf, root))
                if proof.hashes.count >= 2, proof.hashes[0] != proof.hashes[1] {
                    var hashes = proof.hashes
                    hashes.swapAt(0, 1)
                    variants.append(("swapped", InclusionProof(leafIndex: proof.leafIndex, treeSize: proof.treeSize, hashes: hashes), leaf, root))
                }
                for (name, variant, variantLeaf, variantRoot) in variants {
                    #expect(!libraryAccepts(variant, leaf: variantLeaf, root: variantRoot), "library accepted \(name) for leaf \(m) of \(n)")
                    #expect(!ReferenceMerkle.verifyInclusion(Int(variant.leafIndex), Int(variant.treeSize), leaf: variantLeaf.bytes,
                                                       proof: variant.hashes.map(\.bytes), root: variantRoot.bytes),
                            "reference accepted \(name) for leaf \(m) of \(n)")
                    rejections += 1
                }
            }
        }
        #expect(rejections > 10_000)
    }

    @Test("consistency: altered hash, old root, new root, sizes, truncated, extended, swapped — all 1 ≤ m < n ≤ 64")
    func consistency() throws {
        var rejections = 0
        for n in 2...64 {
            let newRoot = digest(Self.roots[n])
            for m in 1..<n {
                let oldRoot = digest(Self.roots[m])
                let proof = try sampleTree.consistencyProof(oldSize: UInt64(m), newSize: UInt64(n))
                func with(_ hashes: [SHA256Digest], old: Int = m, new: Int = n) -> ConsistencyProof {
                    ConsistencyProof(oldSize: UInt64(old), newSize: UInt64(new), hashes: hashes)
                }
                var variants: [(String, ConsistencyProof, SHA256Digest, SHA256Digest)] = []
                for (position, hash) in proof.hashes.enumerated() {
                    var hashes = proof.hashes
                    hashes[position] = flipped(hash, at: position * 5 + n)
                    variants.append(("hash \(position) altered", with(hashes), oldRoot, newRoot))
                }
                variants.append(("old root altered", proof, flipped(oldRoot, at: m), newRoot))
                variants.append(("new root altered", proof, oldRoot, flipped(newRoot, at: n)))
                variants.append(("roots exchanged", proof, newRoot, oldRoot))
                variants.append(("old root of another size", proof, digest(Self.roots[m - 1]), newRoot))
                // Changed sizes are tested against the real roots of those sizes (see inclusion).
                variants.append(("old size - 1", with(proof.hashes, old: m - 1), digest(Self.roots[m - 1]), newRoot))
                if m + 1 < n { variants.append(("old size + 1", with(proof.hashes, old: m + 1), digest(Self.roots[m + 1]), newRoot)) }
                if n < 64 { variants.append(("new size + 1", with(proof.hashes, new: n + 1), oldRoot, digest(Self.roots[n + 1]))) }
                if n - 1 > m { variants.append(("new size - 1", with(proof.hashes, new: n - 1), oldRoot, digest(Self.roots[n - 1]))) }
                variants.append(("truncated", with(Array(proof.hashes.dropLast())), oldRoot, newRoot))
                variants.append(("first hash dropped", with(Array(proof.hashes.dropFirst())), oldRoot, newRoot))
                variants.append(("extended", with(proof.hashes + [newRoot]), oldRoot, newRoot))
                variants.append(("sizes reversed", with(proof.hashes, old: n, new: m), newRoot, oldRoot))
                if proof.hashes.count >= 2, proof.hashes[0] != proof.hashes[1] {
                    var hashes = proof.hashes
                    hashes.swapAt(0, 1)
                    variants.append(("swapped", with(hashes), oldRoot, newRoot))
                }
                for (name, variant, variantOld, variantNew) in variants {
                    #expect(!libraryAccepts(variant, old: variantOld, new: variantNew), "library accepted \(name) for \(m) → \(n)")
                    #expect(!ReferenceMerkle.verifyConsistency(Int(variant.oldSize), Int(variant.newSize), oldRoot: variantOld.bytes,
                                                         newRoot: variantNew.bytes, proof: variant.hashes.map(\.bytes)),
                            "reference accepted \(name) for \(m) → \(n)")
                    rejections += 1
                }
            }
        }
        #expect(rejections > 20_000)
    }

    @Test("degenerate sizes: equal sizes need equal roots and no hashes; the empty old tree needs the empty root")
    func degenerate() {
        let root4 = digest(Self.roots[4])
        let root5 = digest(Self.roots[5])
        let empty = MerkleHash.emptyTree
        #expect(libraryAccepts(ConsistencyProof(oldSize: 4, newSize: 4, hashes: []), old: root4, new: root4))
        #expect(!libraryAccepts(ConsistencyProof(oldSize: 4, newSize: 4, hashes: []), old: root4, new: root5))
        #expect(!libraryAccepts(ConsistencyProof(oldSize: 4, newSize: 4, hashes: [root4]), old: root4, new: root4))
        #expect(libraryAccepts(ConsistencyProof(oldSize: 0, newSize: 5, hashes: []), old: empty, new: root5))
        #expect(!libraryAccepts(ConsistencyProof(oldSize: 0, newSize: 5, hashes: []), old: root4, new: root5))
        #expect(!libraryAccepts(ConsistencyProof(oldSize: 0, newSize: 5, hashes: [empty]), old: empty, new: root5))
        #expect(!libraryAccepts(ConsistencyProof(oldSize: 3, newSize: 5, hashes: []), old: digest(Self.roots[3]), new: root5))
        #expect(!libraryAccepts(InclusionProof(leafIndex: 0, treeSize: 0, hashes: []), leaf: empty, root: empty))
    }

    @Test("errors say what failed: which root, which length")
    func errorKinds() throws {
        let proof = try sampleTree.consistencyProof(oldSize: 5, newSize: 9)
        let old = digest(Self.roots[5])
        let new = digest(Self.roots[9])
        #expect(throws: LogError.newRootMismatch(computed: new, expected: flipped(new, at: 0))) {
            try proof.verify(oldRoot: old, newRoot: flipped(new, at: 0))
        }
        #expect(throws: LogError.oldRootMismatch(computed: old, expected: flipped(old, at: 0))) {
            try proof.verify(oldRoot: flipped(old, at: 0), newRoot: new)
        }
        #expect(throws: LogError.proofLengthMismatch(proof: .consistency, expected: proof.hashes.count, got: proof.hashes.count - 1)) {
            try ConsistencyProof(oldSize: 5, newSize: 9, hashes: Array(proof.hashes.dropLast())).verify(oldRoot: old, newRoot: new)
        }
        #expect(throws: LogError.treeSizeMismatch(proof: .consistency, proofSize: 9, headSize: 10)) {
            try proof.verify(old: TreeHead(size: 5, rootHash: old), new: TreeHead(size: 10, rootHash: new))
        }

        let inclusion = try sampleTree.inclusionProof(leafIndex: 3, treeSize: 9)
        let leaf = digest(Self.leaves[3])
        #expect(throws: LogError.inclusionRootMismatch(computed: new, expected: old)) {
            try inclusion.verify(leafHash: leaf, rootHash: old)
        }
        #expect(throws: LogError.treeSizeMismatch(proof: .inclusion, proofSize: 9, headSize: 8)) {
            try inclusion.verify(leafHash: leaf, treeHead: TreeHead(size: 8, rootHash: new))
        }
        #expect(throws: LogError.leafIndexOutOfRange(index: 9, treeSize: 9)) {
            try InclusionProof(leafIndex: 9, treeSize: 9, hashes: inclusion.hashes).verify(leafHash: leaf, rootHash: new)
        }
        let message = LogError.inclusionRootMismatch(computed: new, expected: old).description
        #expect(message.hasPrefix("The inclusion proof does not lead to the tree head"))
    }
}
