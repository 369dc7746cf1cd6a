import Matching

/// A per-layer statistic of both models as two lines: supporting context, not decisive.
enum CurvePlot {
    static let suspectColor = "#1f6fb5"
    static let referenceColor = "#d95f02"

    static func figure(_ curve: StatisticCurve) -> Figure {
        let correlation = curve.correlation.map { "r = " + ReportNumbers.fixed($0, digits: 3) } ?? "r = n/a"
        return Figure(
            svg: { svg(curve) },
            caption: ["Per-layer ", .code(curve.statistic), " of ", .code(curve.role), " weights, both models (\(correlation)). ",
                      .emphasis(["Supporting, not decisive: independent models with the same architecture have similar curves."])],
            summary: nil)
    }

    /// The plot (drawn only when HTML is rendered).
    static func svg(_ curve: StatisticCurve) -> String {
        let width = 460.0, height = 250.0
        let left = 56.0, right = 14.0, top = 46.0, bottom = 38.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let layerCount = max(curve.suspect.count, curve.reference.count)
        let values = (curve.suspect + curve.reference).compactMap { $0 }.filter(\.isFinite)
        let range = PlotAxes.niceRange(values.min() ?? 0, values.max() ?? 1)
        let correlation = curve.correlation.map { "r = " + ReportNumbers.fixed($0, digits: 3) } ?? "r = n/a"

        var svg = SVGBuilder(width: width, height: height,
                             label: "Per-layer \(curve.statistic) of \(curve.role), suspect and reference (supporting, not decisive)")
        svg.text("\(curve.role) · \(curve.statistic) per layer (\(correlation))", x: 4, y: 15, size: 13, bold: true)
        svg.text("supporting, not decisive", x: 4, y: 32, size: 11, fill: "#9a6700", italic: true)

        func x(_ layer: Int) -> Double {
            layerCount <= 1 ? left + plotWidth / 2 : left + Double(layer) / Double(layerCount - 1) * plotWidth
        }
        func y(_ value: Double) -> Double {
            top + plotHeight - (value - range.low) / (range.high - range.low) * plotHeight
        }

        for tick in range.ticks {
            svg.line(x1: left, y1: y(tick), x2: left + plotWidth, y2: y(tick), stroke: "#e5e7eb")
            svg.text(ReportNumbers.tick(tick), x: left - 5, y: y(tick) + 3, size: 10, anchor: .end, fill: "#57606a")
        }
        let step = PlotAxes.integerStep(spacing: layerCount > 1 ? plotWidth / Double(layerCount - 1) : plotWidth, minimum: 22)
        for layer in stride(from: 0, to: layerCount, by: step) {
            svg.text("\(layer)", x: x(layer), y: top + plotHeight + 14, size: 10, anchor: .middle, fill: "#57606a")
        }
        svg.text("layer", x: left + plotWidth / 2, y: height - 6, size: 11, anchor: .middle, fill: "#57606a")
        svg.rect(x: left, y: top, width: plotWidth, height: plotHeight, fill: "none", stroke: "#d0d7de")

        series(&svg, curve.reference, color: referenceColor, dash: "5 3", name: "reference", x: x, y: y, markers: layerCount <= 48)
        series(&svg, curve.suspect, color: suspectColor, dash: nil, name: "suspect", x: x, y: y, markers: layerCount <= 48)

        // Legend, right of the "supporting" line.
        let legendX = width - right - 160, legendY = 29.0
        svg.line(x1: legendX, y1: legendY, x2: legendX + 20, y2: legendY, stroke: suspectColor, width: 2)
        svg.text("suspect", x: legendX + 24, y: legendY + 4, size: 11)
        svg.line(x1: legendX + 80, y1: legendY, x2: legendX + 100, y2: legendY, stroke: referenceColor, width: 2, dash: "5 3")
        svg.text("reference", x: legendX + 104, y: legendY + 4, size: 11)

        return svg.markup
    }

    private static func series(_ svg: inout SVGBuilder, _ values: [Double?], color: String, dash: String?, name: String,
                               x: (Int) -> Double, y: (Double) -> Double, markers: Bool) {
        var segment: [(x: Double, y: Double)] = []
        for (layer, value) in values.enumerated() {
            if let value, value.isFinite {
                segment.append((x(layer), y(value)))
            } else {
                svg.polyline(segment, stroke: color, dash: dash)
                segment = []
            }
        }
        svg.polyline(segment, stroke: color, dash: dash)
        guard markers else { return }
        for (layer, value) in values.enumerated() {
            guard let value, value.isFinite else { continue }
            svg.circle(x: x(layer), y: y(value), radius: 2.6, fill: color,
                       tooltip: "\(name), layer \(layer): \(ReportNumbers.tick(value))")
        }
    }
}
