/// Constants of the fingerprint file format.
public enum FingerprintFormat {
    /// The value of `__metadata__["format"]` in a fingerprint file.
    public static let name = "provenance-fingerprint"
    /// The format version this build writes and reads.
    public static let version = 1
    /// Conventional file extension.
    public static let fileExtension = "fingerprint.safetensors"
}

/// A fingerprint file could not be read or written.
public struct FingerprintFileError: Error, CustomStringConvertible, Sendable, Equatable {
    public var file: String
    public var reason: String

    public init(file: String, reason: String) {
        self.file = file
        self.reason = reason
    }

    public var description: String { "\(file) is not a valid fingerprint file: \(reason)." }
}
