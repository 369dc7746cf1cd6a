import ArgumentParser
import Foundation
import Registry
import TransparencyLog

/// `provenance log consistency OLD_HEAD`.
struct LogConsistencyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consistency", abstract: "Prove the log only grew since an earlier signed tree head.",
        discussion: "OLD_HEAD is a signed tree head printed earlier by `provenance log head` (hex or base64), or a file holding it. Exit status 1 when the log was rewritten or truncated since.")

    @Argument(help: ArgumentHelp("The earlier signed tree head.", valueName: "OLD_HEAD"))
    var oldHead: String

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    @OptionGroup var registryOptions: RegistryOptions

    func run() throws {
        let head = try KeyArguments.treeHead(oldHead)
        let result: LogConsistency
        do {
            result = try registryOptions.open().consistencyProof(from: head)
        } catch RegistryError.logCorrupt(let reason) {
            // The stored log no longer reproduces its own latest head: nothing can be proved.
            CommandOutput.printError("the log did NOT only grow since the head of size \(head.treeHead.size): it is inconsistent (\(reason)).")
            throw ExitCode(ExitStatus.failed)
        }
        if json {
            print(try CommandOutput.json(LogJSON.Consistency(result)))
        } else {
            print(LogText.consistency(result))
        }
        if let problem = result.problem {
            CommandOutput.printError("the log did NOT only grow since the head of size \(head.treeHead.size): \(problem).")
            throw ExitCode(ExitStatus.failed)
        }
    }
}
