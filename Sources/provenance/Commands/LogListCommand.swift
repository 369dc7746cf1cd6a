import ArgumentParser
import Foundation
import Registry

/// `provenance log [list] [--json]`.
struct LogListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the log's entries and its latest signed tree head.")

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    @OptionGroup var registryOptions: RegistryOptions

    func run() throws {
        let registry = try registryOptions.open()
        let snapshot = try registry.log()
        if json {
            print(try CommandOutput.json(LogJSON.Listing(snapshot)))
            return
        }
        let rows = snapshot.entries.map { logged in
            let entry = logged.entry
            return [String(entry.sequenceNumber), LogJSON.time(entry.timestamp), entry.kind.description, LogJSON.label(entry),
                    String(entry.fingerprintRoot.hex.prefix(16)) + "…", entry.signerKeyID.map { String($0.hex.prefix(16)) + "…" } ?? "unsigned"]
        }
        print(CommandOutput.table(["seq", "recorded", "change", "release", "canonical root", "signed by"], rows))
        if let head = snapshot.head, let key = snapshot.publicKey {
            print("")
            print(LogText.head(head, key: key))
        } else {
            print("(the log is empty)")
        }
    }
}
