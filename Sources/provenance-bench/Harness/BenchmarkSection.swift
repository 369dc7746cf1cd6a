import Foundation

/// One benchmark section (`provenance-bench NAME`): prepares its data, measures, prints a table.
protocol BenchmarkSection {
    /// The name used on the command line, e.g. `reader`.
    static var name: String { get }
    /// One line for `--list`.
    static var summary: String { get }
    /// Runs the section and returns its report; the runner prints it with the peak RSS.
    static func run(_ context: BenchmarkContext) throws -> BenchmarkReport
}

/// What every section gets from the runner.
struct BenchmarkContext {
    /// Cache for generated data sets (`.bench/` under the working directory), reused between runs.
    var cacheDirectory: URL
    /// A much smaller data set and fewer repetitions, to check that the section works.
    var quick: Bool
    /// Timed repetitions per measurement; the best is reported.
    var repetitions: Int

    /// `.bench/NAME/`, created if missing.
    func directory(for section: String) throws -> URL {
        let url = cacheDirectory.appendingPathComponent(section + (quick ? "-quick" : ""), isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Progress notes go to standard error, so standard output holds only the report.
    func note(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}

/// A section's results: a table of measurements and pass/fail lines for its targets.
struct BenchmarkReport {
    var title: String
    /// Lines describing the data set and machine, printed above the table.
    var setup: [String] = []
    var table = ResultTable(columns: [])
    var targets: [Target] = []
    /// When set, the runner adds a target "peak RSS < limit" measured after the section ran.
    var peakResidentLimit: UInt64?

    /// A goal the section checks, e.g. "reader ≥ 3× SHA-256".
    struct Target {
        var description: String
        var measured: String
        var met: Bool
    }
}
