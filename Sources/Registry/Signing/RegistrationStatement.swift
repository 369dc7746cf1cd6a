import Fingerprinting
import ProvenanceCrypto

/// The fields of a signed registration (docs/SIGNING_AND_LOG.md, "Registration statements"):
/// what a publisher vouches for when registering with `--sign`. Every field is derived from
/// the release metadata, the fingerprint and the signer's key, so a verifier rebuilds the
/// expected statement from what it holds and compares field by field.
///
/// Values are UTF-8 text: digests lower-case hex, integers decimal without leading zeros,
/// absent optional metadata omitted (never an empty value).
enum RegistrationStatement {
    /// The `format` field: what kind of statement this is, and its field-set version.
    static let format = "provenance-registration/1"

    /// The expected statement's fields for a release.
    static func fields(metadata: ReleaseMetadata, fingerprint: Fingerprint, fingerprintSHA256: SHA256Digest,
                       registeredAt: String, registeredBy: String, signerKeyID: SHA256Digest) -> [StatementField] {
        var fields: [StatementField] = [
            StatementField("format", text: format),
            StatementField("release.name", text: metadata.name),
        ]
        let optional: [(String, String?)] = [
            ("release.version", metadata.version), ("release.org", metadata.org), ("release.license", metadata.license),
            ("release.released", metadata.released), ("release.url", metadata.url), ("release.notes", metadata.notes),
        ]
        for case let (key, value?) in optional { fields.append(StatementField(key, text: value)) }
        fields.append(StatementField("release.base_count", text: String(metadata.bases.count)))
        for (index, base) in metadata.bases.enumerated() {
            fields.append(StatementField("release.base.\(index)", text: base))
        }
        fields += [
            StatementField("fingerprint.format_version", text: String(fingerprint.header.formatVersion)),
            StatementField("fingerprint.sha256", text: fingerprintSHA256.hex),
            StatementField("fingerprint.raw_root", text: fingerprint.roots.raw.hex),
            StatementField("fingerprint.canonical_root", text: fingerprint.roots.canonical.hex),
            StatementField("file_count", text: String(fingerprint.source.files.count)),
        ]
        for (index, file) in fingerprint.source.files.enumerated() {
            fields.append(StatementField("file.\(index).name", text: file.name))
            fields.append(StatementField("file.\(index).size", text: String(file.size)))
            if let digest = file.sha256 { fields.append(StatementField("file.\(index).sha256", text: digest.hex)) }
        }
        fields += [
            StatementField("registered.at", text: registeredAt),
            StatementField("registered.by", text: registeredBy),
            StatementField("signer.key_id", text: signerKeyID.hex),
        ]
        return fields
    }

    /// The statement for a prepared release, signed by `signerKeyID`.
    static func statement(for release: PreparedRelease, signerKeyID: SHA256Digest) throws -> CanonicalStatement {
        do {
            return try CanonicalStatement(fields: fields(
                metadata: release.metadata, fingerprint: release.fingerprint, fingerprintSHA256: release.sha256,
                registeredAt: release.registeredAt, registeredBy: release.registeredBy, signerKeyID: signerKeyID))
        } catch {
            throw RegistryError.invalidMetadata(field: "statement", value: release.metadata.reference.description, rule: error.description)
        }
    }

    /// Signs the statement for `release` with `key`.
    static func sign(_ release: PreparedRelease, with key: Ed25519PrivateKey) throws -> SignedStatement {
        SignedStatement(signing: try statement(for: release, signerKeyID: key.publicKey.keyID), with: key)
    }

    // MARK: - Comparing

    /// One field on which a carried statement and the expected one disagree.
    struct Difference: Equatable {
        var key: String
        /// The statement's value (`nil`: the statement lacks the field).
        var statement: [UInt8]?
        /// The expected value (`nil`: the field should not be there).
        var expected: [UInt8]?

        /// Which part of an exported file the field describes.
        var part: VerificationFailure.Part {
            if key.hasPrefix("fingerprint.") || key.hasPrefix("file") { return .fingerprint }
            if key.hasPrefix("signer.") { return .publicKey }
            if key == "format" { return .statement }
            return .releaseMetadata
        }

        /// A clause naming the field and both values; `holder` is where the expected value
        /// comes from ("the file", "the registry").
        func clause(holder: String) -> String {
            func show(_ value: [UInt8]?) -> String {
                guard let value else { return "nothing" }
                let text = String(decoding: value, as: UTF8.self)
                return "'" + RegistryError.clipped(text) + "'"
            }
            switch (statement, expected) {
            case (nil, _): return "the statement lacks field '\(key)' (expected \(show(expected)))"
            case (_, nil): return "the statement has an unexpected field '\(key)' (\(show(statement)))"
            default: return "field '\(key)' is \(show(statement)) in the statement but \(show(expected)) in \(holder)"
            }
        }
    }

    /// The fields on which `statement` differs from `expected`, in key order.
    static func differences(_ statement: CanonicalStatement, expected: [StatementField]) -> [Difference] {
        var carried: [String: [UInt8]] = [:]
        for field in statement.fields { carried[field.key] = field.value }
        var wanted: [String: [UInt8]] = [:]
        for field in expected { wanted[field.key] = field.value }
        return Set(carried.keys).union(wanted.keys)
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            .compactMap { key in
                carried[key] == wanted[key] ? nil : Difference(key: key, statement: carried[key], expected: wanted[key])
            }
    }
}
