import Foundation
import Registry

/// Terminal text for `verify`.
enum VerificationText {
    static func details(_ verification: RegistrationVerification) -> String {
        var rows: [(String, String)] = []
        rows.append(("release", verification.metadata.reference.description))
        rows.append(("registered", "\(verification.registeredAt) by \(verification.registeredBy)"))
        if let signed = verification.signature {
            rows.append(("signature", "valid: Ed25519 key \(signed.signerKeyID.hex)"))
            rows.append(("statement", "sha256 \(signed.statement.digest.hex), \(signed.statement.fields.count) fields, all matching"))
        } else {
            rows.append(("signature", "none (unsigned)"))
        }
        rows.append(("fingerprint", "sha256 \(verification.fingerprintSHA256.hex)"))
        rows.append(("canonical root", verification.canonicalRoot.hex))
        rows.append(("raw root", verification.rawRoot.hex))
        for (index, file) in verification.files.enumerated() {
            let digest = file.sha256.map { "sha256 \($0.hex)" } ?? "no sha256"
            rows.append((index == 0 ? "files" : "", "\(file.name)  \(CommandOutput.bytes(file.size))  \(digest)"))
        }
        rows.append(("tensors", String(verification.tensorCount)))
        if let inclusion = verification.logInclusion {
            rows.append(("log", "entry \(inclusion.entry.sequence) (\(inclusion.entry.entry.kind)) is in the signed tree head of size \(inclusion.head.treeHead.size), root \(inclusion.head.treeHead.rootHash.hex)"))
        } else if let problem = verification.logProblem {
            rows.append(("log", "NOT VERIFIED: \(problem)"))
        }
        let width = rows.map(\.0.count).max() ?? 0
        let verdict = verification.isSigned ? "verified \(verification.subject)" : "checked \(verification.subject) (unsigned)"
        return ([verdict] + rows.map { label, value in
            "  " + label + String(repeating: " ", count: width - label.count + 2) + value
        }).joined(separator: "\n")
    }

    /// One line per difference, naming the file or tensor.
    static func differences(_ comparison: CheckpointComparison) -> [String] {
        var lines: [String] = []
        for difference in comparison.fileDifferences {
            switch difference {
            case .differs(let expected, let actual):
                lines.append("DIFFERS  file \(expected.name): registered \(fileText(expected)), found \(fileText(actual))")
            case .missing(let file):
                lines.append("MISSING  file \(file.name) (\(fileText(file)))")
            case .extra(let file):
                lines.append("EXTRA    file \(file.name) (\(fileText(file)))")
            case .notDigested(let file):
                lines.append("UNCHECKED file \(file.name): no SHA-256 on one side (fingerprinted with --no-file-digests)")
            }
        }
        for difference in comparison.tensorDifferences {
            switch difference {
            case .differentValues(let name, let expected, let actual):
                lines.append("DIFFERS  tensor \(name): different values (registered \(expected), found \(actual))")
            case .differentEncoding(let name, let expected, let actual):
                lines.append("DIFFERS  tensor \(name): same values, stored differently (registered \(expected), found \(actual))")
            case .missing(let name, let expected):
                lines.append("MISSING  tensor \(name) (\(expected))")
            case .extra(let name, let actual):
                lines.append("EXTRA    tensor \(name) (\(actual))")
            }
        }
        return lines
    }

    static func summary(_ comparison: CheckpointComparison) -> String {
        let counts = "\(comparison.matchingFiles) identical file\(comparison.matchingFiles == 1 ? "" : "s"), \(comparison.matchingTensors) of \(comparison.expectedTensorCount) tensors identical"
        if comparison.isExact { return "IDENTICAL: the checkpoint is exactly the registered release (\(counts))" }
        return "DIFFERENT: \(comparison.fileDifferences.count) file and \(comparison.tensorDifferences.count) tensor difference\(comparison.fileDifferences.count + comparison.tensorDifferences.count == 1 ? "" : "s") (\(counts))"
    }

    private static func fileText(_ file: ReleaseFile) -> String {
        "\(file.size) bytes" + (file.sha256.map { ", sha256 \($0.hex)" } ?? "")
    }
}
