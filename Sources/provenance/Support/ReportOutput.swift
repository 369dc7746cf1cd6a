import Foundation
import Matching
import Reports


/// Writes reports and reconstructs the reproducing command line.
enum ReportOutput {
    /// The command line as typed, shell-quoted, for the report's "reproduce" section.
    static var commandLine: String {
        (["provenance"] + CommandLine.arguments.dropFirst()).map(shellQuote).joined(separator: " ")
    }

    static func shellQuote(_ word: String) -> String {
        let safe = word.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "-_./=:@,+%".unicodeScalars.contains($0) }
        return safe && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// Writes `text` atomically to `path`.
    static func write(_ text: String, to path: String) throws {
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw UsageError("could not write the report to \(path): \(error.localizedDescription)")
        }
    }

    /// The report format for a path, or a usage error naming the accepted extensions.
    static func format(for path: String) throws -> ReportFormat {
        guard let format = ReportFormat(fileExtension: (path as NSString).pathExtension) else {
            throw UsageError("\(path) has no report extension; use .md, .html or .json.")
        }
        return format
    }
}
