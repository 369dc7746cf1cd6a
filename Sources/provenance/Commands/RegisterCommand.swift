import ArgumentParser
import Fingerprinting
import Foundation
import Registry

/// `provenance register PATH --name …`: fingerprint a release and store it in the registry.
struct RegisterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "register",
        abstract: "Fingerprint a release and store it in the registry.",
        discussion: """
            PATH is a checkpoint (file, directory, shard index, Hugging Face cache entry) or a \
            fingerprint file written by `provenance fingerprint`. A name and version already \
            registered is refused unless --replace is given. If the same weights (or some of \
            the same tensors) are already registered under another name, that is reported: it \
            is itself a finding.
            """)

    @Argument(help: "The checkpoint or fingerprint file to register.")
    var path: String

    @Option(name: .long, help: "Release name, e.g. org/model (no '@').")
    var name: String

    @Option(name: .long, help: "Release version.")
    var version: String?

    @Option(name: .long, help: "Publishing organisation.")
    var org: String?

    @Option(name: .long, help: "License identifier, e.g. apache-2.0.")
    var license: String?

    @Option(name: .long, help: ArgumentHelp("Release date.", valueName: "YYYY-MM-DD"))
    var released: String?

    @Option(name: .long, help: "Where the release is published (http/https).")
    var url: String?

    @Option(name: .long, parsing: .singleValue, help: ArgumentHelp("A declared base model (repeatable).", valueName: "NAME[@VERSION]"))
    var base: [String] = []

    @Option(name: .long, help: "Free-text notes.")
    var notes: String?

    @Flag(name: .long, help: "Replace an entry with the same name and version.")
    var replace = false

    @Option(name: .long, help: ArgumentHelp("Who registers (default: user@host).", valueName: "who"))
    var registeredBy: String?

    @Option(name: .long, help: ArgumentHelp("Registration time, UTC (default: now); pinned for reproducible exports.",
                                            valueName: "YYYY-MM-DDTHH:MM:SSZ"))
    var registeredAt: String?

    @Option(name: .long, help: ArgumentHelp(
        "Sign the registration with this Ed25519 private key (from `provenance keygen`).",
        discussion: "The signed statement (release metadata, fingerprint and file digests, registration time and registrant) is stored with the release and carried by `export`.",
        valueName: "key.pem"))
    var sign: String?

    @OptionGroup var registryOptions: RegistryOptions
    @OptionGroup var fingerprinting: FingerprintingOptions

    func run() throws {
        let metadata = try ReleaseMetadata(
            name: name, version: version, org: org, license: license, released: released, url: url, bases: base, notes: notes
        ).validated()
        let signingKey = try sign.map(KeyArguments.signingKey)
        let registry = try registryOptions.open()
        // Fail before a long fingerprinting pass; register() checks again inside its transaction.
        if !replace, let existing = try? registry.release(ReleaseReference(name: metadata.name, version: metadata.version ?? "")) {
            throw RegistryError.duplicateRelease(reference: existing.reference.description, existingID: existing.id, registeredAt: existing.registeredAt)
        }
        let fingerprint = try fingerprinting.fingerprint(path)
        let result = try registry.register(fingerprint: fingerprint, metadata: metadata, replace: replace,
                                              registeredBy: registeredBy, registeredAt: registeredAt, signingKey: signingKey)
        let release = result.release
        print("registered \(release.reference) (id \(release.id)) in \(registry.path)")
        if let replaced = result.replaced {
            print("  replaced the entry registered \(replaced.registeredAt) by \(replaced.registeredBy) (id \(replaced.id))")
        }
        print("  model        \(ReleaseText.architecture(release.architecture)); \(release.tensorCount) tensors, \(CommandOutput.grouped(release.parameterCount)) parameters")
        print("  canonical    \(release.canonicalRoot.hex)")
        print("  fingerprint  \(CommandOutput.bytes(UInt64(release.fingerprintSize))), \(fingerprint.indexKeys.count) index keys")
        for base in release.bases { print("  base         \(ReleaseText.base(base))") }
        print("  signature    \(ReleaseText.signature(release.signature))")
        if let inclusion = try? registry.inclusionProof(for: release.reference.description) {
            print("  log          entry \(inclusion.entry.sequence) (\(inclusion.entry.entry.kind)); signed tree head size \(inclusion.head.treeHead.size)")
        }
        for finding in result.findings { print("finding: \(finding.description)") }
    }
}
