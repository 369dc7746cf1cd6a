import MerkleReference
import Foundation
import ProvenanceCrypto
import Testing
import TransparencyLog

/// 64 entries of varying length (0…~20 bytes), so leaf inputs differ in size too.
let sampleEntries: [[UInt8]] = (0..<64).map { index in
    Array("entry \(index)".utf8) + [UInt8](repeating: UInt8(index), count: index % 11)
}

private func digest(_ bytes: [UInt8]) -> SHA256Digest { SHA256Digest(bytes: bytes)! }
private func digest(hex: String) -> SHA256Digest { SHA256Digest(hex: hex)! }

/// The library's tree over `sampleEntries`, built by appending entries.
let sampleTree: MerkleTree = {
    var tree = MerkleTree()
    for entry in sampleEntries { tree.append(entry: entry) }
    return tree
}()

@Suite("Merkle tree: known answers and cross-checks against the RFC 6962 reference")
struct MerkleTreeTests {
    @Test("known answer: the empty tree's root is SHA-256 of the empty string")
    func emptyTree() {
        let expected = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        #expect(MerkleHash.emptyTree.hex == expected)
        #expect(MerkleTree().rootHash.hex == expected)
        #expect(MerkleTree().size == 0)
        #expect(MerkleTree.rootHash(ofLeafHashes: []).hex == expected)
        #expect(TreeHead.empty.rootHash.hex == expected)
        #expect(ReferenceMerkle.mth([]) == Hex.decode(expected)!)
    }

    /// RFC 6962 test data used by the Certificate Transparency implementations.
    static let ctEntries = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
        .map { Hex.decode($0)! }
    static let ctRoots = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]

    @Test("known answers: Certificate Transparency test vectors (roots, audit paths, consistency proofs)")
    func certificateTransparencyVectors() throws {
        var tree = MerkleTree()
        for (size, entry) in Self.ctEntries.enumerated() {
            tree.append(entry: entry)
            #expect(tree.rootHash.hex == Self.ctRoots[size], "root of size \(size + 1)")
        }
        #expect(MerkleHash.leaf([UInt8]()).hex == Self.ctRoots[0])
        #expect(try tree.inclusionProof(leafIndex: 0).hashes.map(\.hex) == [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ])
        #expect(try tree.inclusionProof(leafIndex: 5).hashes.map(\.hex) == [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ])
        #expect(try tree.consistencyProof(oldSize: 2).hashes.map(\.hex) == [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ])
        #expect(try tree.consistencyProof(oldSize: 6).hashes.map(\.hex) == [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ])
        #expect(try tree.consistencyProof(oldSize: 2, newSize: 5).hashes.map(\.hex) == [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ])
    }

    @Test("roots equal the reference MTH for every size 0…64, by every construction")
    func roots() throws {
        let leafHashes = sampleEntries.map { digest(ReferenceMerkle.leafHash($0)) }
        for n in 0...64 {
            let expected = ReferenceMerkle.mth(Array(sampleEntries[0..<n]))
            #expect(try sampleTree.rootHash(treeSize: UInt64(n)).bytes == expected, "prefix root of size \(n)")
            #expect(MerkleTree(leafHashes: leafHashes[0..<n]).rootHash.bytes == expected, "built tree of size \(n)")
            #expect(MerkleTree.rootHash(ofLeafHashes: leafHashes[0..<n]).bytes == expected, "streaming root of size \(n)")
            let flat = leafHashes[0..<n].flatMap(\.bytes)
            #expect(try MerkleTree(concatenatedLeafHashes: flat).rootHash.bytes == expected, "flat tree of size \(n)")
        }
        #expect(sampleTree.size == 64)
        for (index, entry) in sampleEntries.enumerated() {
            #expect(try sampleTree.leafHash(at: UInt64(index)).bytes == ReferenceMerkle.leafHash(entry))
        }
    }

    @Test("inclusion proofs equal the reference PATH and verify both ways, for all n ≤ 64 and all indices")
    func inclusionProofs() throws {
        var checked = 0
        for n in 1...64 {
            let entries = Array(sampleEntries[0..<n])
            let root = ReferenceMerkle.mth(entries)
            for m in 0..<n {
                let proof = try sampleTree.inclusionProof(leafIndex: UInt64(m), treeSize: UInt64(n))
                let expected = ReferenceMerkle.path(m, entries)
                #expect(proof.hashes.map(\.bytes) == expected, "PATH(\(m), D[\(n)])")
                #expect(proof.leafIndex == UInt64(m) && proof.treeSize == UInt64(n))
                let leaf = ReferenceMerkle.leafHash(entries[m])
                // The library verifies its proof, and the reference verifier accepts it.
                try proof.verify(leafHash: digest(leaf), rootHash: digest(root))
                #expect(ReferenceMerkle.verifyInclusion(m, n, leaf: leaf, proof: proof.hashes.map(\.bytes), root: root))
                // The library verifies the reference's proof.
                let referenceProof = InclusionProof(leafIndex: UInt64(m), treeSize: UInt64(n), hashes: expected.map(digest))
                try referenceProof.verify(leafHash: digest(leaf), treeHead: TreeHead(size: UInt64(n), rootHash: digest(root)))
                checked += 1
            }
        }
        #expect(checked == 64 * 65 / 2)
    }

    @Test("consistency proofs equal the reference PROOF and verify both ways, for all 0 ≤ m ≤ n ≤ 64")
    func consistencyProofs() throws {
        let roots = (0...64).map { ReferenceMerkle.mth(Array(sampleEntries[0..<$0])) }
        var checked = 0
        for n in 0...64 {
            for m in 0...n {
                let proof = try sampleTree.consistencyProof(oldSize: UInt64(m), newSize: UInt64(n))
                let expected = (m == 0 || m == n) ? [] : ReferenceMerkle.proof(m, Array(sampleEntries[0..<n]))
                #expect(proof.hashes.map(\.bytes) == expected, "PROOF(\(m), D[\(n)])")
                try proof.verify(oldRoot: digest(roots[m]), newRoot: digest(roots[n]))
                try proof.verify(old: TreeHead(size: UInt64(m), rootHash: digest(roots[m])),
                                 new: TreeHead(size: UInt64(n), rootHash: digest(roots[n])))
                #expect(ReferenceMerkle.verifyConsistency(m, n, oldRoot: roots[m], newRoot: roots[n], proof: proof.hashes.map(\.bytes)),
                        "reference accepts PROOF(\(m), D[\(n)])")
                checked += 1
            }
        }
        #expect(checked == 65 * 66 / 2)
    }

    @Test("appending one leaf at a time gives the same roots as building at once; earlier heads stay provable")
    func incrementalAppend() throws {
        var tree = MerkleTree()
        var heads: [TreeHead] = [tree.treeHead]
        for entry in sampleEntries {
            let leaf = tree.append(entry: entry)
            #expect(leaf.bytes == ReferenceMerkle.leafHash(entry))
            heads.append(tree.treeHead)
        }
        for (size, head) in heads.enumerated() {
            #expect(head.size == UInt64(size))
            #expect(try tree.treeHead(treeSize: UInt64(size)) == head)
            try tree.consistencyProof(oldSize: head.size).verify(old: head, new: tree.treeHead)
        }
    }

    @Test("requests outside the tree get typed errors")
    func outOfRange() throws {
        #expect(throws: LogError.leafIndexOutOfRange(index: 64, treeSize: 64)) { try sampleTree.inclusionProof(leafIndex: 64) }
        #expect(throws: LogError.leafIndexOutOfRange(index: 5, treeSize: 5)) { try sampleTree.inclusionProof(leafIndex: 5, treeSize: 5) }
        #expect(throws: LogError.treeSizeOutOfRange(requested: 65, available: 64)) { try sampleTree.inclusionProof(leafIndex: 0, treeSize: 65) }
        #expect(throws: LogError.treeSizeOutOfRange(requested: 65, available: 64)) { try sampleTree.rootHash(treeSize: 65) }
        #expect(throws: LogError.consistencySizesReversed(oldSize: 9, newSize: 8)) { try sampleTree.consistencyProof(oldSize: 9, newSize: 8) }
        #expect(throws: LogError.treeSizeOutOfRange(requested: 70, available: 64)) { try sampleTree.consistencyProof(oldSize: 1, newSize: 70) }
        #expect(throws: LogError.leafIndexOutOfRange(index: 64, treeSize: 64)) { try sampleTree.leafHash(at: 64) }
        #expect(throws: LogError.leafHashBytesNotMultipleOf32(count: 33)) { try MerkleTree(concatenatedLeafHashes: [UInt8](repeating: 0, count: 33)) }
        #expect(throws: LogError.leafIndexOutOfRange(index: 0, treeSize: 0)) { try MerkleTree().inclusionProof(leafIndex: 0) }
    }

    @Test("proofs and tree heads round-trip through JSON with hex digests")
    func json() throws {
        let inclusion = try sampleTree.inclusionProof(leafIndex: 17, treeSize: 40)
        let consistency = try sampleTree.consistencyProof(oldSize: 13, newSize: 40)
        let head = try sampleTree.treeHead(treeSize: 40)
        let encoder = JSONEncoder()
        let inclusionJSON = try encoder.encode(inclusion)
        #expect(try JSONDecoder().decode(InclusionProof.self, from: inclusionJSON) == inclusion)
        #expect(String(decoding: inclusionJSON, as: UTF8.self).contains(inclusion.hashes[0].hex))
        #expect(try JSONDecoder().decode(ConsistencyProof.self, from: encoder.encode(consistency)) == consistency)
        let headJSON = try encoder.encode(head)
        #expect(try JSONDecoder().decode(TreeHead.self, from: headJSON) == head)
        #expect(String(decoding: headJSON, as: UTF8.self).contains(head.rootHash.hex))
    }
}
