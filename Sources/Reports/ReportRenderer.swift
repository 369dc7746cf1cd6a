import Matching

/// Renders comparison and scan results as reports for community review:
/// Markdown (issue/forum threads), self-contained HTML with inline SVG plots, or JSON.
///
/// Everything user-supplied (labels, metadata, tensor names, URLs, the command) is escaped;
/// only http(s) URLs become links. Output is deterministic for a given result.
public enum ReportRenderer {
    // MARK: - Comparison (one suspect vs one reference)

    /// GitHub-flavoured Markdown: the verdict sentence first, then models, exact matches,
    /// layers, tensors, profile cross-checks, alignment, supporting statistics and method.
    public static func markdown(_ result: Comparison) -> String {
        MarkdownWriter.render(ReportDocument(comparison: result))
    }

    /// One self-contained HTML page (XHTML-compatible): the Markdown content plus inline SVG
    /// plots (heatmaps, per-layer cosines, profile cross-checks, statistic curves).
    public static func html(_ result: Comparison) -> String {
        HTMLWriter.render(ReportDocument(comparison: result))
    }

    /// Pretty-printed JSON with sorted keys under the `provenance.report` envelope.
    public static func json(_ result: Comparison) throws(ReportError) -> String {
        String(decoding: try ReportJSON.encode(result), as: UTF8.self)
    }

    /// The report in `format`.
    public static func render(_ result: Comparison, as format: ReportFormat) throws(ReportError) -> String {
        switch format {
        case .markdown: markdown(result)
        case .html: html(result)
        case .json: try json(result)
        }
    }

    // MARK: - Scan (one suspect vs several candidates)

    /// Markdown: the attribution sentence first, then components and relations, a summary
    /// table of every candidate and the full comparison section of the nearest ancestor (or
    /// of each merge component).
    public static func markdown(_ result: ScanResult) -> String {
        MarkdownWriter.render(ReportDocument(scan: result))
    }

    /// One self-contained HTML page with the same content as `markdown(_:)` plus plots.
    public static func html(_ result: ScanResult) -> String {
        HTMLWriter.render(ReportDocument(scan: result))
    }

    /// Pretty-printed JSON with sorted keys under the `provenance.report` envelope.
    public static func json(_ result: ScanResult) throws(ReportError) -> String {
        String(decoding: try ReportJSON.encode(result), as: UTF8.self)
    }

    /// The report in `format`.
    public static func render(_ result: ScanResult, as format: ReportFormat) throws(ReportError) -> String {
        switch format {
        case .markdown: markdown(result)
        case .html: html(result)
        case .json: try json(result)
        }
    }
}
