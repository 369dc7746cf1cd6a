import ArgumentParser
import Checkpoints
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
            With --deep (both arguments checkpoints), every matched pair of weight matrices is \
            also compared element by element: exact cosines, scale, relative difference and the \
            fraction of identical values; matrices whose rows or columns were renumbered or \
            removed (permuted or width-pruned copies) are lined up first by recovering each \
            row's and column's original from the weights; a rotated residual stream is lined \
            up through a change of basis fitted to the token embeddings. What the weights show settles the \
            verdict where the fingerprints could not (layers no evidence reached, whether the \
            weights were changed); the p-value stays the fingerprints'. \
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

    @Flag(name: .long, help: "Also compare the matched weight matrices element by element (both must be checkpoints).")
    var deep = false

    @OptionGroup var fingerprinting: FingerprintingOptions

    func validate() throws {
        guard threshold > 0, threshold < 1 else { throw ValidationError("--threshold must be between 0 and 1.") }
    }

    func run() throws {
        let reportFormat = try report.map(ReportOutput.format(for:))
        // --deep reads the weights again: open each checkpoint once, for both passes.
        var readers: (suspect: CheckpointReader, reference: CheckpointReader)?
        if deep {
            for path in [suspect, reference] where Fingerprint.isFingerprintFile(path) {
                throw UsageError("--deep compares the weights themselves, but \(path) is a fingerprint file, not a checkpoint.")
            }
            readers = (try CheckpointReader(path: suspect), try CheckpointReader(path: reference))
        }
        let suspectPrint = try readers.map { try fingerprinting.fingerprint($0.suspect) } ?? fingerprinting.fingerprint(suspect)
        let referencePrint = try readers.map { try fingerprinting.fingerprint($0.reference) } ?? fingerprinting.fingerprint(reference)
        var options = MatchingOptions()
        options.threshold = threshold
        options.command = ReportOutput.commandLine
        let suspectIdentity = ModelIdentity(fingerprint: suspectPrint, label: suspectLabel ?? suspect,
                                            kind: Fingerprint.isFingerprintFile(suspect) ? "fingerprint" : "checkpoint")
        let matchedReference = Matcher.Reference(label: referenceLabel ?? reference, fingerprint: referencePrint,
                                                 kind: Fingerprint.isFingerprintFile(reference) ? "fingerprint" : "checkpoint")
        var result = Matcher.compare(suspectPrint, suspectIdentity: suspectIdentity, with: matchedReference, options: options)
        if let readers {
            // The weights settle what the fingerprints left open (layers no evidence reached,
            // whether the weights changed): the verdict is decided again with them.
            let fullWeights = try FullWeightComparison.compare(
                suspect: readers.suspect, reference: readers.reference, comparison: result,
                suspectFingerprint: suspectPrint, referenceFingerprint: referencePrint)
            result = Matcher.compare(suspectPrint, suspectIdentity: suspectIdentity, with: matchedReference, options: options,
                                     fullWeights: fullWeights)
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
        if result.verdict.isFlagged { throw ExitCode(ExitStatus.flagged) }
    }
}
