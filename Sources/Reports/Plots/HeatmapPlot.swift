import Matching

/// The layer-to-layer similarity matrix of one role family: suspect layers as rows,
/// reference layers as columns, colour = best estimated |cosine|.
enum HeatmapPlot {
    /// Beyond this many cells, per-cell tooltips are left out to keep the file small.
    static let tooltipCellLimit = 2_500

    static func figure(_ heatmap: Heatmap) -> Figure {
        let caption: [Inline] = isProfiles(heatmap)
            ? ["Neuron profiles: rows are suspect layers, columns reference layers; each cell is the cross-check T of a layer pair the profiles matched (0: not compared)."]
            : [.code(heatmap.family), " matrices: rows are suspect layers, columns reference layers."]
        return Figure(svg: { svg(heatmap) }, caption: caption, summary: summary(heatmap))
    }

    /// Whether the heatmap holds neuron-profile cross-checks (T) rather than sketch cosines.
    static func isProfiles(_ heatmap: Heatmap) -> Bool { heatmap.family == Heatmap.profilesFamily }

    /// The plot (drawn only when HTML is rendered).
    static func svg(_ heatmap: Heatmap) -> String {
        let rows = heatmap.suspectLayers.count, columns = heatmap.referenceLayers.count
        let cell = min(36, max(3, 480 / Double(max(rows, columns, 1))))
        let left = 60.0, top = 40.0, legendWidth = 84.0
        let gridWidth = Double(columns) * cell, gridHeight = Double(rows) * cell
        let width = max(280, left + gridWidth + legendWidth), height = top + gridHeight + 44
        var svg = SVGBuilder(width: width, height: height,
                             label: "Layer-to-layer similarity, \(heatmap.family): suspect layers (rows) by reference layers (columns)")
        svg.text(isProfiles(heatmap) ? "neuron profiles — cross-check T" : "\(heatmap.family) — best estimated |cosine|", x: 4, y: 16, size: 13, bold: true)

        let tooltips = rows * columns <= tooltipCellLimit
        for (i, suspectLayer) in heatmap.suspectLayers.enumerated() {
            for (j, referenceLayer) in heatmap.referenceLayers.enumerated() {
                let value = value(heatmap, i, j)
                svg.rect(x: left + Double(j) * cell, y: top + Double(i) * cell, width: cell, height: cell,
                         fill: value.map(ColorScale.color) ?? "#ffffff",
                         tooltip: tooltips ? "suspect layer \(suspectLayer) × reference layer \(referenceLayer): \(value.map { ReportNumbers.fixed($0, digits: 4) } ?? "n/a")" : nil)
            }
        }
        svg.rect(x: left, y: top, width: gridWidth, height: gridHeight, fill: "none", stroke: "#57606a")

        // Axes: reference layers along the bottom, suspect layers down the left.
        let columnStep = PlotAxes.integerStep(spacing: cell, minimum: 18)
        for (j, layer) in heatmap.referenceLayers.enumerated() where j % columnStep == 0 {
            svg.text("\(layer)", x: left + (Double(j) + 0.5) * cell, y: top + gridHeight + 14, size: 10, anchor: .middle, fill: "#57606a")
        }
        svg.text("reference layer →", x: left + gridWidth / 2, y: top + gridHeight + 33, size: 11, anchor: .middle)
        let rowStep = PlotAxes.integerStep(spacing: cell, minimum: 12)
        for (i, layer) in heatmap.suspectLayers.enumerated() where i % rowStep == 0 {
            svg.text("\(layer)", x: left - 5, y: top + (Double(i) + 0.5) * cell + 3.5, size: 10, anchor: .end, fill: "#57606a")
        }
        svg.text("suspect layer →", x: 18, y: top + gridHeight / 2, size: 11, anchor: .middle, rotate: 90)

        // Legend: ten discrete steps.
        let legendX = left + gridWidth + 18, steps = 10
        let legendHeight = min(160, max(80, gridHeight)), stepHeight = legendHeight / Double(steps)
        svg.text(isProfiles(heatmap) ? "T" : "|cos|", x: legendX - 2, y: top - 8, size: 10, fill: "#57606a")
        for k in 0..<steps {
            let value = Double(steps - 1 - k) / Double(steps - 1)
            svg.rect(x: legendX, y: top + Double(k) * stepHeight, width: 14, height: stepHeight + 0.3, fill: ColorScale.color(value))
        }
        svg.rect(x: legendX, y: top, width: 14, height: legendHeight, fill: "none", stroke: "#57606a")
        for (value, label) in [(1.0, "1"), (0.5, "0.5"), (0.0, "0")] {
            svg.text(label, x: legendX + 19, y: top + (1 - value) * legendHeight + 4, size: 10, fill: "#57606a")
        }

        return svg.markup
    }

    /// What the heatmaps show, said once above them.
    static let explanation: [Inline] = ["Each cell is the best estimated |cosine| between the matrices of a suspect layer (row) and a reference layer (column). A bright diagonal means the same layers in the same order; a shifted, broken or missing diagonal shows dropped, reordered or grafted layers."]

    static func value(_ heatmap: Heatmap, _ i: Int, _ j: Int) -> Double? {
        guard i < heatmap.cosines.count, j < heatmap.cosines[i].count else { return nil }
        let value = heatmap.cosines[i][j]
        return value.isFinite ? value : nil
    }

    /// One line for Markdown: the strongest reference layer per suspect layer, and the largest other cell.
    static func summary(_ heatmap: Heatmap) -> [Inline] {
        var best: [String] = []
        var largestOther = 0.0
        for (i, suspectLayer) in heatmap.suspectLayers.enumerated() {
            var top: (column: Int, value: Double)?
            for j in heatmap.referenceLayers.indices {
                guard let value = value(heatmap, i, j) else { continue }
                if top == nil || value > top!.value {
                    if let previous = top { largestOther = max(largestOther, previous.value) }
                    top = (j, value)
                } else {
                    largestOther = max(largestOther, value)
                }
            }
            if let top {
                best.append("\(suspectLayer)→\(heatmap.referenceLayers[top.column]) (\(ReportNumbers.fixed(top.value, digits: 3)))")
            }
        }
        return [.strong(["Heatmap ", .code(heatmap.family)]),
                .text(": \(heatmap.suspectLayers.count) suspect × \(heatmap.referenceLayers.count) reference layers; strongest reference layer per suspect layer: "
                      + (best.isEmpty ? "none" : best.joined(separator: ", "))
                      + "; largest other cell \(ReportNumbers.fixed(largestOther, digits: 3)).")]
    }
}
