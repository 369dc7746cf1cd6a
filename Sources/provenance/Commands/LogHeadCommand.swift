import ArgumentParser
import Foundation
import Registry

/// `provenance log head`: the latest signed tree head, to keep for `log consistency`.
struct LogHeadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "head", abstract: "Print the latest signed tree head (hex), to keep for `log consistency`.")

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    @OptionGroup var registryOptions: RegistryOptions

    func run() throws {
        let snapshot = try registryOptions.open().log()
        guard let head = snapshot.head, let key = snapshot.publicKey else {
            throw UsageError("the log is empty: nothing has been registered since the log started.")
        }
        if json {
            print(try CommandOutput.json(LogJSON.Head(head, key: key)))
        } else {
            print(LogText.head(head, key: key))
        }
    }
}
