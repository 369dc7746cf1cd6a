import Testing
@testable import Matching
@testable import Reports

@Suite("Formats and numbers")
struct FormattingTests {
    @Test("report format from a file extension or path")
    func formats() throws {
        #expect(ReportFormat(fileExtension: "md") == .markdown)
        #expect(ReportFormat(fileExtension: ".MD") == .markdown)
        #expect(ReportFormat(fileExtension: "markdown") == .markdown)
        #expect(ReportFormat(fileExtension: "html") == .html)
        #expect(ReportFormat(fileExtension: "HTM") == .html)
        #expect(ReportFormat(fileExtension: "json") == .json)
        #expect(ReportFormat(fileExtension: "pdf") == nil)
        #expect(ReportFormat(fileExtension: "") == nil)
        #expect(try ReportFormat(path: "out/report.final.html") == .html)
        #expect(try ReportFormat(path: "REPORT.JSON") == .json)
        #expect(throws: ReportError.unsupportedFileExtension(path: "report")) { try ReportFormat(path: "report") }
        #expect(throws: ReportError.unsupportedFileExtension(path: "dir.md/report")) { try ReportFormat(path: "dir.md/report") }
        #expect(throws: ReportError.unsupportedFileExtension(path: ".md")) { try ReportFormat(path: ".md") }
        #expect(ReportError.unsupportedFileExtension(path: "x.pdf").description
                == "Cannot tell the report format from 'x.pdf': use a file name ending in .md, .html or .json.")
        for format in ReportFormat.allCases { #expect(ReportFormat(fileExtension: format.fileExtension) == format) }
    }

    @Test("render(as:) dispatches to each format")
    func render() throws {
        let result = ResultFixtures.comparison()
        #expect(try ReportRenderer.render(result, as: .markdown) == ReportRenderer.markdown(result))
        #expect(try ReportRenderer.render(result, as: .html) == ReportRenderer.html(result))
        #expect(try ReportRenderer.render(result, as: .json) == ReportRenderer.json(result))
        let scan = ResultFixtures.scan()
        #expect(try ReportRenderer.render(scan, as: .markdown) == ReportRenderer.markdown(scan))
        #expect(try ReportRenderer.render(scan, as: .json).contains("\"kind\" : \"scan\""))
    }

    @Test("p-values from log10, far below Double's range")
    func pValues() {
        #expect(ReportNumbers.pValue(log10: -2174) == "1e-2174")
        #expect(ReportNumbers.pValue(log10: -0.5) == "0.316")
        #expect(ReportNumbers.pValue(log10: 0) == "1")
        #expect(ReportNumbers.pValue(log10: -12 + 0.3) == "2.0e-12")
        #expect(ReportNumbers.pValue(log10: -6) == "1e-6")
        #expect(ReportNumbers.pValue(log10: -.infinity) == "0 (below any representable value)")
        #expect(ReportNumbers.pValue(log10: .nan) == "n/a")
        #expect(ReportNumbers.threshold(1e-6) == "1e-6")
        #expect(ReportNumbers.threshold(1e-4) == "1e-4")
    }

    @Test("cosines, percentages, counts, sizes, layer ranges")
    func numbers() {
        #expect(ReportNumbers.cosine(0.99861) == "0.9986")
        #expect(ReportNumbers.cosine(0.9999731) == "0.999973")
        #expect(ReportNumbers.cosine(1) == "1.0000")
        #expect(ReportNumbers.cosine(nil) == "n/a")
        #expect(ReportNumbers.cosine(.nan) == "n/a")
        #expect(ReportNumbers.fixed(-0.0001, digits: 2) == "0.00")
        #expect(ReportNumbers.percent(0.9412) == "94.1%")
        #expect(ReportNumbers.percent(1) == "100%")
        #expect(ReportNumbers.percent(0.99996) == "99.99%")
        #expect(ReportNumbers.percent(0) == "0%")
        #expect(ReportNumbers.count(1_234_567) == "1,234,567")
        #expect(ReportNumbers.count(-1_000) == "-1,000")
        #expect(ReportNumbers.count(12) == "12")
        #expect(ReportNumbers.parameters(7_241_732_096) == "7,241,732,096 (7.24 B)")
        #expect(ReportNumbers.bytes(512) == "512 B")
        #expect(ReportNumbers.bytes(14_200_000) == "14.2 MB")
        #expect(ReportNumbers.bytes(4_976_698_672) == "5.0 GB")
        #expect(ReportNumbers.bytes(140_000_000_000) == "140 GB")
        #expect(ReportNumbers.ranges([7, 0, 1, 2, 3, 5, 8, 9]) == "0–3, 5, 7–9")
        #expect(ReportNumbers.ranges([]) == "")
    }

    @Test("plot coordinates, ticks and colours")
    func plotNumbers() {
        #expect(SVGBuilder.number(12.25) == "12.3")
        #expect(SVGBuilder.number(3.0) == "3")
        #expect(SVGBuilder.number(-0.04) == "0")
        #expect(SVGBuilder.number(-7.5) == "-7.5")
        #expect(SVGBuilder.number(0.456, digits: 2) == "0.46")
        #expect(SVGBuilder.number(0.05, digits: 2) == "0.05")
        #expect(SVGBuilder.number(.nan) == "0")
        #expect(ColorScale.color(0) == "#440154")
        #expect(ColorScale.color(1) == "#fde725")
        #expect(ColorScale.color(2) == "#fde725")
        #expect(ColorScale.color(.nan) == "#440154")
        #expect(PlotAxes.integerStep(spacing: 6, minimum: 18) == 5)
        #expect(PlotAxes.integerStep(spacing: 26, minimum: 18) == 1)
        #expect(PlotAxes.niceRange(0.0188, 0.029).ticks.first! <= 0.0188)
        #expect(PlotAxes.niceRange(0.0188, 0.029).ticks.last! >= 0.029)
        #expect(ReportNumbers.tick(0.0225) == "0.0225")
        #expect(ReportNumbers.tick(0.5) == "0.5")
        #expect(ReportNumbers.tick(25) == "25")
    }

    @Test("layer maps read as runs")
    func layerMaps() {
        var alignment = ResultFixtures.comparison().alignment
        alignment.layerMap = ["0": 0, "1": 1, "2": 2]
        #expect(alignment.layerMapText == "identity on layers 0–2")
        alignment.layerMap = ["0": 0, "1": 1, "2": 4, "3": 5, "4": 3]
        #expect(alignment.layerMapText == "0–1 → 0–1, 2–3 → 4–5, 4 → 3")
        alignment.layerMap = [:]
        #expect(alignment.layerMapText == "no layer matched")
    }
}
