import Fingerprinting

/// A registry query for what the nearest candidate does not explain.
///
/// Index keys find releases whose matrices are close to the suspect's (cosine ≳ 0.8). A merge
/// donor with a minority weight is not: a 0.6 / 0.4 merge has cosine ≈ 0.55 with the donor and
/// shares few keys with it. Removing the nearest candidate's part leaves the donor's: for every
/// matrix the candidate matched, the residual r = S − c·S(candidate) (centred sketches, c the
/// least-squares scale) is indexed as if it were a matrix of the suspect, and those keys are
/// looked up like a fingerprint's.
public enum ResidualQuery {
    /// Smallest share of a matrix's sketch energy left unexplained for its residual to be used.
    public static let minimumResidualShare = 0.05

    /// A copy of `suspect` whose sketch index keys (and per-tensor keys) are those of the
    /// residuals after `reference`; nil when `reference` explains (nearly) every matrix.
    public static func fingerprint(suspect: Fingerprint, explainedBy reference: Fingerprint, comparison: Comparison) -> Fingerprint? {
        let aligned = AlignedSketches(suspect: suspect, references: [(reference, comparison)])
        let seed = PublicSeed(suspect.header.seed)
        var residualKeys: [String: [UInt64]] = [:]
        for name in aligned.common([0]) {
            let own = aligned.suspect[name]!
            let s = own.sketch, r = aligned.references[0][name]!
            let sr = zip(s, r).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let rr = r.reduce(0.0) { $0 + Double($1) * Double($1) }
            let ss = s.reduce(0.0) { $0 + Double($1) * Double($1) }
            guard rr > 0, ss > 0 else { continue }
            let scale = sr / rr
            let residual = zip(s, r).map { Float(Double($0) - scale * Double($1)) }
            let left = residual.reduce(0.0) { $0 + Double($1) * Double($1) }
            guard left >= minimumResidualShare * ss else { continue }
            residualKeys[name] = LocalitySensitiveKeys.keys(centeredSketch: residual, rows: own.rows, cols: own.cols, seed: seed)
        }
        guard !residualKeys.isEmpty else { return nil }
        var query = suspect
        for index in query.tensors.indices {
            query.tensors[index].lshKeys = residualKeys[query.tensors[index].name] ?? []
        }
        for index in query.expertGroups.indices {
            query.expertGroups[index].lshKeys = residualKeys[query.expertGroups[index].name] ?? []
        }
        query.indexKeys = Set(residualKeys.values.joined().map { IndexKey(kind: "sketch", value: $0) }).sorted()
        return query
    }
}
