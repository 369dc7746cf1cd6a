import Foundation
import ProvenanceCrypto
import Registry
import TransparencyLog

/// Terminal text for `log` commands.
enum LogText {
    static func head(_ head: SignedTreeHead, key: Ed25519PublicKey) -> String {
        """
        signed tree head  size \(head.treeHead.size), root \(head.treeHead.rootHash.hex)
                          signed \(LogJSON.time(head.timestamp)) by log key \(key.keyID.hex)
        head (hex)        \(Hex.encode(head.encoded))
        """
    }

    static func inclusion(_ inclusion: LogInclusion) -> String {
        let entry = inclusion.entry.entry
        var lines = [
            "\(inclusion.release.reference) is entry \(entry.sequenceNumber) of the log (\(entry.kind), recorded \(LogJSON.time(entry.timestamp)))",
            "entry (hex)       \(Hex.encode(inclusion.entry.encoded))",
            "leaf hash         \(inclusion.entry.leafHash.hex)",
            "leaf index        \(inclusion.proof.leafIndex)",
            "tree size         \(inclusion.proof.treeSize)",
        ]
        for (index, hash) in inclusion.proof.hashes.enumerated() {
            lines.append((index == 0 ? "audit path        " : "                  ") + hash.hex)
        }
        if inclusion.proof.hashes.isEmpty { lines.append("audit path        (empty: the tree has one entry)") }
        lines.append("root              \(inclusion.head.treeHead.rootHash.hex)")
        lines.append("head (hex)        \(Hex.encode(inclusion.head.encoded))")
        lines.append("log public key    \(inclusion.publicKey.hex) (key id \(inclusion.publicKey.keyID.hex))")
        lines.append("verified          the audit path leads from the entry to the root of the tree head, whose signature is valid")
        return lines.joined(separator: "\n")
    }

    static func consistency(_ result: LogConsistency) -> String {
        var lines = [
            "old head          size \(result.oldHead.treeHead.size), root \(result.oldHead.treeHead.rootHash.hex), signed \(LogJSON.time(result.oldHead.timestamp))",
            "new head          size \(result.newHead.treeHead.size), root \(result.newHead.treeHead.rootHash.hex), signed \(LogJSON.time(result.newHead.timestamp))",
        ]
        if let proof = result.proof {
            for (index, hash) in proof.hashes.enumerated() {
                lines.append((index == 0 ? "proof             " : "                  ") + hash.hex)
            }
            if proof.hashes.isEmpty { lines.append("proof             (empty: \(proof.oldSize == proof.newSize ? "same size" : "the old tree was empty"))") }
        }
        lines.append("new head (hex)    \(Hex.encode(result.newHead.encoded))")
        if result.isConsistent {
            lines.append("consistent        the log only grew: the first \(result.oldHead.treeHead.size) entries are unchanged in the tree of \(result.newHead.treeHead.size)")
        }
        return lines.joined(separator: "\n")
    }
}
