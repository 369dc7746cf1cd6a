import Foundation
import ProvenanceCrypto
import TransparencyLog

/// Keys and tree heads given on the command line.
enum KeyArguments {
    /// `--signer`: a 64-hex key id, or a PEM public (or private) key file.
    static func keyID(_ text: String) throws -> SHA256Digest {
        if text.utf8.count == 64, let digest = SHA256Digest(hex: text) { return digest }
        do {
            return try KeyFile.readPublicKey(at: text).keyID
        } catch let publicError {
            if let privateKey = try? KeyFile.readPrivateKey(at: text) { return privateKey.publicKey.keyID }
            throw UsageError("--signer \(text) is neither a 64-character key id nor a PEM key file: \(publicError.description)")
        }
    }

    /// `--sign`: a PEM private key file.
    static func signingKey(_ path: String) throws -> Ed25519PrivateKey {
        try KeyFile.readPrivateKey(at: path)
    }

    /// A signed tree head as printed by `provenance log` (330 hex characters or base64), or a
    /// file holding one.
    static func treeHead(_ argument: String) throws -> SignedTreeHead {
        var text = argument
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory), !isDirectory.boolValue {
            guard let data = FileManager.default.contents(atPath: argument), data.count <= 4096 else {
                throw UsageError("\(argument) cannot be read as a signed tree head (at most 4 kB of hex or base64).")
            }
            text = String(decoding: data, as: UTF8.self)
        }
        text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let bytes: [UInt8]
        if text.utf8.count == 2 * SignedTreeHead.encodedByteCount, let decoded = Hex.decode(text) {
            bytes = decoded
        } else if let decoded = Data(base64Encoded: text) {
            bytes = [UInt8](decoded)
        } else {
            throw UsageError("the old tree head must be the \(2 * SignedTreeHead.encodedByteCount)-character hex (or base64) encoding printed by `provenance log head`, or a file holding it.")
        }
        return try SignedTreeHead(encoded: bytes)
    }
}
