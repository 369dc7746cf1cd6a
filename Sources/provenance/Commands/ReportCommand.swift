import ArgumentParser
import Fingerprinting
import Foundation
import Matching
import Registry
import Reports

/// `provenance report SUSPECT --against NAME`: the full evidence report against one release.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write the full similarity report of a checkpoint against a registered release.",
        discussion: """
            The report states the verdict and its confidence, both models' identities and digests, \
            exact matches, the layer-by-layer evidence with p-values, heatmaps, supporting statistic \
            curves, the alignment found, the method and the command to reproduce it. \
            Without -o, Markdown goes to standard output.
            """)

    @Argument(help: "The suspect checkpoint or fingerprint file.")
    var suspect: String

    @Option(name: .long, help: ArgumentHelp("The registered release to compare with.", valueName: "NAME[@VERSION]"))
    var against: String

    @Option(name: .shortAndLong, help: "Where to write the report: FILE.md, FILE.html or FILE.json.")
    var output: String?

    @Option(name: .long, help: "Flag a relation when the combined p-value is below this.")
    var threshold = 1e-6

    @Option(name: .long, help: "Label for the suspect in the report (default: its path).")
    var label: String?

    @OptionGroup var registryOptions: RegistryOptions
    @OptionGroup var fingerprinting: FingerprintingOptions

    func run() throws {
        let format = try output.map(ReportOutput.format(for:)) ?? .markdown
        let registry = try registryOptions.open()
        let release = try registry.release(named: against)
        let referencePrint = try registry.fingerprint(of: release)
        let suspectPrint = try fingerprinting.fingerprint(suspect)
        var options = MatchingOptions()
        options.threshold = threshold
        options.command = ReportOutput.commandLine
        let identity = ModelIdentity(fingerprint: suspectPrint, label: label ?? suspect,
                                     kind: Fingerprint.isFingerprintFile(suspect) ? "fingerprint" : "checkpoint")
        let result = Matcher.compare(
            suspectPrint, suspectIdentity: identity,
            with: .init(identity: RegistryMatching.identity(release, fingerprint: referencePrint), fingerprint: referencePrint),
            options: options)
        let text = try ReportRenderer.render(result, as: format)
        if let output {
            try ReportOutput.write(text, to: output)
            CommandOutput.printNote("\(result.verdict.kind.rawValue): \(result.verdict.sentence)\nreport written to \(output)")
        } else {
            print(text)
        }
    }
}
