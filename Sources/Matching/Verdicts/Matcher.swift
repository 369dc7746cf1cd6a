import Fingerprinting

/// The entry point for matching: compare a suspect with one reference, or scan it against
/// several and attribute it.
public enum Matcher {
    /// A reference to match against: a registered release or any fingerprint.
    public struct Reference: Sendable {
        public var identity: ModelIdentity
        public var fingerprint: Fingerprint

        public init(identity: ModelIdentity, fingerprint: Fingerprint) {
            self.identity = identity
            self.fingerprint = fingerprint
        }

        /// A reference labelled `label` with optional release metadata.
        public init(label: String, fingerprint: Fingerprint, kind: String = "release", metadata: [String: String] = [:]) {
            self.init(identity: ModelIdentity(fingerprint: fingerprint, label: label, kind: kind, metadata: metadata), fingerprint: fingerprint)
        }
    }

    /// Compares `suspect` with one reference; `fullWeights`, the element-by-element evidence of
    /// a first comparison (`FullWeightComparison`), settles what the fingerprints leave open.
    public static func compare(_ suspect: Fingerprint, suspectIdentity: ModelIdentity, with reference: Reference,
                               options: MatchingOptions = MatchingOptions(), fullWeights: FullWeightEvidence? = nil) -> Comparison {
        PairComparison.compare(suspect: suspect, suspectIdentity: suspectIdentity, reference: reference.fingerprint,
                               referenceIdentity: reference.identity, options: options, fullWeights: fullWeights)
    }

    /// Compares `suspect` with every reference, then attributes it among the related ones.
    public static func scan(_ suspect: Fingerprint, suspectIdentity: ModelIdentity, against references: [Reference],
                            options: MatchingOptions = MatchingOptions()) -> ScanResult {
        let comparisons = references.map { reference in
            (fingerprint: reference.fingerprint, result: compare(suspect, suspectIdentity: suspectIdentity, with: reference, options: options))
        }
        return LineageAnalysis.attribute(suspect: suspect, suspectIdentity: suspectIdentity, comparisons: comparisons, options: options)
    }
}
