import Foundation
import Matching

/// Each neuron-profile cross-check statistic T against its null for independent models
/// (mean ± 3 standard deviations).
enum CrossCheckPlot {
    static func figure(_ profiles: [ProfileMatch], tensorThreshold: Double) -> Figure {
        return Figure(
            svg: { svg(profiles, tensorThreshold: tensorThreshold) },
            caption: ["Neurons are aligned on their input profiles; T measures whether the same alignment also aligns their output profiles. Grey band: where T falls for unrelated neurons (random re-pairings, mean ± 3σ); red dot: significant at the per-test threshold."],
            summary: nil)
    }

    /// The plot (drawn only when HTML is rendered).
    static func svg(_ profiles: [ProfileMatch], tensorThreshold: Double) -> String {
        let rowHeight = 26.0, left = 124.0, right = 150.0, top = 40.0
        let width = 680.0, plotWidth = width - left - right
        let height = top + Double(profiles.count) * rowHeight + 62
        let lows = profiles.map { $0.nullMean - 3 * $0.nullStd } + profiles.map(\.crossCheck)
        let highs = profiles.map { $0.nullMean + 3 * $0.nullStd } + profiles.map(\.crossCheck)
        // T lives in about [0, 1]; extend by tenths only as far as the data needs.
        let low = (min(0, lows.filter(\.isFinite).min() ?? 0) * 10).rounded(.down) / 10
        let high = (max(1, highs.filter(\.isFinite).max() ?? 1) * 10).rounded(.up) / 10
        let ticks = stride(from: (low / 0.25).rounded(.up) * 0.25, through: high + 1e-9, by: 0.25).map { $0 }
        let range = (low: low, high: high, ticks: ticks)
        func x(_ value: Double) -> Double {
            left + (min(range.high, max(range.low, value)) - range.low) / (range.high - range.low) * plotWidth
        }
        let logThreshold = log10(tensorThreshold)

        var svg = SVGBuilder(width: width, height: height, label: "Neuron-profile cross-check statistic T against its null distribution")
        svg.text("Cross-check T vs its null (unrelated neurons: mean ± 3σ)", x: 4, y: 16, size: 13, bold: true)
        let plotBottom = top + Double(profiles.count) * rowHeight
        for tick in range.ticks {
            svg.line(x1: x(tick), y1: top - 6, x2: x(tick), y2: plotBottom, stroke: "#e5e7eb")
            svg.text(ReportNumbers.tick(tick), x: x(tick), y: plotBottom + 14, size: 10, anchor: .middle, fill: "#57606a")
        }
        svg.text("T (≈1 same neurons, ≈0 unrelated)", x: left + plotWidth / 2, y: plotBottom + 29, size: 11, anchor: .middle, fill: "#57606a")

        for (index, profile) in profiles.enumerated() {
            let center = top + (Double(index) + 0.5) * rowHeight
            svg.text("\(profile.kind) \(profile.suspectLayer) → \(profile.referenceLayer)", x: left - 8, y: center + 4, size: 11, anchor: .end)
            let bandLow = profile.nullMean - 3 * profile.nullStd, bandHigh = profile.nullMean + 3 * profile.nullStd
            svg.rect(x: x(bandLow), y: center - 6, width: max(1.5, x(bandHigh) - x(bandLow)), height: 12, fill: "#9ca3af", opacity: 0.45,
                     tooltip: "null: \(ReportNumbers.fixed(profile.nullMean, digits: 4)) ± 3 × \(ReportNumbers.fixed(profile.nullStd, digits: 4))")
            svg.line(x1: x(profile.nullMean), y1: center - 7, x2: x(profile.nullMean), y2: center + 7, stroke: "#57606a", width: 1.5)
            let significant = profile.log10P < logThreshold
            svg.circle(x: x(profile.crossCheck), y: center, radius: 5, fill: significant ? "#b42318" : "#ffffff", stroke: significant ? nil : "#57606a",
                       tooltip: "T = \(ReportNumbers.fixed(profile.crossCheck, digits: 4)), z = \(ReportNumbers.fixed(profile.z, digits: 1)), p = \(ReportNumbers.pValue(log10: profile.log10P))")
            svg.text("T \(ReportNumbers.fixed(profile.crossCheck, digits: 3)) · p \(ReportNumbers.pValue(log10: profile.log10P))",
                     x: left + plotWidth + 10, y: center + 4, size: 11, fill: "#57606a")
        }

        // Legend.
        let legendY = height - 8
        svg.rect(x: 4, y: legendY - 9, width: 18, height: 10, fill: "#9ca3af", opacity: 0.45)
        svg.text("null band", x: 26, y: legendY, size: 11)
        svg.circle(x: 106, y: legendY - 4, radius: 5, fill: "#b42318")
        svg.text("T, significant", x: 115, y: legendY, size: 11)
        svg.circle(x: 212, y: legendY - 4, radius: 5, fill: "#ffffff", stroke: "#57606a")
        svg.text("T, not significant", x: 221, y: legendY, size: 11)

        return svg.markup
    }
}
