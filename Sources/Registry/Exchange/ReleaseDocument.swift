import Foundation
import ProvenanceCrypto

/// The `release` entry an exported fingerprint file carries in its `__metadata__`: the
/// release metadata, who registered it when, and the SHA-256 of the file's fingerprint part,
/// as one JSON object with sorted keys.
struct ReleaseDocument: Codable, Equatable {
    static let metadataKey = "release"

    var metadata: ReleaseMetadata
    var registeredAt: String
    var registeredBy: String
    /// Lower-case hex SHA-256 of the fingerprint part (the registry's `fingerprint_sha256`), so
    /// that a corrupted or edited unsigned file is refused, not imported.
    var fingerprintSHA256: String?

    enum CodingKeys: String, CodingKey {
        case registeredAt = "registered_at", registeredBy = "registered_by", fingerprintSHA256 = "fingerprint_sha256"
    }

    init(metadata: ReleaseMetadata, registeredAt: String, registeredBy: String, fingerprintSHA256: String? = nil) {
        self.metadata = metadata
        self.registeredAt = registeredAt
        self.registeredBy = registeredBy
        self.fingerprintSHA256 = fingerprintSHA256
    }

    init(from decoder: any Decoder) throws {
        metadata = try ReleaseMetadata(from: decoder)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        registeredAt = try container.decode(String.self, forKey: .registeredAt)
        registeredBy = try container.decode(String.self, forKey: .registeredBy)
        fingerprintSHA256 = try container.decodeIfPresent(String.self, forKey: .fingerprintSHA256)
    }

    func encode(to encoder: any Encoder) throws {
        try metadata.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(registeredAt, forKey: .registeredAt)
        try container.encode(registeredBy, forKey: .registeredBy)
        try container.encodeIfPresent(fingerprintSHA256, forKey: .fingerprintSHA256)
    }

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// Parses and validates the JSON; the error is a clause for a message.
    static func parse(_ json: String) -> Result<ReleaseDocument, ParseFailure> {
        let document: ReleaseDocument
        do {
            document = try JSONDecoder().decode(ReleaseDocument.self, from: Data(json.utf8))
        } catch {
            return .failure(ParseFailure(reason: "its \"release\" metadata is not the expected JSON object (\(describe(error)))"))
        }
        do {
            _ = try document.metadata.validated()
        } catch {
            return .failure(ParseFailure(reason: "its \"release\" metadata is invalid: \(error.description)"))
        }
        guard Timestamp.isValid(document.registeredAt) else {
            return .failure(ParseFailure(reason: "its registered_at '\(RegistryError.clipped(document.registeredAt))' is not a UTC time written YYYY-MM-DDTHH:MM:SSZ"))
        }
        // Lower case only: export writes it so, and a changed letter case is an alteration too.
        if let digest = document.fingerprintSHA256, SHA256Digest(hex: digest)?.hex != digest {
            return .failure(ParseFailure(reason: "its fingerprint_sha256 '\(RegistryError.clipped(digest))' is not 64 lower-case hex digits"))
        }
        guard !document.registeredBy.isEmpty, ReleaseMetadata.lineProblem(document.registeredBy, limit: ReleaseMetadata.maximumFieldLength) == nil else {
            return .failure(ParseFailure(reason: "its registered_by is empty, too long or contains control characters"))
        }
        return .success(document)
    }

    struct ParseFailure: Error {
        var reason: String
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "missing \"\(key.stringValue)\""
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "wrong type at \"\(context.codingPath.map(\.stringValue).joined(separator: "."))\""
        case DecodingError.dataCorrupted: return "not valid JSON"
        default: return "\(error)"
        }
    }
}
