import Checkpoints
import ProvenanceCrypto
import TransparencyLog
import Fingerprinting
import Reports
import Registry

/// An error whose message is a complete sentence for the terminal.
protocol UserFacingError: Error {
    var userMessage: String { get }
}

extension CheckpointError: UserFacingError {
    var userMessage: String { description }
}

/// A command-line usage problem found after parsing (e.g. an unwritable output path).
struct UsageError: UserFacingError {
    var userMessage: String
    init(_ message: String) { userMessage = message }
}

extension FingerprintFileError: UserFacingError {
    var userMessage: String { description }
}

extension ReportError: UserFacingError {
    var userMessage: String { description }
}

extension RegistryError: UserFacingError {
    var userMessage: String { description }
}

extension CryptoError: UserFacingError {
    var userMessage: String { description }
}

extension LogError: UserFacingError {
    var userMessage: String { description }
}
