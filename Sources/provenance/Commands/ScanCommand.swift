import ArgumentParser
import Fingerprinting
import Foundation
import Matching
import Registry
import Reports

/// `provenance scan PATH`: is this checkpoint a copy or derivative of a registered release?
struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Fingerprint a checkpoint and match it against the registry; print a verdict with evidence.",
        discussion: """
            Candidates come from indexed look-ups (exact tensor digests, LSH keys); each is compared \
            in full, then related candidates are told apart (nearest ancestor, merges, grafts). \
            Exit status: 0 nothing found, 1 flagged (a copy or derivative of a registered release), 2 error.
            """)

    @Argument(help: "The checkpoint (file, directory, shard index, Hugging Face cache entry, GGUF, PyTorch) or a fingerprint file.")
    var path: String

    @OptionGroup var registryOptions: RegistryOptions

    @Flag(name: .long, help: "Print the JSON report to standard output instead of the summary.")
    var json = false

    @Option(name: .long, help: "Write a full report: FILE.md, FILE.html or FILE.json.")
    var report: String?

    @Option(name: .long, help: "Flag the checkpoint when a combined p-value is below this.")
    var threshold = 1e-6

    @Option(name: .long, help: "Most candidates compared in full.")
    var limit = 20

    @Flag(name: .long, help: "Compare with every registered release (skip candidate look-up).")
    var all = false

    @Option(name: .long, help: "Label for the checkpoint in reports (default: its path).")
    var label: String?

    @OptionGroup var fingerprinting: FingerprintingOptions

    func validate() throws {
        guard threshold > 0, threshold < 1 else { throw ValidationError("--threshold must be between 0 and 1.") }
        guard limit > 0 else { throw ValidationError("--limit must be positive.") }
    }

    func run() throws {
        let reportFormat = try report.map(ReportOutput.format(for:))
        let registry = try registryOptions.open()
        let suspect = try fingerprinting.fingerprint(path)
        let references = try RegistryMatching.references(for: suspect, in: registry, limit: limit, everything: all)
        var options = MatchingOptions()
        options.threshold = threshold
        options.command = ReportOutput.commandLine
        let identity = ModelIdentity(fingerprint: suspect, label: label ?? path,
                                     kind: Fingerprint.isFingerprintFile(path) ? "fingerprint" : "checkpoint")
        var result = Matcher.scan(suspect, suspectIdentity: identity, against: references, options: options)
        if !all {
            // A second look-up with what the nearest candidate leaves unexplained (merge donors).
            let donors = try RegistryMatching.residualReferences(for: suspect, after: result, known: references, in: registry, limit: limit)
            if !donors.isEmpty {
                result = Matcher.scan(suspect, suspectIdentity: identity, against: references + donors, options: options)
            }
        }
        if let report, let reportFormat {
            try ReportOutput.write(try ReportRenderer.render(result, as: reportFormat), to: report)
        }
        if json {
            print(try ReportRenderer.json(result))
        } else {
            print(TerminalSummary.render(result))
            if let report { print("\nReport written to \(report)") }
        }
        if result.flagged { throw ExitCode(ExitStatus.flagged) }
    }
}
