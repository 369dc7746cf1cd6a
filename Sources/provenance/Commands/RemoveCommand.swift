import ArgumentParser
import Foundation
import Registry

/// `provenance remove NAME[@VERSION]`.
struct RemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove", abstract: "Remove a release from the registry.",
        discussion: "Without @VERSION the name must have a single registered version. Releases that declared it as a base keep its name.")

    @Argument(help: ArgumentHelp("The release.", valueName: "NAME[@VERSION]"))
    var reference: String

    @OptionGroup var registryOptions: RegistryOptions

    func run() throws {
        let registry = try registryOptions.open()
        let removed = try registry.remove(reference)
        print("removed \(removed.reference) (id \(removed.id), registered \(removed.registeredAt) by \(removed.registeredBy)) from \(registry.path)")
    }
}
