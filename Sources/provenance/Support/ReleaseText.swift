import Fingerprinting
import Foundation
import ProvenanceCrypto
import Registry

/// Terminal text for releases and registry findings.
enum ReleaseText {
    static func architecture(_ structure: ModelStructure) -> String {
        var parts = [structure.family]
        if structure.layerCount > 0 { parts.append("\(structure.layerCount) layers") }
        if structure.hiddenSize > 0 { parts.append("hidden \(structure.hiddenSize)") }
        if let vocabulary = structure.vocabularyRows { parts.append("vocabulary \(vocabulary)") }
        return parts.joined(separator: ", ")
    }

    static func base(_ base: BaseModel) -> String {
        base.releaseID.map { "\(base.reference) (registered, id \($0))" } ?? "\(base.reference) (not registered)"
    }

    /// "Ed25519 key …, statement sha256 …", or that the registration is unsigned.
    static func signature(_ signed: SignedStatement?) -> String {
        guard let signed else { return "none: unsigned registration (nothing vouches for who published it)" }
        return "Ed25519 key \(signed.signerKeyID.hex), statement sha256 \(signed.statement.digest.hex)"
    }

    /// The full description printed by `show` (and, shorter, by `register`).
    static func details(_ release: Release, registryPath: String? = nil) -> String {
        var rows: [(String, String)] = [("name", release.name)]
        if let version = release.version { rows.append(("version", version)) }
        if let org = release.metadata.org { rows.append(("org", org)) }
        if let license = release.metadata.license { rows.append(("license", license)) }
        if let released = release.metadata.released { rows.append(("released", released)) }
        if let url = release.metadata.url { rows.append(("url", url)) }
        for (index, base) in release.bases.enumerated() { rows.append((index == 0 ? "bases" : "", Self.base(base))) }
        rows.append(("model", "\(architecture(release.architecture)); \(release.tensorCount) tensors, \(CommandOutput.grouped(release.parameterCount)) parameters"))
        for (index, file) in release.files.enumerated() {
            let digest = file.sha256.map { "sha256 \($0.hex)" } ?? "no sha256"
            rows.append((index == 0 ? "files" : "", "\(file.name)  \(CommandOutput.bytes(file.size))  \(digest)"))
        }
        rows.append(("canonical root", release.canonicalRoot.hex))
        rows.append(("raw root", release.rawRoot.hex))
        rows.append(("fingerprint", "\(CommandOutput.bytes(UInt64(release.fingerprintSize))), sha256 \(release.fingerprintSHA256.hex)"))
        rows.append(("registered", "\(release.registeredAt) by \(release.registeredBy) (id \(release.id))"))
        rows.append(("signature", signature(release.signature)))
        if let notes = release.metadata.notes {
            for (index, line) in notes.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                rows.append((index == 0 ? "notes" : "", String(line)))
            }
        }
        if let registryPath { rows.append(("registry", registryPath)) }
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { label, value in
            label + String(repeating: " ", count: width - label.count + 2) + value
        }.joined(separator: "\n")
    }
}
