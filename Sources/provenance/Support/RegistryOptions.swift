import ArgumentParser
import Foundation
import Registry

/// `--registry PATH`, shared by every command that uses the registry.
struct RegistryOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The registry file.",
        discussion: "Default: $PROVENANCE_REGISTRY, else $XDG_DATA_HOME/provenance/registry.sqlite, else ~/.local/share/provenance/registry.sqlite.",
        valueName: "path"))
    var registry: String?

    var path: String { Registry.defaultPath(explicit: registry) }

    /// Opens (creating and migrating) the registry; a registry that was never seeded and is
    /// empty is first seeded from the bundled `Fingerprints/` directory, which is said on
    /// standard error.
    func open() throws -> Registry {
        let registry = try Registry.open(path: path)
        guard let directory = SeedDirectory.locate() else { return registry }
        do {
            if let seeded = try registry.seedIfEmpty(from: directory) {
                let names = seeded.releases.map(\.reference.description).joined(separator: ", ")
                CommandOutput.printNote("registry \(registry.path) was empty: seeded \(seeded.releases.count) release\(seeded.releases.count == 1 ? "" : "s") from \(directory.hasSuffix("/") ? directory : directory + "/") (\(names))")
            }
        } catch let error as RegistryError {
            CommandOutput.printWarning("the registry was not seeded from \(directory)/: \(error.description)")
        }
        return registry
    }
}
