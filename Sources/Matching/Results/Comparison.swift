import Fingerprinting
import Foundation

/// The full comparison of a suspect with one reference: verdict and every piece of evidence.
/// Its JSON encoding is the stable report schema (docs/REPORT_SCHEMA.md).
public struct Comparison: Codable, Sendable {
    public var suspect: ModelIdentity
    public var reference: ModelIdentity
    public var verdict: Verdict
    public var exact: ExactEvidence
    /// One entry per suspect weight matrix: its best reference match.
    public var tensors: [TensorMatch]
    public var layers: [LayerMatch]
    public var profiles: [ProfileMatch]
    public var heatmaps: [Heatmap]
    public var curves: [StatisticCurve]
    public var alignment: AlignmentSummary
    public var method: MethodInfo
    /// Element-by-element figures, when both checkpoints were on disk (`compare --deep`).
    public var fullWeights: FullWeightEvidence?
}

/// What was decided, with the numbers behind it.
public struct Verdict: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// The same files, or the same tensor bytes under the same names.
        case identical
        /// The same weights stored differently: renamed, re-sharded, transposed, other dtype, quantized.
        case reEncoded = "re-encoded"
        /// Changed weights of this model: noise, permutations, rescaling, further training.
        case derived
        /// Only some layers come from this model.
        case partial
        /// A combination of several registered models.
        case merge
        /// No significant evidence of a relation.
        case independent
    }

    public var kind: Kind
    /// One sentence: the verdict and its confidence.
    public var sentence: String
    /// log₁₀ of the combined p-value (Fisher over every tensor and profile test).
    public var log10P: Double
    /// The p-value as text ("1e-2174").
    public var pValue: String
    /// Parameter-weighted mean estimated cosine of matched weight matrices.
    public var estimatedCosine: Double?
    /// Fraction of the suspect's weight parameters in layers matched to this reference.
    public var coverage: Double
    /// Evidence, one short line each.
    public var evidence: [String]
    /// How much of the deviation rounding to the suspect's storage explains, when the suspect
    /// was checked for being a lossy re-encoding (docs/MATCHING.md §5).
    public var rounding: RoundingCheck?
    /// Element-weighted mean exact cosine of the matrices `compare --deep` lined up with the
    /// reference's; absent without `--deep`. When present it, not the estimate, decides
    /// whether the weights were changed.
    public var exactCosine: Double? = nil

    /// Whether this verdict flags the suspect (anything but `independent`).
    public var isFlagged: Bool { kind != .independent }
}

/// The rounding budget of a lossy re-encoding check; deviations are relative to the norm of
/// the matched weights (√ of energy ratios).
public struct RoundingCheck: Codable, Sendable, Hashable {
    /// The observed deviation of the suspect's matrices from the reference's.
    public var deviation: Double
    /// The deviation rounding to the suspect's types is expected to cause.
    public var expectedRounding: Double
    /// The most rounding may explain (the expectation with its margins).
    public var allowedRounding: Double
    /// The deviation beyond the expected rounding: a change made before the weights were rounded.
    public var change: Double
    /// Whether the expectation comes from the tensors' own block scales (else typical errors).
    public var fromBlockScales: Bool
    /// Whether rounding explains the deviation (the verdict is then `re-encoded`).
    public var explained: Bool
}

public struct ExactEvidence: Codable, Sendable, Hashable {
    /// Every tensor holds the reference's values (canonical roots equal, directly or expert by expert).
    public var sameValues: Bool { canonicalRootEqual || expertRootEqual }

    public var suspectFiles: Int
    public var identicalFiles: Int
    public var suspectTensors: Int
    public var sharedRawTensors: Int
    /// Evidential suspect tensors whose values the reference holds: its canonical digest, or
    /// for experts the digest of its layer's experts one by one (stacked on one side, one
    /// tensor per expert on the other).
    public var sharedCanonicalTensors: Int
    public var rawRootEqual: Bool
    public var canonicalRootEqual: Bool
    /// The canonical roots are equal once experts are compared one by one: one side stacks a
    /// mixture-of-experts layer's experts in one tensor, the other stores one tensor per
    /// expert, and the values are the same (`ExpertLayout`).
    public var expertRootEqual: Bool
    /// Fraction of suspect weight parameters whose canonical digest occurs in the reference.
    public var canonicalCoverage: Double
}

public struct TensorMatch: Codable, Sendable, Hashable {
    public var suspectTensor: String
    public var referenceTensor: String?
    public var role: String
    public var suspectLayer: Int?
    public var referenceLayer: Int?
    public var parameters: Int
    /// Compared with the suspect transposed.
    public var transposed: Bool
    /// Estimated cosine of the (mean-removed) weights.
    public var cosine: Double
    public var z: Double
    /// log₁₀ p, Bonferroni-corrected for the comparisons this match was chosen from.
    public var log10P: Double
    public var comparisons: Int
    /// `raw` (byte-identical), `canonical` (same values re-encoded) or nil.
    public var exact: String?
    /// ‖suspect‖ / ‖reference‖.
    public var normRatio: Double
    public var significant: Bool
    /// `suspectLayer` is not the suspect's own (its names carry no layer numbers) but the
    /// reference layer its match places it in (`LayerPlacement`); nil otherwise.
    public var layerPlaced: Bool? = nil
}

extension TensorMatch {
    /// Whether the suspect's norm differs from the reference's by more than 5 % (|log ratio| > 0.05):
    /// the matrix is the reference's multiplied by a factor, if its direction matches too.
    public var isRescaled: Bool { normRatio > 0 && abs(log(normRatio)) > 0.05 }
}

public struct ProfileMatch: Codable, Sendable, Hashable {
    public var kind: String
    public var suspectLayer: Int
    public var referenceLayer: Int
    public var suspectTensor: String
    public var referenceTensor: String
    public var matchedNeurons: Int
    public var inputAgreement: Double
    /// Cross-check statistic T (≈1 same neurons, ≈0 unrelated).
    public var crossCheck: Double
    public var nullMean: Double
    public var nullStd: Double
    public var z: Double
    public var log10P: Double
    public var permutationPValue: Double
    /// Fraction of aligned neurons that kept their index (≈1: not permuted).
    public var identityFraction: Double
    public var comparisons: Int
    /// The suspect matrix that matched the paired side (for suspects without layer structure,
    /// where `suspectLayer` is −1 and the pair was found by its profiles).
    public var suspectPairedTensor: String?
    /// Neurons of the suspect's and the reference's matrix (not only the profiled ones): they
    /// differ when a copy was width-pruned. Absent from reports written before this field.
    public var suspectNeurons: Int? = nil
    public var referenceNeurons: Int? = nil
    /// Fraction of aligned neurons in a longest run that keeps the reference's order (taken in
    /// the suspect's order): ≈1 for the kept neurons of a pruned copy, ≈0 when permuted.
    public var orderFraction: Double? = nil
}

extension ProfileMatch {
    /// Whether the aligned neurons keep the reference's order: the kept neurons of a pruned copy
    /// do (≈ 1, less where noise misaligns a few); a permutation's do not. MLP neurons move one by
    /// one, so a permutation of n leaves ≈ 2/√n on the chain and half of them suffices; attention
    /// rows move in whole heads, so a permutation of h heads still leaves ≈ 2/√h (0.58 for 12
    /// heads, often 0.75 for 4) and 90 % is required.
    public var keepsNeuronOrder: Bool { (orderFraction ?? 0) >= (kind == "mlp" ? 0.5 : 0.9) }
}

public struct LayerMatch: Codable, Sendable, Hashable {
    /// Layer index, or nil for tensors outside numbered layers (embeddings, head).
    public var suspectLayer: Int?
    public var group: String
    public var referenceLayer: Int?
    public var tensors: Int
    public var parameters: Int
    public var meanCosine: Double
    public var log10P: Double
    /// `exact`, `sketch`, `profiles`, `weights` (lined up element by element by `compare
    /// --deep`, where no fingerprint evidence reached) or `none`.
    public var matchedBy: String
}

extension LayerMatch {
    /// `matchedBy` of a layer only the element-by-element comparison matched; its `meanCosine`
    /// is then the exact cosine of its lined-up matrices.
    public static let matchedByWeights = "weights"
}

public struct Heatmap: Codable, Sendable, Hashable {
    /// The `family` of the heatmap of layer pairs matched by neuron profiles (cells: cross-check T).
    public static let profilesFamily = "profiles"

    /// Role family: `attention`, `mlp.in`, `mlp.out`, or `profilesFamily`.
    public var family: String
    public var suspectLayers: [Int]
    public var referenceLayers: [Int]
    /// `cosines[i][j]`: best estimated |cosine| between the family's matrices of suspect layer i and reference layer j.
    public var cosines: [[Double]]
}

/// Per-layer statistics of one role, both models: supporting context, never decisive.
public struct StatisticCurve: Codable, Sendable, Hashable {
    public var role: String
    public var statistic: String
    public var suspect: [Double?]
    public var reference: [Double?]
    /// Pearson correlation of the two curves over common layers (the method disputed in the
    /// Pangu/Qwen case; independent models score high on it too).
    public var correlation: Double?
}

public struct AlignmentSummary: Codable, Sendable, Hashable {
    /// Matched tensors whose names differ.
    public var renamed: Int
    /// How many of the suspect's tensor names occur in the reference at all (names are
    /// evidence of renaming even where no tensor matched positionally, e.g. permuted copies).
    /// Optional: a field added within schema version 1, absent from older reports.
    public var sharedTensorNames: Int? = nil
    /// The suspect's tensor count, for `sharedTensorNames`.
    public var suspectTensorNames: Int? = nil
    /// Matched tensors stored transposed relative to the reference.
    public var transposed: Int
    /// Matched tensors whose norm changed by more than 5% (rescaling), with the ratio.
    public var rescaled: [String]
    /// Suspect layers whose neurons are permuted relative to the reference (from profiles).
    public var permutedLayers: [Int]
    /// Suspect layer → reference layer.
    public var layerMap: [String: Int]
    public var droppedReferenceLayers: [Int]
    public var unmatchedSuspectLayers: [Int]
    public var reordered: Bool
    public var suspectVocabularyRows: Int?
    public var referenceVocabularyRows: Int?
    /// Widths that differ from the reference's where the neurons still match: structured
    /// pruning (or widening). Absent from reports written before this field.
    public var widthChanges: [WidthChange]? = nil
    /// For a suspect whose tensor names carry no layer numbers: how many of its weight
    /// matrices were placed in the reference layer their match sits in (`LayerPlacement`);
    /// nil when the suspect's names carry layers.
    public var placedMatrices: Int? = nil
}

public struct MethodInfo: Codable, Sendable, Hashable {
    public var tool: String
    public var toolVersion: String
    public var fingerprintFormat: Int
    public var seed: String
    /// Flag threshold on the combined p-value.
    public var threshold: Double
    /// Per-tensor significance used for coverage and layer maps.
    public var tensorThreshold: Double
    public var command: String?
}
