import Foundation
import Testing

/// Golden files under Tests/ReportsTests/Golden/. Set `PROVENANCE_UPDATE_GOLDEN=1` to
/// (re)write them from the current output, then review the diff before committing.
enum Golden {
    static let updateVariable = "PROVENANCE_UPDATE_GOLDEN"

    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Golden")
    }

    static func check(_ actual: String, file name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = directory.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment[updateVariable] == "1" {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(actual.utf8).write(to: url, options: .atomic)
        }
        guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
            Issue.record("Golden file \(name) is missing: run with \(updateVariable)=1 to create it.", sourceLocation: sourceLocation)
            return
        }
        if expected != actual {
            let expectedLines = expected.components(separatedBy: "\n"), actualLines = actual.components(separatedBy: "\n")
            let first = zip(expectedLines, actualLines).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(expectedLines.count, actualLines.count)
            let expectedLine = first < expectedLines.count ? expectedLines[first] : "<end of file>"
            let actualLine = first < actualLines.count ? actualLines[first] : "<end of file>"
            Issue.record("""
                \(name) differs from the golden file at line \(first + 1) (rerun with \(updateVariable)=1 if the change is intended):
                expected: \(expectedLine)
                actual:   \(actualLine)
                """, sourceLocation: sourceLocation)
        }
    }

    /// Where a repository file lives (for docs checks).
    static func repositoryFile(_ path: String) -> URL {
        directory.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(path)
    }
}
