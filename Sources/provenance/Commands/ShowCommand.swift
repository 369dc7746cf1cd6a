import ArgumentParser
import Foundation
import Registry

/// `provenance show NAME[@VERSION]`: one registered release.
struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show a registered release.",
        discussion: "Without @VERSION, the latest registered version is shown (and the others are named).")

    @Argument(help: ArgumentHelp("The release.", valueName: "NAME[@VERSION]"))
    var reference: String

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    @OptionGroup var registryOptions: RegistryOptions

    func run() throws {
        let registry = try registryOptions.open()
        let release = try registry.release(named: reference)
        if json {
            print(try CommandOutput.json(release))
        } else {
            print(ReleaseText.details(release, registryPath: registry.path))
        }
        if !reference.contains("@") {
            let others = try registry.releases(named: release.name).filter { $0.id != release.id }
            if !others.isEmpty {
                CommandOutput.printNote("note: \(release.name) has other versions (\(others.map { $0.version ?? "(none)" }.joined(separator: ", "))); showing the latest registered")
            }
        }
    }
}
