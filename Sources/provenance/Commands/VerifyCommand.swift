import ArgumentParser
import Fingerprinting
import Foundation
import ProvenanceCrypto
import Registry

/// `provenance verify FILE|NAME[@VERSION]` and `provenance verify PATH --against NAME[@VERSION]`.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Verify a signed registration, or check a checkpoint against a registered release.",
        discussion: """
            verify FILE: an exported fingerprint file (*.fingerprint.safetensors): its signature, \
            statement and public key against its fingerprint and release metadata.
            verify NAME[@VERSION]: a registered release: the same, plus its log entry against the \
            latest signed tree head.
            verify PATH --against NAME[@VERSION]|FILE: whether the checkpoint at PATH is exactly the \
            release: every file's SHA-256 and every tensor's digest, naming each tensor that \
            differs, is missing or is extra.
            Exit status: 0 verified (and identical); 1 not signed, altered, or different; 2 error.
            """)

    @Argument(help: ArgumentHelp("An exported fingerprint file, a release, or (with --against) a checkpoint.", valueName: "FILE|NAME[@VERSION]|PATH"))
    var target: String

    @Option(name: .long, help: ArgumentHelp("The registered release (or exported file) the checkpoint must equal.", valueName: "NAME[@VERSION]|FILE"))
    var against: String?

    @Option(name: .long, help: ArgumentHelp("Require a signature by this key (a 64-hex key id or a PEM key file).", valueName: "key"))
    var signer: String?

    @OptionGroup var registryOptions: RegistryOptions
    @OptionGroup var fingerprinting: FingerprintingOptions

    func run() throws {
        let expectedSigner = try signer.map(KeyArguments.keyID)
        do {
            if let against {
                try checkCheckpoint(expectedSigner: expectedSigner, against: against)
            } else {
                let verification = Self.isFile(target)
                    ? try Registry.verifyExportedFile(target, expectedSigner: expectedSigner)
                    : try registryOptions.open().verify(target, expectedSigner: expectedSigner)
                print(VerificationText.details(verification))
                guard verification.isSigned else {
                    CommandOutput.printError("\(verification.subject) is not signed: its metadata and fingerprint are internally consistent, but nothing vouches for who registered them.")
                    throw ExitCode(ExitStatus.failed)
                }
                if verification.logProblem != nil { throw ExitCode(ExitStatus.failed) }
            }
        } catch let error as RegistryError {
            guard case .verificationFailed = error else { throw error }
            CommandOutput.printError(error.description)
            throw ExitCode(ExitStatus.failed)
        }
    }

    private func checkCheckpoint(expectedSigner: SHA256Digest?, against: String) throws {
        let checkpoint = try fingerprinting.fingerprint(target)
        let (verification, comparison) = Self.isFile(against)
            ? try Registry.compare(checkpoint, againstFile: against, expectedSigner: expectedSigner)
            : try registryOptions.open().compare(checkpoint, against: against, expectedSigner: expectedSigner)
        let signed = verification.signature.map { "signed by key \($0.signerKeyID.hex), signature verified" } ?? "unsigned"
        print("release     \(verification.metadata.reference) (\(signed))")
        print("checkpoint  \(target)")
        for line in VerificationText.differences(comparison) { print(line) }
        print(VerificationText.summary(comparison))
        if !comparison.isExact { throw ExitCode(ExitStatus.failed) }
    }

    /// An existing regular file is an exported fingerprint; anything else names a release.
    static func isFile(_ argument: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) && !isDirectory.boolValue
    }
}
