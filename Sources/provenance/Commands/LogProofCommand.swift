import ArgumentParser
import Foundation
import Registry

/// `provenance log proof NAME[@VERSION]`.
struct LogProofCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proof", abstract: "Print the inclusion proof of the entry that registered a release.",
        discussion: """
            The proof is against the latest signed tree head. Everything needed to check it \
            independently is printed: the entry bytes (leaf = SHA-256(0x00 || entry)), the audit \
            path, the signed tree head and the log's public key (docs/SIGNING_AND_LOG.md has a \
            Python verifier).
            """)

    @Argument(help: ArgumentHelp("The release.", valueName: "NAME[@VERSION]"))
    var reference: String

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    @OptionGroup var registryOptions: RegistryOptions

    func run() throws {
        let inclusion = try registryOptions.open().inclusionProof(for: reference)
        if json {
            print(try CommandOutput.json(LogJSON.Inclusion(inclusion)))
        } else {
            print(LogText.inclusion(inclusion))
        }
    }
}
