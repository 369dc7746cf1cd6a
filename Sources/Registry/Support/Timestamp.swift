import Foundation

/// UTC ISO-8601 timestamps with second precision (`2026-01-31T12:00:00Z`).
enum Timestamp {
    static func now() -> String {
        format(Date())
    }

    static func format(_ date: Date) -> String {
        formatter().string(from: date)
    }

    /// Whether `text` is a timestamp in exactly this form.
    static func isValid(_ text: String) -> Bool {
        guard text.utf8.count == 20, text.hasSuffix("Z"), let date = formatter().date(from: text) else { return false }
        return format(date) == text
    }

    private static func formatter() -> ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter
    }
}
