import Foundation
import Matching

/// The JSON report: the result under a small versioned envelope,
/// `{"schema": "provenance.report", "schemaVersion": 1, "kind": "comparison"|"scan", "result": …}`,
/// pretty-printed with sorted keys so equal results give byte-identical files.
/// The schema is documented field by field in docs/REPORT_SCHEMA.md.
public enum ReportJSON {
    /// The value of the `schema` field.
    public static let schema = "provenance.report"
    /// The value of the `schemaVersion` field; bumped on any incompatible change.
    public static let schemaVersion = 1

    /// What a report holds.
    public enum Kind: String, Codable, Sendable {
        case comparison
        case scan
    }

    /// The JSON report of a comparison (UTF-8, ending in a newline).
    public static func encode(_ result: Comparison) throws(ReportError) -> Data {
        try encode(Envelope(kind: .comparison, result: result))
    }

    /// The JSON report of a scan (UTF-8, ending in a newline).
    public static func encode(_ result: ScanResult) throws(ReportError) -> Data {
        try encode(Envelope(kind: .scan, result: result))
    }

    /// Reads a report back, checking its schema name and version.
    public static func decode(_ data: Data) throws(ReportError) -> DecodedReport {
        let header: Header
        do {
            header = try decoder.decode(Header.self, from: data)
        } catch {
            throw .invalidJSON(reason: Self.describe(error))
        }
        guard header.schema == schema else { throw .notAReport(schema: header.schema) }
        guard let version = header.schemaVersion else { throw .invalidJSON(reason: "the 'schemaVersion' field is missing") }
        guard version == schemaVersion else { throw .unsupportedSchemaVersion(found: version, supported: schemaVersion) }
        guard let kindName = header.kind else { throw .invalidJSON(reason: "the 'kind' field is missing") }
        guard let kind = Kind(rawValue: kindName) else {
            throw .invalidJSON(reason: "'kind' is '\(kindName)', expected 'comparison' or 'scan'")
        }
        do {
            switch kind {
            case .comparison: return .comparison(try decoder.decode(Envelope<Comparison>.self, from: data).result)
            case .scan: return .scan(try decoder.decode(Envelope<ScanResult>.self, from: data).result)
            }
        } catch {
            throw .invalidJSON(reason: Self.describe(error))
        }
    }

    // MARK: - Coding

    struct Envelope<Result: Codable>: Codable {
        var schema = ReportJSON.schema
        var schemaVersion = ReportJSON.schemaVersion
        var kind: Kind
        var result: Result

        init(kind: Kind, result: Result) {
            self.kind = kind
            self.result = result
        }
    }

    /// The envelope fields alone, all optional so that a wrong document gets a precise error.
    struct Header: Decodable {
        var schema: String?
        var schemaVersion: Int?
        var kind: String?
    }

    /// Non-finite numbers (a p-value that underflowed to 0 has log₁₀ −∞) are written as the
    /// strings "Infinity", "-Infinity" and "NaN" rather than failing the whole report.
    static let nonFinite = (positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: nonFinite.positiveInfinity, negativeInfinity: nonFinite.negativeInfinity, nan: nonFinite.nan)
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: nonFinite.positiveInfinity, negativeInfinity: nonFinite.negativeInfinity, nan: nonFinite.nan)
        return decoder
    }

    private static func encode<Result: Codable>(_ envelope: Envelope<Result>) throws(ReportError) -> Data {
        do {
            var data = try encoder.encode(envelope)
            data.append(0x0A)
            return data
        } catch {
            throw .encodingFailed(reason: describe(error))
        }
    }

    /// A decoding error as a clause naming the JSON path.
    static func describe(_ error: any Error) -> String {
        func path(_ context: [any CodingKey]) -> String {
            context.isEmpty ? "the top level" : "'" + context.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".") + "'"
        }
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])) is missing"
        case DecodingError.typeMismatch(let type, let context):
            return "\(path(context.codingPath)) is not of type \(type)"
        case DecodingError.valueNotFound(let type, let context):
            return "\(path(context.codingPath)) is null, expected \(type)"
        case DecodingError.dataCorrupted(let context):
            return context.codingPath.isEmpty ? "the data is not valid JSON" : "\(path(context.codingPath)): \(context.debugDescription)"
        case EncodingError.invalidValue(let value, let context):
            return "\(path(context.codingPath)) has the value \(value), which JSON cannot represent"
        default:
            return String(describing: error)
        }
    }
}
