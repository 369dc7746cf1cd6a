import BenchmarkSupport
import Foundation

/// Parses the command line, runs the chosen sections and prints their reports.
enum BenchmarkRunner {
    /// Every section, in the order `provenance-bench` with no arguments runs them.
    static var sections: [RegisteredSection] {
        [
            RegisteredSection(ReaderBenchmark.self),
            RegisteredSection(FingerprintBenchmark.self),
            RegisteredSection(QuantizedFingerprintBenchmark.self),
            RegisteredSection(DeepComparisonBenchmark.self),
        ]
    }

    /// A section type, erased (generic init, so no existential metatypes are needed).
    struct RegisteredSection {
        var name: String
        var summary: String
        var run: (BenchmarkContext) throws -> BenchmarkReport

        init<Section: BenchmarkSection>(_: Section.Type) {
            name = Section.name
            summary = Section.summary
            run = Section.run
        }
    }

    static let usage = """
        usage: provenance-bench [SECTION ...] [--quick] [--repetitions N] [--list]

        Runs the named sections (all when none is named). Several sections run one after
        another, each in its own process, so that each reports its own peak RSS.
        Generated data sets are cached under .bench/ in the working directory.

          --quick          a small data set and one repetition (checks the benchmark works)
          --repetitions N  timed repetitions per measurement, best reported (default 3)
          --list           list the sections
        """

    static func main(arguments: [String]) -> Int32 {
        var names: [String] = []
        var quick = false
        var repetitions = 3
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--help", "-h":
                print(usage)
                return 0
            case "--list":
                for section in sections { print("\(section.name)\t\(section.summary)") }
                return 0
            case "--quick":
                quick = true
            case "--repetitions":
                guard let value = iterator.next().flatMap({ Int($0) }), value > 0 else {
                    return fail("--repetitions needs a positive integer")
                }
                repetitions = value
            default:
                guard !argument.hasPrefix("-") else { return fail("unknown option \(argument)") }
                guard sections.contains(where: { $0.name == argument }) else {
                    return fail("unknown section '\(argument)' (sections: \(sections.map(\.name).joined(separator: ", ")))")
                }
                names.append(argument)
            }
        }
        if quick { repetitions = 1 }
        let chosen = names.isEmpty ? sections : names.compactMap { name in sections.first { $0.name == name } }
        let flags = quick ? ["--quick"] : repetitions == 3 ? [] : ["--repetitions", String(repetitions)]

        if chosen.count > 1 {
            var status: Int32 = 0
            for section in chosen {
                let child = runChild(section: section.name, flags: flags)
                if child != 0 { status = child }
            }
            return status
        }
        let context = BenchmarkContext(
            cacheDirectory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".bench"),
            quick: quick, repetitions: repetitions)
        return run(chosen[0], context: context, flags: flags)
    }

    private static func run(_ section: RegisteredSection, context: BenchmarkContext, flags: [String]) -> Int32 {
        do {
            var report = try section.run(context)
            let peak = ResourceUsage.peakResidentBytes
            if let limit = report.peakResidentLimit {
                report.targets.append(.init(
                    description: "peak RSS < \(Measurement.binaryBytes(limit))",
                    measured: Measurement.binaryBytes(peak), met: peak < limit))
            }
            print(render(report, section: section.name, peak: peak, flags: flags))
            return 0
        } catch {
            FileHandle.standardError.write(Data("error: \(section.name): \(error)\n".utf8))
            return 2
        }
    }

    private static func render(_ report: BenchmarkReport, section: String, peak: UInt64, flags: [String]) -> String {
        var lines = ["== provenance-bench \(section): \(report.title) =="]
        lines += report.setup
        lines.append("")
        lines.append(report.table.text)
        lines.append("")
        lines.append("peak RSS (getrusage ru_maxrss): \(Measurement.binaryBytes(peak))")
        for target in report.targets {
            lines.append("target  \(target.description): \(target.measured)  \(target.met ? "MET" : "NOT MET")")
        }
        lines.append("command: provenance-bench \(([section] + flags).joined(separator: " "))   (make bench BENCH=\(section))")
        return lines.joined(separator: "\n")
    }

    /// Runs one section in a child process of this same executable.
    private static func runChild(section: String, flags: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        if !CommandLine.arguments[0].contains("/") {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [CommandLine.arguments[0], section] + flags
        } else {
            process.arguments = [section] + flags
        }
        do {
            try process.run()
        } catch {
            FileHandle.standardError.write(Data("error: could not start section \(section): \(error)\n".utf8))
            return 2
        }
        process.waitUntilExit()
        print("")
        return process.terminationStatus
    }

    private static func fail(_ message: String) -> Int32 {
        FileHandle.standardError.write(Data("error: \(message)\n\n\(usage)\n".utf8))
        return 2
    }
}
