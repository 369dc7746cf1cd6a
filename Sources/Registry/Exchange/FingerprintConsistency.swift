import Fingerprinting

/// Checks that a decoded fingerprint agrees with itself, so that an altered file (a digest
/// edited in the JSON, keys added) cannot enter the registry.
enum FingerprintConsistency {
    static let keyKinds: Set<String> = ["sketch", "probe"]

    /// The first inconsistency, as a clause for an error message, or `nil`.
    static func problem(in fingerprint: Fingerprint) -> String? {
        if fingerprint.source.tensorCount != fingerprint.tensors.count {
            return "source.tensorCount is \(fingerprint.source.tensorCount) but \(fingerprint.tensors.count) tensors are listed"
        }
        let roots = RootDigest.roots(of: fingerprint.tensors)
        let raw = roots.raw
        if raw != fingerprint.roots.raw {
            return "its raw root \(fingerprint.roots.raw.hex) does not equal the root of its tensor digests (\(raw.hex))"
        }
        let canonical = roots.canonical
        if canonical != fingerprint.roots.canonical {
            return "its canonical root \(fingerprint.roots.canonical.hex) does not equal the root of its canonical tensor digests (\(canonical.hex))"
        }
        if let unknown = fingerprint.indexKeys.first(where: { !keyKinds.contains($0.kind) }) {
            return "index key kind '\(unknown.kind)' is not one of \(keyKinds.sorted().joined(separator: ", "))"
        }
        let sketchKeys = Set(fingerprint.indexKeys.filter { $0.kind == "sketch" }.map(\.value))
        let tensorKeys = Set(fingerprint.tensors.flatMap(\.lshKeys) + fingerprint.expertGroups.flatMap(\.lshKeys)
            + fingerprint.fusedParts.flatMap(\.lshKeys))
        if sketchKeys != tensorKeys {
            return "its \(sketchKeys.count) sketch index keys differ from the \(tensorKeys.count) LSH keys of its tensors"
        }
        return nil
    }
}
