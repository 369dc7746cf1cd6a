import ArgumentParser
import Foundation
import Registry

/// `provenance log verify`.
struct LogVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Recompute the log and check it against every signed tree head and the registered releases.",
        discussion: "Exit status 0 when the log is intact, 1 when anything was edited, reordered, inserted or deleted (each problem is named), 2 on error.")

    @OptionGroup var registryOptions: RegistryOptions

    func run() throws {
        let registry = try registryOptions.open()
        let audit = try registry.auditLog()
        if audit.isIntact {
            print("log intact: \(audit.entryCount) entries, \(audit.headCount) signed tree heads, every head's signature and root verified, and the entries replay to the \(try registry.count()) registered releases")
            if let head = audit.latestHead, let key = audit.publicKey { print(LogText.head(head, key: key)) }
            return
        }
        for problem in audit.problems { CommandOutput.printError(problem.message) }
        CommandOutput.printError("the log of \(registry.path) FAILED verification: \(audit.problems.count) problem\(audit.problems.count == 1 ? "" : "s") (\(audit.entryCount) entries, \(audit.headCount) signed tree heads).")
        throw ExitCode(ExitStatus.failed)
    }
}
