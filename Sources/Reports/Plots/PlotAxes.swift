import Foundation

/// Tick choices shared by the plots.
enum PlotAxes {
    /// A step (1, 2, 5, 10, 20, 50…) so that labels `spacing` pixels apart are at least `minimum` apart.
    static func integerStep(spacing: Double, minimum: Double) -> Int {
        guard spacing > 0 else { return 1 }
        let needed = max(1, Int((minimum / spacing).rounded(.up)))
        var magnitude = 1
        while true {
            for factor in [1, 2, 5] where factor * magnitude >= needed { return factor * magnitude }
            magnitude *= 10
        }
    }

    /// A rounded range covering `low…high` and 3–6 tick values in it.
    static func niceRange(_ low: Double, _ high: Double) -> (low: Double, high: Double, ticks: [Double]) {
        guard low.isFinite, high.isFinite else { return (0, 1, [0, 0.5, 1]) }
        var (a, b) = (low, high)
        if a == b {
            let pad = a == 0 ? 1 : abs(a) * 0.1
            a -= pad
            b += pad
        }
        let rawStep = (b - a) / 4
        let magnitude = pow(10, floor(log10(rawStep)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= rawStep } ?? 10 * magnitude
        let start = floor(a / step) * step, end = ceil(b / step) * step
        var ticks: [Double] = []
        var value = start
        while value <= end + step * 0.001 {
            ticks.append(abs(value) < step * 1e-9 ? 0 : value)
            value += step
        }
        return (start, end, ticks)
    }
}
