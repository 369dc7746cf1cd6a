import ArgumentParser
import Foundation
import Registry

/// `provenance export NAME… -o DIR`: portable fingerprint files with release metadata.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write registered releases as portable fingerprint files.",
        discussion: """
            Each release becomes DIR/NAME@VERSION.fingerprint.safetensors: the fingerprint file \
            format (docs/FINGERPRINT_FORMAT.md) with a "release" metadata entry. `provenance \
            import` reads them; a publisher contributes one to Fingerprints/ by pull request.
            """)

    @Argument(help: ArgumentHelp("Releases to export (NAME alone: the latest version).", valueName: "NAME[@VERSION]"))
    var references: [String] = []

    @Flag(name: .long, help: "Export every registered release.")
    var all = false

    @Option(name: .shortAndLong, help: "The directory to write to (created if needed).")
    var output: String

    @OptionGroup var registryOptions: RegistryOptions

    func validate() throws {
        if references.isEmpty != all {
            throw ValidationError(all ? "Give release names or --all, not both." : "Name at least one release, or pass --all.")
        }
    }

    func run() throws {
        let registry = try registryOptions.open()
        let files = all ? try registry.exportAll(to: output) : try registry.export(references, to: output)
        for file in files {
            print("exported \(file.release.reference) to \(file.path) (\(CommandOutput.bytes(UInt64(file.size))))")
        }
    }
}
