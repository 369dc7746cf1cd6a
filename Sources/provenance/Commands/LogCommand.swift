import ArgumentParser
import Foundation
import Registry
import TransparencyLog

/// `provenance log …`: the registry's append-only, signed Merkle log.
struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log", abstract: "The registry's append-only log of changes (signed Merkle tree).",
        discussion: """
            Every change to the registry (register, replace, remove, import) is appended to a \
            Merkle log (RFC 9162 hashing) in the same transaction, and the registry's key signs \
            the new tree head. Save a printed tree head: `provenance log consistency HEAD` later \
            proves the log only grew since. Byte formats: docs/SIGNING_AND_LOG.md.
            """,
        subcommands: [LogListCommand.self, LogHeadCommand.self, LogProofCommand.self, LogVerifyCommand.self, LogConsistencyCommand.self],
        defaultSubcommand: LogListCommand.self)
}

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
