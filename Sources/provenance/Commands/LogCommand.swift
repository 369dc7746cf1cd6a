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
