import Fingerprinting
import Foundation
import Matching
import Registry

/// Bridges the registry and the matcher: candidate releases as matching references.
enum RegistryMatching {
    /// The identity of a registered release, with its metadata, for reports.
    static func identity(_ release: Release, fingerprint: Fingerprint) -> ModelIdentity {
        var metadata: [String: String] = [:]
        let fields = release.metadata
        if let org = fields.org { metadata["org"] = org }
        if let license = fields.license { metadata["license"] = license }
        if let released = fields.released { metadata["released"] = released }
        if let url = fields.url { metadata["url"] = url }
        if !fields.bases.isEmpty { metadata["bases"] = fields.bases.joined(separator: ", ") }
        if let notes = fields.notes { metadata["notes"] = notes }
        metadata["registered"] = "\(release.registeredAt) by \(release.registeredBy)"
        return ModelIdentity(fingerprint: fingerprint, label: release.reference.description, kind: "release", metadata: metadata)
    }

    /// Candidate releases for `fingerprint` from indexed look-ups, plus the registered bases
    /// they declare (so the nearest-ancestor analysis can compare a release with its base).
    static func references(for fingerprint: Fingerprint, in registry: Registry, limit: Int, everything: Bool) throws -> [Matcher.Reference] {
        var releases: [Release]
        if everything {
            releases = try registry.list()
        } else {
            releases = try registry.candidates(for: fingerprint, limit: limit).map(\.release)
            let byID = Set(releases.map(\.id))
            var bases: [Release] = []
            for release in releases {
                for base in release.bases where base.releaseID != nil && !byID.contains(base.releaseID!) {
                    if let resolved = try? registry.release(base.reference), !bases.contains(where: { $0.id == resolved.id }) {
                        bases.append(resolved)
                    }
                }
            }
            releases += bases
        }
        return try releases.map { try matchable($0, in: registry) }
    }

    /// A release with its stored fingerprint, ready to match against.
    static func matchable(_ release: Release, in registry: Registry) throws -> Matcher.Reference {
        let print = try registry.fingerprint(of: release)
        return Matcher.Reference(identity: identity(release, fingerprint: print), fingerprint: print)
    }

    /// Releases that explain what the nearest flagged candidate of a first scan leaves over
    /// (merge donors the index keys did not retrieve), not already among `known`.
    static func residualReferences(
        for fingerprint: Fingerprint, after result: ScanResult, known: [Matcher.Reference], in registry: Registry, limit: Int
    ) throws -> [Matcher.Reference] {
        guard let nearest = result.candidates.first(where: { $0.verdict.isFlagged }),
              nearest.verdict.kind != .identical, !(nearest.exact.sameValues || nearest.exact.rawRootEqual),
              let reference = known.first(where: { $0.identity.label == nearest.reference.label }),
              let query = ResidualQuery.fingerprint(suspect: fingerprint, explainedBy: reference.fingerprint, comparison: nearest)
        else { return [] }
        let knownLabels = Set(known.map(\.identity.label))
        return try registry.candidates(for: query, limit: limit).map(\.release)
            .filter { !knownLabels.contains($0.reference.description) }
            .map { try matchable($0, in: registry) }
    }
}
