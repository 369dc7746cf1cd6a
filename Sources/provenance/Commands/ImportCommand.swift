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
            metadata; for a signed file its statement, signature and public key) before anything \
            is written, and all files are imported in one transaction: a bad file or a \
            conflicting entry imports nothing. Unsigned files are imported as unsigned.
            """)

    @Argument(help: ArgumentHelp("Fingerprint files or directories.", valueName: "FILE|DIR"))
    var paths: [String]

    @Flag(name: .long, help: "Replace entries with the same name and version but different content.")
    var replace = false

    @Option(name: .long, help: ArgumentHelp(
        "Require every file to be signed by this key (a 64-hex key id or a PEM key file).", valueName: "key"))
    var signer: String?

    @OptionGroup var registryOptions: RegistryOptions

    func run() throws {
        let expectedSigner = try signer.map(KeyArguments.keyID)
        let registry = try registryOptions.open()
        let result = try registry.import(paths: paths, replace: replace, expectedSigner: expectedSigner)
        for entry in result.entries {
            let outcome: String
            switch entry.outcome {
            case .imported: outcome = "imported"
            case .replaced: outcome = "replaced"
            case .unchanged: outcome = "unchanged"
            }
            let signed = entry.release.signature.map { "signed by key \($0.signerKeyID.hex.prefix(16))…, signature verified" } ?? "unsigned"
            print("\(outcome) \(entry.release.reference) (id \(entry.release.id), \(signed)) from \(entry.file)")
            for finding in entry.findings { print("finding (\(entry.release.reference)): \(finding.description)") }
        }
        print("\(result.changedCount) of \(result.entries.count) file\(result.entries.count == 1 ? "" : "s") changed \(registry.path)")
    }
}
