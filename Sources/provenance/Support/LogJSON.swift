import Foundation
import ProvenanceCrypto
import Registry
import TransparencyLog

/// JSON shapes of `log --json` output: hex for bytes and digests, integers for sizes and
/// millisecond timestamps, so another tool can check every proof.
enum LogJSON {
    struct Entry: Encodable {
        var sequence: UInt64
        var kind: String
        var timestamp: UInt64
        var time: String
        var name: String
        var version: String
        var fingerprintRoot: String
        var statementSHA256: String?
        var signerKeyID: String?
        var encoded: String
        var leafHash: String

        enum CodingKeys: String, CodingKey {
            case sequence, kind, timestamp, time, name, version, encoded
            case fingerprintRoot = "fingerprint_root", statementSHA256 = "statement_sha256", signerKeyID = "signer_key_id", leafHash = "leaf_hash"
        }

        init(_ logged: LoggedEntry) {
            let entry = logged.entry
            sequence = entry.sequenceNumber
            kind = entry.kind.description
            timestamp = entry.timestamp
            time = LogJSON.time(entry.timestamp)
            name = entry.releaseName
            version = entry.releaseVersion
            fingerprintRoot = entry.fingerprintRoot.hex
            statementSHA256 = entry.statementDigest?.hex
            signerKeyID = entry.signerKeyID?.hex
            encoded = Hex.encode(logged.encoded)
            leafHash = logged.leafHash.hex
        }
    }

    struct Head: Encodable {
        var size: UInt64
        var rootHash: String
        var timestamp: UInt64
        var time: String
        var keyID: String
        var signature: String
        var encoded: String
        var publicKey: String

        enum CodingKeys: String, CodingKey {
            case size, timestamp, time, signature, encoded
            case rootHash = "root_hash", keyID = "key_id", publicKey = "public_key"
        }

        init(_ head: SignedTreeHead, key: Ed25519PublicKey) {
            size = head.treeHead.size
            rootHash = head.treeHead.rootHash.hex
            timestamp = head.timestamp
            time = LogJSON.time(head.timestamp)
            keyID = head.keyID.hex
            signature = head.signature.hex
            encoded = Hex.encode(head.encoded)
            publicKey = key.hex
        }
    }

    struct Listing: Encodable {
        var entries: [Entry]
        var signedTreeHead: Head?

        enum CodingKeys: String, CodingKey {
            case entries
            case signedTreeHead = "signed_tree_head"
        }

        init(_ snapshot: LogSnapshot) {
            entries = snapshot.entries.map(Entry.init)
            if let head = snapshot.head, let key = snapshot.publicKey { signedTreeHead = Head(head, key: key) }
        }
    }

    struct Inclusion: Encodable {
        var release: String
        var entry: Entry
        var leafIndex: UInt64
        var treeSize: UInt64
        var auditPath: [String]
        var signedTreeHead: Head

        enum CodingKeys: String, CodingKey {
            case release, entry
            case leafIndex = "leaf_index", treeSize = "tree_size", auditPath = "audit_path", signedTreeHead = "signed_tree_head"
        }

        init(_ inclusion: LogInclusion) {
            release = inclusion.release.reference.description
            entry = Entry(inclusion.entry)
            leafIndex = inclusion.proof.leafIndex
            treeSize = inclusion.proof.treeSize
            auditPath = inclusion.proof.hashes.map(\.hex)
            signedTreeHead = Head(inclusion.head, key: inclusion.publicKey)
        }
    }

    struct Consistency: Encodable {
        var oldHead: Head
        var newHead: Head
        var proof: [String]?
        var consistent: Bool
        var problem: String?

        enum CodingKeys: String, CodingKey {
            case proof, consistent, problem
            case oldHead = "old_head", newHead = "new_head"
        }

        init(_ result: LogConsistency) {
            oldHead = Head(result.oldHead, key: result.publicKey)
            newHead = Head(result.newHead, key: result.publicKey)
            proof = result.proof?.hashes.map(\.hex)
            consistent = result.isConsistent
            problem = result.problem
        }
    }

    /// UTC ISO-8601 with milliseconds.
    static func time(_ milliseconds: UInt64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }

    static func label(_ entry: LogEntry) -> String {
        entry.releaseVersion.isEmpty ? entry.releaseName : "\(entry.releaseName)@\(entry.releaseVersion)"
    }
}
