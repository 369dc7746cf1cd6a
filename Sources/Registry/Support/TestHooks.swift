import Foundation

/// Test-only hooks, driven by environment variables so that tests can exercise a real
/// `provenance` child process. They do nothing unless the variable is set.
enum TestHooks {
    /// `PROVENANCE_TEST_PAUSE_BEFORE_COMMIT=FILE`: a process registering or importing creates
    /// FILE once all rows are written inside the open transaction, then sleeps for a minute
    /// before committing, so a test can kill it mid-transaction (the atomicity test).
    static let pauseVariable = "PROVENANCE_TEST_PAUSE_BEFORE_COMMIT"

    static func pauseBeforeCommitIfRequested() {
        guard let marker = ProcessInfo.processInfo.environment[pauseVariable], !marker.isEmpty else { return }
        _ = FileManager.default.createFile(atPath: marker, contents: Data("\(ProcessInfo.processInfo.processIdentifier)\n".utf8))
        Thread.sleep(forTimeInterval: 60)
    }
}
