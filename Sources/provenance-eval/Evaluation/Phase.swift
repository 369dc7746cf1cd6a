import Foundation

/// One timed step of `make eval`: wall time and the peak resident memory of its process tree.
struct Phase: Sendable {
    var name: String
    var seconds: Double
    /// Peak RSS in bytes (0 when unknown).
    var peakBytes: UInt64

    /// Reads the phases recorded by eval/measure.py: `name<TAB>seconds<TAB>peak_bytes` per line.
    static func read(_ path: String) -> [Phase] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 3, let seconds = Double(fields[1]), let bytes = UInt64(fields[2]) else { return nil }
            return Phase(name: String(fields[0]), seconds: seconds, peakBytes: bytes)
        }
    }
}
