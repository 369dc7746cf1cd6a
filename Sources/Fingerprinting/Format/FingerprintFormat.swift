/// Constants of the fingerprint file format.
public enum FingerprintFormat {
    /// The value of `__metadata__["format"]` in a fingerprint file.
    public static let name = "provenance-fingerprint"
    /// The fingerprint's version: how it is computed (`Fingerprint.Header.formatVersion`), and
    /// the file format version of files without expert tables.
    public static let version = 1
    /// The file format version of files with expert tables (§4b): version 1 plus `expertTables`,
    /// so that readers of version 1 refuse them rather than miss the tabled tensors.
    public static let expertTablesVersion = 2
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
