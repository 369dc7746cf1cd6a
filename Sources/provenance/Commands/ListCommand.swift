import ArgumentParser
import Foundation
import Registry

/// `provenance list`: the registered releases.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the registered releases.")

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    @OptionGroup var registryOptions: RegistryOptions

    func run() throws {
        let registry = try registryOptions.open()
        let releases = try registry.list()
        if json {
            print(try CommandOutput.json(releases))
            return
        }
        guard !releases.isEmpty else {
            print("the registry \(registry.path) holds no releases")
            return
        }
        let rows = releases.map { release in
            [release.name, release.version ?? "-", release.metadata.org ?? "-", release.metadata.license ?? "-",
             release.metadata.released ?? "-", CommandOutput.grouped(release.parameterCount),
             ReleaseText.architecture(release.architecture), release.registeredAt]
        }
        print(CommandOutput.table(["NAME", "VERSION", "ORG", "LICENSE", "RELEASED", "PARAMETERS", "ARCHITECTURE", "REGISTERED"],
                                  rows, rightAligned: [5]))
        print("\(releases.count) release\(releases.count == 1 ? "" : "s") in \(registry.path)")
    }
}
