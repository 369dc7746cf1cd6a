import ProvenanceCrypto

/// A log operation or check failed: a request outside the tree, a proof that does not
/// prove, a tree head or log entry that is malformed or wrongly signed.
///
/// `description` reads as a sentence, ready for a command-line error message.
public enum LogError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Which kind of proof a problem is about.
    public enum ProofKind: String, Sendable {
        case inclusion
        case consistency
    }

    // Requests against a tree
    case leafIndexOutOfRange(index: UInt64, treeSize: UInt64)
    case treeSizeOutOfRange(requested: UInt64, available: UInt64)
    case consistencySizesReversed(oldSize: UInt64, newSize: UInt64)
    case leafHashBytesNotMultipleOf32(count: Int)
    // Proof verification
    case proofLengthMismatch(proof: ProofKind, expected: Int, got: Int)
    case inclusionRootMismatch(computed: SHA256Digest, expected: SHA256Digest)
    case oldRootMismatch(computed: SHA256Digest, expected: SHA256Digest)
    case newRootMismatch(computed: SHA256Digest, expected: SHA256Digest)
    case emptyTreeRootMismatch(found: SHA256Digest)
    case treeSizeMismatch(proof: ProofKind, proofSize: UInt64, headSize: UInt64)
    // Tree heads and log entries
    case malformed(what: String, reason: String)
    case invalidField(what: String, field: String, reason: String)
    case treeHeadSignatureInvalid(size: UInt64)
    case treeHeadKeyMismatch(expected: SHA256Digest, found: SHA256Digest)

    public var description: String {
        switch self {
        case .leafIndexOutOfRange(let index, let size):
            return "Leaf index \(index) is outside a tree of \(size) entries."
        case .treeSizeOutOfRange(let requested, let available):
            return "A tree of size \(requested) was requested, but the log holds only \(available) entries."
        case .consistencySizesReversed(let old, let new):
            return "A consistency proof needs the old size (\(old)) to be at most the new size (\(new))."
        case .leafHashBytesNotMultipleOf32(let count):
            return "Concatenated leaf hashes must be a multiple of 32 bytes long, but \(count) bytes were given."
        case .proofLengthMismatch(let proof, let expected, let got):
            return "The \(proof.rawValue) proof has \(got) hashes, but a proof for these tree sizes has exactly \(expected)."
        case .inclusionRootMismatch(let computed, let expected):
            return "The inclusion proof does not lead to the tree head: the entry and proof give root \(computed.hex), the tree head says \(expected.hex) (the entry, the proof or the tree head was altered)."
        case .oldRootMismatch(let computed, let expected):
            return "The consistency proof does not reproduce the old tree head: it gives root \(computed.hex), the old head says \(expected.hex) (the log was rewritten, not only appended to)."
        case .newRootMismatch(let computed, let expected):
            return "The consistency proof does not reproduce the new tree head: it gives root \(computed.hex), the new head says \(expected.hex) (the log was rewritten, not only appended to)."
        case .emptyTreeRootMismatch(let found):
            return "A tree head of size 0 must have the root SHA-256(\"\") = \(MerkleHash.emptyTree.hex), not \(found.hex)."
        case .treeSizeMismatch(let proof, let proofSize, let headSize):
            return "The \(proof.rawValue) proof is for a tree of size \(proofSize), but the tree head has size \(headSize)."
        case .malformed(let what, let reason):
            return "The \(what) is malformed: \(reason)."
        case .invalidField(let what, let field, let reason):
            return "The \(what) has an invalid \(field): \(reason)."
        case .treeHeadSignatureInvalid(let size):
            return "The signature on the tree head of size \(size) does not verify: the head or its signature was altered."
        case .treeHeadKeyMismatch(let expected, let found):
            return "The tree head is signed by key \(found.hex), not by the log's key \(expected.hex)."
        }
    }
}
