import Matching

/// Estimated cosine per layer group as bars, coloured by what matched the layer.
enum CosineChart {
    static let colors: [(matchedBy: String, color: String)] = [
        ("exact", "#6f42c1"), ("sketch", "#1f6fb5"), ("profiles", "#d97706"), (LayerMatch.matchedByWeights, "#15803d"), ("none", "#9ca3af"),
    ]

    static func color(_ matchedBy: String) -> String {
        colors.first { $0.matchedBy == matchedBy }?.color ?? "#57606a"
    }

    static func figure(_ layers: [LayerMatch]) -> Figure {
        return Figure(
            svg: { svg(layers) },
            caption: ["Parameter-weighted mean estimated |cosine| of each layer's weight matrices with their best reference match. Neuron-permuted layers can show a low cosine yet match by profiles; layers matched by weights (compare --deep) show their exact cosine."],
            summary: nil)
    }

    /// The plot (drawn only when HTML is rendered).
    static func svg(_ layers: [LayerMatch]) -> String {
        let count = max(1, layers.count)
        let bar = min(28, max(5, 620 / Double(count)))
        let left = 44.0, top = 34.0, plotHeight = 170.0
        let plotWidth = bar * Double(count)
        let width = max(480, left + plotWidth + 16), height = top + plotHeight + 50
        var svg = SVGBuilder(width: width, height: height, label: "Estimated cosine per layer, coloured by what matched it")
        svg.text("Estimated cosine per layer", x: 4, y: 15, size: 13, bold: true)

        func y(_ value: Double) -> Double { top + plotHeight - min(1, max(0, value)) * plotHeight }
        for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
            svg.line(x1: left, y1: y(tick), x2: left + plotWidth, y2: y(tick), stroke: "#e5e7eb")
            svg.text(ReportNumbers.tick(tick), x: left - 5, y: y(tick) + 3.5, size: 10, anchor: .end, fill: "#57606a")
        }
        let labelStep = PlotAxes.integerStep(spacing: bar, minimum: 16)
        for (index, layer) in layers.enumerated() {
            let x = left + Double(index) * bar
            let value = layer.meanCosine.isFinite ? abs(layer.meanCosine) : 0
            let kind = layer.matchedBy == LayerMatch.matchedByWeights ? "exact" : "estimated"
            let tooltip = "\(layer.group): \(kind) cosine \(ReportNumbers.cosine(layer.meanCosine)), p = \(ReportNumbers.pValue(log10: layer.log10P)), matched by \(layer.matchedBy)"
                + (layer.referenceLayer.map { " → reference layer \($0)" } ?? "")
            svg.rect(x: x + bar * 0.12, y: y(value), width: bar * 0.76, height: max(0.8, y(0) - y(value)),
                     fill: color(layer.matchedBy), tooltip: tooltip)
            if index % labelStep == 0 || layer.suspectLayer == nil {
                svg.text(shortName(layer), x: x + bar / 2, y: top + plotHeight + 14, size: 10, anchor: .middle, fill: "#57606a")
            }
        }
        svg.line(x1: left, y1: y(0), x2: left + plotWidth, y2: y(0), stroke: "#57606a")
        svg.text("layer", x: left + plotWidth / 2, y: top + plotHeight + 29, size: 11, anchor: .middle, fill: "#57606a")

        // Legend along the bottom.
        var legendX = 4.0
        let legendY = height - 6
        svg.text("matched by:", x: legendX, y: legendY, size: 11, fill: "#57606a")
        legendX += 74
        // `weights` (compare --deep) only where a layer was matched so.
        for entry in colors where entry.matchedBy != LayerMatch.matchedByWeights || layers.contains(where: { $0.matchedBy == entry.matchedBy }) {
            svg.rect(x: legendX, y: legendY - 9, width: 10, height: 10, fill: entry.color)
            svg.text(entry.matchedBy, x: legendX + 14, y: legendY, size: 11)
            legendX += 30 + Double(entry.matchedBy.count) * 6.5
        }
        return svg.markup
    }

    /// "3" for "layer 3", "emb" for embeddings.
    static func shortName(_ layer: LayerMatch) -> String {
        if let index = layer.suspectLayer { return "\(index)" }
        switch layer.group {
        case "embeddings": return "emb"
        default: return String(layer.group.prefix(5))
        }
    }
}
