/// A registered release that a fingerprint may be related to, found through the registry's
/// indexes (exact tensor digests, roots, LSH band keys) without scanning stored fingerprints.
///
/// Candidates are a shortlist for the matcher, not a verdict.
public struct Candidate: Sendable, Hashable {
    public var release: Release
    /// Same canonical root as the query: identical weights.
    public var identicalCanonicalRoot: Bool
    /// Same raw root as the query: identical tensor bytes.
    public var identicalRawRoot: Bool
    /// Informative query tensors whose raw (stored-bytes) digest occurs in the release.
    public var sharedRawTensors: Int
    /// Informative query tensors whose canonical digest occurs in the release.
    public var sharedCanonicalTensors: Int
    /// Parameters in the query tensors counted by `sharedCanonicalTensors`.
    public var sharedParameters: Int
    /// Informative tensors in the query (not buffers, not constant).
    public var informativeTensors: Int
    /// Query `sketch` index keys the release also has.
    public var sketchKeyVotes: Int
    /// Query `probe` index keys the release also has.
    public var probeKeyVotes: Int
    /// Probe bands where the release's key is within a few bit flips of the query's
    /// (multi-probe look-up; never counted in `keyVotes`).
    public var nearProbeKeyVotes: Int = 0

    /// Whether any tensor (or the whole model) matched exactly.
    public var hasExactShares: Bool {
        identicalCanonicalRoot || identicalRawRoot || sharedCanonicalTensors > 0 || sharedRawTensors > 0
    }

    /// All LSH votes.
    public var keyVotes: Int { sketchKeyVotes + probeKeyVotes }
}
