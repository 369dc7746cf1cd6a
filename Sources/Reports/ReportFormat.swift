/// The formats a report can be written in.
public enum ReportFormat: String, Sendable, CaseIterable {
    /// GitHub-flavoured Markdown for issues and forum threads.
    case markdown
    /// One self-contained HTML page with inline SVG plots.
    case html
    /// The results themselves, under a versioned schema (docs/REPORT_SCHEMA.md).
    case json

    /// The format for a file extension (`md`, `markdown`, `html`, `htm`, `json`; case-insensitive,
    /// with or without the dot), or nil.
    public init?(fileExtension: String) {
        let cleaned = fileExtension.hasPrefix(".") ? String(fileExtension.dropFirst()) : fileExtension
        switch cleaned.lowercased() {
        case "md", "markdown": self = .markdown
        case "html", "htm", "xhtml": self = .html
        case "json": self = .json
        default: return nil
        }
    }

    /// The format for an output path, from its extension.
    public init(path: String) throws(ReportError) {
        let name = path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex,
              let format = ReportFormat(fileExtension: String(name[name.index(after: dot)...])) else {
            throw .unsupportedFileExtension(path: path)
        }
        self = format
    }

    /// The usual file extension, without the dot.
    public var fileExtension: String {
        switch self {
        case .markdown: "md"
        case .html: "html"
        case .json: "json"
        }
    }
}
