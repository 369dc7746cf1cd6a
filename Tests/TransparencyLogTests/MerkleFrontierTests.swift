import MerkleReference
import ProvenanceCrypto
import Testing
import TransparencyLog

@Suite("Merkle frontier: appending without the leaves")
struct MerkleFrontierTests {
    @Test("Its root equals the RFC 6962 reference root at every size from 0 to 64")
    func rootsMatchReference() {
        var frontier = MerkleFrontier()
        #expect(frontier.rootHash == MerkleHash.emptyTree)
        for (index, entry) in sampleEntries.enumerated() {
            frontier.append(leafHash: MerkleHash.leaf(entry))
            let size = index + 1
            #expect(frontier.size == UInt64(size))
            #expect(frontier.subtreeRoots.count == size.nonzeroBitCount)
            #expect(frontier.rootHash.bytes == ReferenceMerkle.mth(Array(sampleEntries[0..<size])), "size \(size)")
            #expect(frontier.treeHead == (try? sampleTree.treeHead(treeSize: UInt64(size))))
        }
        #expect(MerkleFrontier(leafHashes: sampleEntries.map { MerkleHash.leaf($0) }) == frontier)
    }

    @Test("Its encoding round-trips and is decoded strictly")
    func encoding() throws {
        let frontier = MerkleFrontier(leafHashes: sampleEntries.prefix(13).map { MerkleHash.leaf($0) })
        let bytes = frontier.encoded
        #expect(bytes.count == 8 + 32 * 3)
        #expect(try MerkleFrontier(encoded: bytes) == frontier)
        #expect(throws: LogError.self) { try MerkleFrontier(encoded: bytes.dropLast()) }
        #expect(throws: LogError.self) { try MerkleFrontier(encoded: bytes + [0]) }
        var wrongSize = bytes
        wrongSize[7] = 12 // popcount 2, but three hashes follow
        #expect(throws: LogError.self) { try MerkleFrontier(encoded: wrongSize) }
        #expect(try MerkleFrontier(encoded: MerkleFrontier().encoded) == MerkleFrontier())
    }
}
