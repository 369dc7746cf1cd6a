import Foundation

/// Command-line options of `provenance-eval`.
struct EvaluationOptions {
    /// Directory written by eval/train_minilm.py (base link, release, sibling, …, lineage.json).
    var lineage = ".eval/lineage"
    /// The real base checkpoint (all-MiniLM-L6-v2).
    var base = ".cache/models/all-MiniLM-L6-v2"
    /// Cache directory for suspects and null-model scratch files.
    var work = ".eval"
    /// Where to write the Markdown report (nil: do not write).
    var markdown: String?
    /// A document whose generated section (between `EvaluationReport.beginMarker` and
    /// `endMarker`) is replaced by the report.
    var doc: String?
    /// Generated independent pairs per architecture for the null calibration.
    var nullPairs = 200
    /// Phase timings recorded by the Makefile (`eval/measure.py`), included in the report.
    var phases: String?
    /// The command recorded in the report.
    var command = "make eval"

    static let usage = """
        usage: provenance-eval [--lineage DIR] [--base DIR] [--work DIR] [--markdown PATH] [--doc PATH]
                               [--null-pairs N] [--phases FILE] [--command TEXT]
        """

    /// Parses `arguments`; throws a message for bad input.
    static func parse(_ arguments: [String]) throws(UsageMessage) -> EvaluationOptions {
        var options = EvaluationOptions()
        var index = 0
        func value(_ name: String) throws(UsageMessage) -> String {
            index += 1
            guard index < arguments.count else { throw UsageMessage(text: "\(name) needs a value.\n\(usage)") }
            return arguments[index]
        }
        while index < arguments.count {
            let argument = arguments[index]
            switch argument {
            case "--lineage": options.lineage = try value(argument)
            case "--base": options.base = try value(argument)
            case "--work": options.work = try value(argument)
            case "--markdown": options.markdown = try value(argument)
            case "--doc": options.doc = try value(argument)
            case "--phases": options.phases = try value(argument)
            case "--command": options.command = try value(argument)
            case "--null-pairs":
                let text = try value(argument)
                guard let pairs = Int(text), pairs >= 1 else { throw UsageMessage(text: "--null-pairs must be a positive integer, got '\(text)'.") }
                options.nullPairs = pairs
            case "-h", "--help": throw UsageMessage(text: usage, isHelp: true)
            default: throw UsageMessage(text: "unknown argument '\(argument)'.\n\(usage)")
            }
            index += 1
        }
        return options
    }
}

/// A usage error or the help text.
struct UsageMessage: Error {
    var text: String
    var isHelp = false
}
