import ProvenanceCrypto

/// A registration whose signature and digests were checked: an exported file or a
/// registered release.
public struct RegistrationVerification: Sendable {
    /// The file path, or the release reference.
    public var subject: String
    public var metadata: ReleaseMetadata
    public var registeredAt: String
    public var registeredBy: String
    /// SHA-256 of the fingerprint file bytes (without extra metadata), as the statement records it.
    public var fingerprintSHA256: SHA256Digest
    public var rawRoot: SHA256Digest
    public var canonicalRoot: SHA256Digest
    /// The checkpoint's files as the fingerprint lists them.
    public var files: [ReleaseFile]
    public var tensorCount: Int
    /// The verified statement, signature and key; `nil` for an unsigned registration (then
    /// only the fingerprint's internal consistency was checked).
    public var signature: SignedStatement?
    /// For a registered release: the log entry that registered it, proved against the latest
    /// signed tree head.
    public var logInclusion: LogInclusion?
    /// For a registered release whose log inclusion could not be shown: why.
    public var logProblem: String?

    /// Whether a valid signature vouches for the registration.
    public var isSigned: Bool { signature != nil }
}
