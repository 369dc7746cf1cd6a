/// Why a signed registration failed verification: which part was altered, and how.
///
/// `description` is a clause such as "the signature was altered: …", used after a file or
/// release name in `RegistryError.verificationFailed`.
public struct VerificationFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The part of a signed registration that failed.
    public enum Part: String, Sendable, CaseIterable {
        /// The canonical statement bytes.
        case statement
        /// The Ed25519 signature.
        case signature
        /// The signer's public key.
        case publicKey = "public key"
        /// The fingerprint (its tensor digests, roots, file digests, sketches, statistics…).
        case fingerprint
        /// The release metadata or the registration time and registrant.
        case releaseMetadata = "release metadata"
        /// Everything verifies, but the signer is not the expected key.
        case signer
    }

    /// What failed.
    public var part: Part
    /// How, as a clause.
    public var reason: String

    public init(part: Part, reason: String) {
        self.part = part
        self.reason = reason
    }

    public var description: String {
        switch part {
        case .signer: "it was signed by the wrong key: \(reason)"
        default: "the \(part.rawValue) was altered: \(reason)"
        }
    }
}
