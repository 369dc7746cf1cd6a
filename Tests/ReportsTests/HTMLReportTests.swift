import Foundation
import Testing
@testable import Matching
@testable import Reports

/// HTML reports are well-formed XML, self-contained (no scripts, no external resources)
/// and carry every section and plot.
@Suite("HTML reports")
struct HTMLReportTests {
    /// Every fixture, by name, rendered as HTML.
    static let reports: [(name: String, html: String)] = [
        ("comparison", ReportRenderer.html(ResultFixtures.comparison())),
        ("hostile-comparison", ReportRenderer.html(ResultFixtures.comparison(.hostile))),
        ("sparse-comparison", ReportRenderer.html(ResultFixtures.sparseComparison())),
        ("scan", ReportRenderer.html(ResultFixtures.scan())),
        ("hostile-scan", ReportRenderer.html(ResultFixtures.scan(.hostile))),
        ("merge-scan", ReportRenderer.html(ResultFixtures.mergeScan())),
        ("independent-scan", ReportRenderer.html(ResultFixtures.independentScan())),
    ]

    @Test("parses as XML and loads nothing from anywhere", arguments: reports.map(\.name))
    func wellFormedAndSelfContained(name: String) throws {
        let html = try #require(Self.reports.first { $0.name == name }?.html)
        let inspector = XHTMLInspector.inspect(html)
        #expect(inspector.parseError == nil, "\(name): \(inspector.parseError ?? "")")
        #expect(inspector.externalResourceProblems() == [], "\(name)")
        #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">"))
        #expect(inspector.elements(named: "meta").contains { $0.attributes["charset"] == "utf-8" })
        #expect(inspector.elements(named: "meta").contains { $0.attributes["name"] == "viewport" })
        // Raw text checks too, independent of the parser.
        let lowered = html.lowercased()
        for forbidden in ["<script", "javascript:", "@import", "url(", " src=", "<link", "<img", "<iframe"] {
            #expect(!lowered.contains(forbidden) || Self.onlyEscaped(forbidden, in: html), "\(name) contains \(forbidden)")
        }
        let ids = inspector.elements.compactMap { $0.attributes["id"] }
        #expect(Set(ids).count == ids.count, "\(name): duplicate ids")
        for svg in inspector.elements(named: "svg") {
            #expect(svg.attributes["viewBox"] != nil)
            #expect(svg.attributes["role"] == "img")
        }
        if let directory = ProcessInfo.processInfo.environment["PROVENANCE_REPORT_SAMPLES"] {
            try Data(html.utf8).write(to: URL(fileURLWithPath: directory).appendingPathComponent("\(name).html"))
        }
    }

    /// Forbidden text may appear only as escaped user text (`&lt;script&gt;`), never as markup:
    /// true when every occurrence is inside character data, which the XML parse already proved
    /// escaped (it is not preceded by a raw `<` tag opener).
    static func onlyEscaped(_ needle: String, in html: String) -> Bool {
        if needle.hasPrefix("<") { return false }
        // Attribute-like needles (" src=", "url(", "javascript:") must not occur inside a tag.
        var insideTag = false
        var index = html.startIndex
        let lowered = html.lowercased()
        while index < lowered.endIndex {
            let character = lowered[index]
            if character == "<" { insideTag = true } else if character == ">" { insideTag = false }
            if insideTag, lowered[index...].hasPrefix(needle) { return false }
            index = lowered.index(after: index)
        }
        return true
    }

    @Test("comparison report has every section, table and plot")
    func comparisonContent() {
        let inspector = XHTMLInspector.inspect(ReportRenderer.html(ResultFixtures.comparison()))
        let ids = Set(inspector.elements.compactMap { $0.attributes["id"] })
        for id in ["models", "files", "exact", "layers", "heatmaps", "tensors", "profiles", "alignment", "statistics", "method"] {
            #expect(ids.contains(id), "missing section \(id)")
        }
        // 3 heatmaps + cosine chart + cross-check + 2 curves.
        #expect(inspector.elements(named: "svg").count == 7)
        // Heatmaps: one rect per cell (3 × 4) plus frame, legend steps and legend frame, each.
        let heatmapRects = inspector.elements(named: "rect").filter { $0.attributes["width"] == $0.attributes["height"] && $0.ancestors.contains("svg") }
        #expect(heatmapRects.count >= 3 * 12)
        #expect(inspector.allText.contains("supporting, not decisive"))
        #expect(inspector.allText.contains("reference layer →"))
        #expect(inspector.allText.contains("1e-2175"))
        #expect(inspector.elements(named: "pre").count == 1)
        #expect(inspector.allText.contains(ResultFixtures.Names.plain.command))
        // Links only for the http(s) metadata values.
        let links = inspector.elements(named: "a").compactMap { $0.attributes["href"] }.filter { !$0.hasPrefix("#") }
        #expect(Set(links) == ["https://huggingface.co/acme/chat", "https://acme.example/models/chat"])
    }

    @Test("scan report links the candidate table to the detailed sections")
    func scanContent() {
        let inspector = XHTMLInspector.inspect(ReportRenderer.html(ResultFixtures.mergeScan()))
        let ids = Set(inspector.elements.compactMap { $0.attributes["id"] })
        #expect(ids.isSuperset(of: ["attribution", "candidates", "suspect", "c1", "c2", "c1-layers", "c2-layers", "method"]))
        let anchors = inspector.elements(named: "a").compactMap { $0.attributes["href"] }.filter { $0.hasPrefix("#c") && $0 != "#candidates" }
        #expect(Set(anchors) == ["#c1", "#c2"])
        // One method section for the whole scan.
        #expect(!ids.contains("c1-method"))
    }

    @Test("large heatmaps leave out per-cell tooltips but keep every cell")
    func largeHeatmap() {
        var result = ResultFixtures.comparison()
        let layers = Array(0..<80)
        result.heatmaps = [Heatmap(family: "attention", suspectLayers: layers, referenceLayers: layers,
                                   cosines: layers.map { i in layers.map { j in i == j ? 0.99 : 0.01 } })]
        let figure = HeatmapPlot.figure(result.heatmaps[0])
        let inspector = XHTMLInspector.inspect(figure.svg())
        #expect(inspector.parseError == nil)
        #expect(inspector.elements(named: "rect").count == 80 * 80 + 1 + 10 + 1)
        #expect(inspector.elements(named: "title").count == 1)
        // Tick labels are thinned out: far fewer than 80 per axis.
        let numeric = inspector.texts.filter { Int($0) != nil }
        #expect(numeric.count < 60 && numeric.count > 8)
    }

    @Test("non-finite numbers render as n/a instead of breaking the plots")
    func nonFinite() {
        var result = ResultFixtures.comparison()
        result.heatmaps[0].cosines[0][0] = .nan
        result.curves[0].suspect[0] = .infinity
        result.layers[1].meanCosine = .nan
        result.profiles[0].nullStd = .infinity
        result.verdict.log10P = -.infinity
        let html = ReportRenderer.html(result)
        let inspector = XHTMLInspector.inspect(html)
        #expect(inspector.parseError == nil)
        let values = inspector.elements.flatMap { $0.attributes.values }.map { $0.lowercased() }
        #expect(!values.contains { $0.contains("nan") || $0.contains("inf") })
        #expect(!inspector.texts.contains { ["nan", "-nan", "inf", "-inf"].contains($0.lowercased()) })
        #expect(inspector.allText.contains("0 (below any representable value)"))
    }
}
