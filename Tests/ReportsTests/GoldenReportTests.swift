import Foundation
import Testing
@testable import Matching
@testable import Reports

/// Report structure against committed golden files (PROVENANCE_UPDATE_GOLDEN=1 rewrites them).
/// Markdown and JSON are compared whole; HTML by its outline (elements, ids, classes,
/// headings, table shapes, SVG element counts), so plot coordinates can change freely.
@Suite("Golden reports")
struct GoldenReportTests {
    @Test("comparison report: Markdown")
    func comparisonMarkdown() throws {
        try Golden.check(ReportRenderer.markdown(ResultFixtures.comparison()), file: "comparison.md")
    }

    @Test("comparison report: HTML outline")
    func comparisonHTML() throws {
        let inspector = XHTMLInspector.inspect(ReportRenderer.html(ResultFixtures.comparison()))
        #expect(inspector.parseError == nil)
        try Golden.check(inspector.outline.joined(separator: "\n") + "\n", file: "comparison.html.outline")
    }

    @Test("comparison report: JSON")
    func comparisonJSON() throws {
        try Golden.check(ReportRenderer.json(ResultFixtures.comparison()), file: "comparison.json")
    }

    @Test("scan report: Markdown")
    func scanMarkdown() throws {
        try Golden.check(ReportRenderer.markdown(ResultFixtures.scan()), file: "scan.md")
    }

    @Test("scan report: HTML outline")
    func scanHTML() throws {
        let inspector = XHTMLInspector.inspect(ReportRenderer.html(ResultFixtures.scan()))
        #expect(inspector.parseError == nil)
        try Golden.check(inspector.outline.joined(separator: "\n") + "\n", file: "scan.html.outline")
    }

    @Test("sparse comparison (nothing to plot, no command): Markdown")
    func sparseMarkdown() throws {
        try Golden.check(ReportRenderer.markdown(ResultFixtures.sparseComparison()), file: "sparse.md")
    }
}
