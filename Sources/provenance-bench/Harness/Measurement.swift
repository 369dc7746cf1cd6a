import Foundation

/// Timing helpers: best-of-N wall-clock measurements and unit formatting.
enum Measurement {
    /// Wall-clock seconds taken by `body`.
    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        try body()
        let elapsed = clock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }

    /// The shortest of `repetitions` runs: the run least disturbed by other work on the machine.
    static func best(of repetitions: Int, _ body: () throws -> Void) rethrows -> Double {
        var best = Double.infinity
        for _ in 0..<max(1, repetitions) { best = min(best, try seconds(body)) }
        return best
    }

    /// Decimal gigabytes per second, e.g. "5.31".
    static func gigabytesPerSecond(bytes: UInt64, seconds: Double) -> Double {
        Double(bytes) / seconds / 1e9
    }

    /// `value` with `digits` decimals.
    static func fixed(_ value: Double, _ digits: Int = 2) -> String {
        value.isFinite ? String(format: "%.\(digits)f", value) : "-"
    }

    /// "1.23 GiB" / "45.6 MiB".
    static func binaryBytes(_ count: UInt64) -> String {
        let value = Double(count)
        if count >= 1 << 30 { return fixed(value / 1_073_741_824) + " GiB" }
        if count >= 1 << 20 { return fixed(value / 1_048_576, 1) + " MiB" }
        if count >= 1 << 10 { return fixed(value / 1024, 1) + " KiB" }
        return "\(count) B"
    }
}
