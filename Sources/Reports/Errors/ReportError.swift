/// A report could not be produced or read back.
///
/// `description` reads as a sentence, ready for a command-line error message.
public enum ReportError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The output path's extension names no report format.
    case unsupportedFileExtension(path: String)
    /// The JSON is not a provenance report (missing or different `schema`).
    case notAReport(schema: String?)
    /// The report's `schemaVersion` is newer (or older) than this reader supports.
    case unsupportedSchemaVersion(found: Int, supported: Int)
    /// The JSON could not be parsed or does not match the schema.
    case invalidJSON(reason: String)
    /// The result could not be encoded as JSON.
    case encodingFailed(reason: String)

    public var description: String {
        switch self {
        case .unsupportedFileExtension(let path):
            "Cannot tell the report format from '\(path)': use a file name ending in .md, .html or .json."
        case .notAReport(let schema):
            if let schema {
                "The JSON document has schema '\(schema)', not '\(ReportJSON.schema)', so it is not a provenance report."
            } else {
                "The JSON document has no 'schema' field, so it is not a provenance report."
            }
        case .unsupportedSchemaVersion(let found, let supported):
            "The report uses schema version \(found), but this version of the tool reads version \(supported)."
        case .invalidJSON(let reason):
            "The report JSON does not match the schema: \(reason)."
        case .encodingFailed(let reason):
            "The result could not be encoded as JSON: \(reason)."
        }
    }
}
