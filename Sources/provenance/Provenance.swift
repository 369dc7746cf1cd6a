import ArgumentParser
import Foundation

/// `provenance`: model provenance and plagiarism detection.
struct Provenance: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provenance",
        abstract: "Fingerprint model checkpoints and tell whether one is a copy or derivative of a registered model.",
        discussion: """
            Exit status: 0 when nothing was found (or the command succeeded), 1 when a scan \
            flagged the checkpoint or a verification failed (verify, log verify, log \
            consistency), 2 on any error (bad input, unreadable file, bad arguments).
            """,
        version: ToolInfo.version,
        subcommands: [
            ScanCommand.self,
            CompareCommand.self,
            ReportCommand.self,
            RegisterCommand.self,
            ListCommand.self,
            ShowCommand.self,
            RemoveCommand.self,
            ExportCommand.self,
            ImportCommand.self,
            KeygenCommand.self,
            VerifyCommand.self,
            LogCommand.self,
            FingerprintCommand.self,
            InspectCommand.self,
            PerturbCommand.self,
        ]
    )
}

@main
enum ProvenanceMain {
    static func main() {
        do {
            var command = try Provenance.parseAsRoot()
            try command.run()
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch let error as any UserFacingError {
            CommandOutput.printError(error.userMessage)
            Foundation.exit(ExitStatus.error)
        } catch {
            let code = Provenance.exitCode(for: error)
            let message = Provenance.fullMessage(for: error)
            if code == .success {
                print(message)
                Foundation.exit(0)
            }
            // ArgumentParser starts usage errors with "Error: "; ours already says "error: ".
            CommandOutput.printError(message.hasPrefix("Error: ") ? String(message.dropFirst("Error: ".count)) : message)
            Foundation.exit(ExitStatus.error)
        }
    }
}
