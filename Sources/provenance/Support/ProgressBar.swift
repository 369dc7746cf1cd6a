import Foundation

/// A one-line progress bar on standard error: bytes done, rate, ETA. Silent when standard
/// error is not a terminal or when disabled.
///
/// `@unchecked Sendable`: mutable state is only touched under `lock`.
final class ProgressBar: @unchecked Sendable {
    private let label: String
    private let enabled: Bool
    private let start = Date()
    private var lastDraw = Date.distantPast
    private let lock = NSLock()

    init(label: String, quiet: Bool) {
        self.label = label
        enabled = !quiet && CommandOutput.standardErrorIsTerminal
    }

    func update(done: UInt64, total: UInt64) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= 0.1 || done >= total else { return }
        lastDraw = now
        let elapsed = max(now.timeIntervalSince(start), 1e-6)
        let rate = Double(done) / elapsed
        let fraction = total > 0 ? Double(done) / Double(total) : 1
        let width = 24
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let remaining = rate > 0 ? Double(total - min(done, total)) / rate : 0
        let line = String(format: "\r%@ %@ %3.0f%%  %@ / %@  %@/s  ETA %@ ", label, bar, fraction * 100,
                          CommandOutput.bytes(done), CommandOutput.bytes(total), CommandOutput.bytes(UInt64(rate)),
                          Self.duration(remaining))
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }

    private static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        return total >= 3600 ? String(format: "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60)
                             : String(format: "%d:%02d", total / 60, total % 60)
    }
}
