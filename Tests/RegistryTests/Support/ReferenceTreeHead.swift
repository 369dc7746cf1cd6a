import MerkleReference
import ProvenanceCrypto

/// Reads the 165-byte signed tree head transport encoding by its documented offsets
/// (docs/SIGNING_AND_LOG.md), without TransparencyLog, and checks its signature.
struct ReferenceTreeHead {
    var keyID: [UInt8]
    var size: Int
    var root: [UInt8]
    var timestamp: UInt64
    var signature: [UInt8]
    var signedBytes: [UInt8]

    init?(_ bytes: [UInt8]) {
        guard bytes.count == 165, bytes[0..<20] == ArraySlice("PROVENANCE-TREE-HEAD".utf8), bytes[20] == 1 else { return nil }
        func integer(_ range: Range<Int>) -> UInt64 { bytes[range].reduce(0) { $0 << 8 | UInt64($1) } }
        keyID = Array(bytes[21..<53])
        size = Int(integer(53..<61))
        root = Array(bytes[61..<93])
        timestamp = integer(93..<101)
        signature = Array(bytes[101..<165])
        signedBytes = Array(bytes[0..<101])
    }

    /// Whether `publicKey` (raw 32 bytes) is the head's key and signed it.
    func isSigned(by publicKey: [UInt8]) -> Bool {
        guard SHA256.hash(publicKey).bytes == keyID, let key = try? Ed25519PublicKey(rawRepresentation: publicKey),
              let signature = try? Ed25519Signature(rawRepresentation: signature) else { return false }
        return key.isValidSignature(signature, for: signedBytes)
    }
}
