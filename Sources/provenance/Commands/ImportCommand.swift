import ArgumentParser
import Foundation
import Registry

/// `provenance import FILE|DIR…`: load exported fingerprint files, all or nothing.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Import exported fingerprint files into the registry.",
        discussion: """
            Directories contribute their *.fingerprint.safetensors files. Every file is checked \
            (format version, root digests recomputed from tensor digests, index keys, release \
            metadata) before anything is written, and all files are imported in one \
            transaction: a bad file or a conflicting entry imports nothing.
            """)

    @Argument(help: ArgumentHelp("Fingerprint files or directories.", valueName: "FILE|DIR"))
    var paths: [String]

    @Flag(name: .long, help: "Replace entries with the same name and version but different content.")
    var replace = false

    @OptionGroup var registryOptions: RegistryOptions

    func run() throws {
        let registry = try registryOptions.open()
        let result = try registry.import(paths: paths, replace: replace)
        for entry in result.entries {
            let outcome: String
            switch entry.outcome {
            case .imported: outcome = "imported"
            case .replaced: outcome = "replaced"
            case .unchanged: outcome = "unchanged"
            }
            print("\(outcome) \(entry.release.reference) (id \(entry.release.id)) from \(entry.file)")
            for finding in entry.findings { print("finding (\(entry.release.reference)): \(finding.description)") }
        }
        print("\(result.changedCount) of \(result.entries.count) file\(result.entries.count == 1 ? "" : "s") changed \(registry.path)")
    }
}
