import ProvenanceCrypto

/// What one tensor job produces.
struct TensorResult: Sendable {
    var sha256: SHA256Digest
    var canonical: TensorFingerprint.CanonicalForm
    var statistics: TensorStatistics?
    var valueGrid: String?
    var roundingEnergy: Double?
    var sketch: [Float]
    var lshKeys: [UInt64]
    /// For a stack of experts in a type without blocks: digests over its experts one by one.
    var expertDigests: TensorFingerprint.ExpertDigests?
    /// For a fused gate/up weight: its gate and up parts (`tensor` not yet set).
    var fusedParts: [FusedPartFingerprint] = []
    /// Neuron-major profiles (`neurons × t`) by request key, when this matrix is profiled.
    var profiles: [String: [Float]]
}
