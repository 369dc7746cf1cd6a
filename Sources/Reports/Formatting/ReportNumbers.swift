import Foundation
import Matching

/// How numbers read in reports. Deterministic (POSIX formatting, no locale).
enum ReportNumbers {
    /// A p-value given as log₁₀: "0.03", "2.1e-12", "1e-2174".
    static func pValue(log10 value: Double) -> String {
        if value.isNaN { return "n/a" }
        if value == -.infinity { return "0 (below any representable value)" }
        let text = LogProbability.format(value * log(10.0))
        return text.hasPrefix("1.0e") ? "1e" + text.dropFirst(4) : text
    }

    static func log10(_ value: Double) -> Double {
        Foundation.log10(value)
    }

    /// A p-value threshold given as a probability.
    static func threshold(_ probability: Double) -> String {
        probability > 0 ? pValue(log10: Foundation.log10(probability)) : String(probability)
    }

    /// An estimated cosine: four decimals, six when it is within 10⁻⁴ of ±1 (copies).
    static func cosine(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "n/a" }
        if abs(value) > 0.9999, abs(value) < 1 { return String(format: "%.6f", value) }
        return String(format: "%.4f", value)
    }

    static func fixed(_ value: Double?, digits: Int) -> String {
        guard let value, value.isFinite else { return "n/a" }
        let text = String(format: "%.\(digits)f", value)
        // "-0.00" reads as a sign where there is none.
        return text.hasPrefix("-") && text.dropFirst().allSatisfy({ $0 == "0" || $0 == "." }) ? String(text.dropFirst()) : text
    }

    static func percent(_ fraction: Double) -> String {
        guard fraction.isFinite else { return "n/a" }
        let value = fraction * 100
        if value == value.rounded() { return String(format: "%.0f%%", value) }
        // Never round a partial match up to "100%".
        if value > 99.9, value < 100 { return String(format: "%.2f%%", (value * 100).rounded(.down) / 100) }
        return String(format: "%.1f%%", value)
    }

    /// 1234567 → "1,234,567".
    static func count<T: BinaryInteger>(_ value: T) -> String {
        let digits = String(value.magnitude)
        var result = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { result.append(",") }
            result.append(digit)
        }
        return value < 0 ? "-" + result : result
    }

    /// Parameter counts with a short form: "1,234,567 (1.2 M)".
    static func parameters(_ value: Int) -> String {
        let magnitude = Double(value)
        let short: String? = switch magnitude {
        case 1e9...: String(format: "%.2f B", magnitude / 1e9)
        case 1e6...: String(format: "%.1f M", magnitude / 1e6)
        case 1e4...: String(format: "%.1f k", magnitude / 1e3)
        default: nil
        }
        return count(value) + (short.map { " (\($0))" } ?? "")
    }

    /// File sizes in decimal units: "512 B", "14.2 MB".
    static func bytes(_ value: UInt64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB", "PB"]
        var size = Double(value)
        var unit = 0
        while size >= 1000, unit < units.count - 1 { size /= 1000; unit += 1 }
        return unit == 0 ? "\(value) B" : String(format: size >= 100 ? "%.0f %@" : "%.1f %@", size, units[unit])
    }

    /// "0–3, 5, 7–9" from layer indices.
    static func ranges(_ values: [Int]) -> String {
        let sorted = Array(Set(values)).sorted()
        var parts: [String] = []
        var index = 0
        while index < sorted.count {
            var end = index
            while end + 1 < sorted.count, sorted[end + 1] == sorted[end] + 1 { end += 1 }
            parts.append(end == index ? "\(sorted[index])" : "\(sorted[index])–\(sorted[end])")
            index = end + 1
        }
        return parts.joined(separator: ", ")
    }

    /// Short numbers for plot ticks.
    static func tick(_ value: Double) -> String {
        if value == 0 { return "0" }
        let magnitude = abs(value)
        if magnitude >= 1000 || magnitude < 0.001 { return String(format: "%.1e", value) }
        var text = String(format: magnitude >= 10 ? "%.1f" : magnitude >= 1 ? "%.2f" : "%.3g", value)
        if text.contains("."), !text.contains("e") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text
    }
}
