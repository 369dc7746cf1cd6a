import ArgumentParser
import Fingerprinting
import Foundation
import Matching
import Reports

/// `provenance compare A B`: two checkpoints (or fingerprint files), no registry.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare two checkpoints or fingerprint files directly and explain how they are related.",
        discussion: """
            SUSPECT is compared with REFERENCE: exact digests, name-free alignment of every weight \
            matrix by sketch, permutation-robust neuron profiles, one combined p-value. \
            Exit status: 0 unrelated, 1 related (any verdict but independent), 2 error.
            """)

    @Argument(help: "The suspect checkpoint or fingerprint file.")
    var suspect: String

    @Argument(help: "The reference checkpoint or fingerprint file.")
    var reference: String

    @Option(name: .long, help: "Write a full report: FILE.md, FILE.html or FILE.json.")
    var report: String?

    @Flag(name: .long, help: "Print the JSON report to standard output instead of the summary.")
    var json = false

    @Option(name: .long, help: "Flag a relation when the combined p-value is below this.")
    var threshold = 1e-6

    @Option(name: .long, help: "Label for the suspect in reports (default: its path).")
    var suspectLabel: String?

    @Option(name: .long, help: "Label for the reference in reports (default: its path).")
    var referenceLabel: String?

    @OptionGroup var fingerprinting: FingerprintingOptions

    func validate() throws {
        guard threshold > 0, threshold < 1 else { throw ValidationError("--threshold must be between 0 and 1.") }
    }

    func run() throws {
        let reportFormat = try report.map(ReportOutput.format(for:))
        let suspectPrint = try fingerprinting.fingerprint(suspect)
        let referencePrint = try fingerprinting.fingerprint(reference)
        var options = MatchingOptions()
        options.threshold = threshold
        options.command = ReportOutput.commandLine
        let suspectIdentity = ModelIdentity(fingerprint: suspectPrint, label: suspectLabel ?? suspect,
                                            kind: Fingerprint.isFingerprintFile(suspect) ? "fingerprint" : "checkpoint")
        let result = Matcher.compare(
            suspectPrint, suspectIdentity: suspectIdentity,
            with: .init(label: referenceLabel ?? reference, fingerprint: referencePrint,
                        kind: Fingerprint.isFingerprintFile(reference) ? "fingerprint" : "checkpoint"),
            options: options)
        if let report, let reportFormat {
            try ReportOutput.write(try ReportRenderer.render(result, as: reportFormat), to: report)
        }
        if json {
            print(try ReportRenderer.json(result))
        } else {
            print(TerminalSummary.render(result))
            if let report { print("\nReport written to \(report)") }
        }
        if result.verdict.isFlagged { throw ExitCode(ExitStatus.flagged) }
    }
}
