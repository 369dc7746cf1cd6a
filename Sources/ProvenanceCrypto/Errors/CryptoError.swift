/// A key, signature or signed statement was rejected: which file (if any) and which rule.
///
/// `description` reads as a sentence, ready for a command-line error message.
public struct CryptoError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file involved, as the user named it; `nil` for in-memory input.
    public var file: String?
    /// The rule that was broken.
    public var rule: Rule

    public init(file: String? = nil, rule: Rule) {
        self.file = file
        self.rule = rule
    }

    /// Which half of a key pair an input was supposed to be.
    public enum KeyRole: String, Sendable, Equatable {
        case privateKey = "private key"
        case publicKey = "public key"
    }

    /// The rules keys, signatures and statements must satisfy.
    public enum Rule: Sendable, Equatable {
        // Keys
        case invalidPEM(expected: KeyRole, detail: String)
        case encryptedPrivateKey
        case wrongKeyType(expected: String, found: String)
        case badKeyLength(role: KeyRole, expected: Int, got: Int)
        // Signatures
        case badSignatureLength(expected: Int, got: Int)
        case invalidHex(what: String)
        case signatureMismatch
        case unexpectedSigner(expectedKeyID: SHA256Digest, foundKeyID: SHA256Digest)
        // Signed statements
        case statementMalformed(reason: String)
        case statementInvalidKey(key: String, reason: String)
        case statementDuplicateKey(String)
        case statementTooLarge(what: String, size: Int, limit: Int)
        // Key files
        case fileExists
        case notRegularFile
        case fileTooLarge(size: UInt64, limit: UInt64)
        case io(operation: String, errno: Int32, message: String)
        // The library itself
        case openSSL(operation: String, message: String)
    }

    public var description: String {
        let subject = file ?? "the input"
        switch rule {
        case .invalidPEM(let role, let detail):
            let format = role == .privateKey ? "PKCS#8 \"PRIVATE KEY\"" : "SPKI \"PUBLIC KEY\""
            return "\(subject) is not a PEM-encoded \(role.rawValue) (expected a \(format) block): \(detail)."
        case .encryptedPrivateKey:
            return "\(subject) is an encrypted private key; only unencrypted PKCS#8 keys are read (protect the file with mode 0600 instead)."
        case .wrongKeyType(let expected, let found):
            return "\(subject) holds a key of type \(found), but an \(expected) key is required."
        case .badKeyLength(let role, let expected, let got):
            return "A raw Ed25519 \(role.rawValue) must be \(expected) bytes, but \(subject) has \(got)."
        case .badSignatureLength(let expected, let got):
            return "An Ed25519 signature must be \(expected) bytes, but \(subject) has \(got)."
        case .invalidHex(let what):
            return "The \(what) in \(subject) is not valid hexadecimal of the right length."
        case .signatureMismatch:
            return "The signature in \(subject) does not verify: the signed bytes, the signature or the public key were altered, or another key signed."
        case .unexpectedSigner(let expected, let found):
            return "\(subject) is signed by key \(found.hex), not by the expected key \(expected.hex)."
        case .statementMalformed(let reason):
            return "The statement in \(subject) is not in canonical form: \(reason)."
        case .statementInvalidKey(let key, let reason):
            return "The statement in \(subject) has an invalid field name '\(key)': \(reason)."
        case .statementDuplicateKey(let key):
            return "The statement in \(subject) has field '\(key)' more than once (rule: field names are unique)."
        case .statementTooLarge(let what, let size, let limit):
            return "The statement in \(subject) has \(what) of \(size), above the limit of \(limit)."
        case .fileExists:
            return "\(subject) already exists; refusing to overwrite a key file."
        case .notRegularFile:
            return "\(subject) is not a regular file."
        case .fileTooLarge(let size, let limit):
            return "\(subject) is \(size) bytes long, too large for a key file (limit \(limit) bytes)."
        case .io(let operation, let errno, let message):
            return "\(subject) could not be accessed (\(operation): \(message), errno \(errno))."
        case .openSSL(let operation, let message):
            return "OpenSSL failed in \(operation) for \(subject): \(message)."
        }
    }
}
