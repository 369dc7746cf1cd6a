import Checkpoints
import ProvenanceCrypto

/// The JSON half of a fingerprint file (`__metadata__["fingerprint"]`); the arrays it
/// references by name are tensors of the same file.
struct FingerprintDocument: Codable {
    struct Tensor: Codable {
        var name: String
        var dtype: String
        var shape: [Int]
        var file: Int
        var role: TensorRole
        var layer: Int?
        var roleBasis: String
        var sha256: SHA256Digest
        var canonical: TensorFingerprint.CanonicalForm
        var statistics: TensorStatistics?
        var valueGrid: String?
        var roundingEnergy: Double?
        var scale: TensorFingerprint.Scaling?
        var experts: Int?
        var expertDigests: TensorFingerprint.ExpertDigests?
        var sketch: String?
        var lshKeys: [String]
    }
    struct Probe: Codable {
        var kind: ProbeBasis.Kind
        var tokenIDs: [Int]
        var gram: String?
    }
    struct Profile: Codable {
        var kind: String
        var layer: Int
        var inputTensor: String
        var pairedTensor: String
        var neuronCount: Int
        var selectedCount: Int
        var input: String
        var paired: String
        var selected: String
    }
    struct ExpertGroup: Codable {
        var name: String
        var members: [Int]
        var sketch: String
        var lshKeys: [String]
    }
    struct FusedPart: Codable {
        var tensor: Int
        var part: String
        var axis: String
        var layout: String
        /// Heads of a `head-blocks` split; absent otherwise.
        var heads: Int?
        var rows: Int
        var cols: Int
        var count: Int
        var mean: Double
        var sumSquares: Double
        var sketch: String
        var lshKeys: [String]
    }
    /// The members of one expert group stored compactly (§4b): what they share once, a name
    /// template, and per member its number, file, digests and statistics in arrays; with the
    /// members' scaling as a template and their companion tensors as tables of their own.
    struct ExpertTable: Codable {
        struct Canonical: Codable {
            var dtype: String
            var shape: [Int]
            var transposed: Bool
        }
        /// The members' scaling (§4a); each companion's name is the member's prefix and number
        /// followed by its suffix.
        struct ScaleTemplate: Codable, Equatable {
            var tensorSuffix: String
            var block: [Int]
            var granularity: TensorScale.Granularity
            var zeroPointsSuffix: String?
            var groupIndexSuffix: String?
            var packing: String?
            var biasesSuffix: String?
            var quantizer: String?
        }
        /// Tensors that share all but their number, file, digests, statistics and rounding energy.
        struct Rows: Codable {
            var files: [Int]
            var dtype: String
            var shape: [Int]
            var role: TensorRole
            var layer: Int?
            var roleBasis: String
            var valueGrid: String?
            var canonical: Canonical
            /// Each row's canonical dtype when they differ (scaled codes whose values need BF16 in
            /// one expert and F32 in another); `canonical.dtype` is then the first's.
            var canonicalDTypes: [String]?
            /// U8 `[n, 64]`: each row's raw SHA-256, then its canonical SHA-256.
            var digests: String
            /// F64 `[n, 20]`: `ExpertTableColumns` of each row's statistics.
            var statistics: String
            /// F64 `[n]`, present when the rows have rounding energies.
            var roundingEnergy: String?
        }
        /// One kind of companion of the members (their scale factors, zero points, …): row i is
        /// `namePrefix + numbers[i] + nameSuffix`, at `positions[i]` of the full tensor list.
        struct Companion: Codable {
            var nameSuffix: String
            var positions: [Int]
            var rows: Rows
        }
        /// Index into `expertGroups`: row i is the tensor at that group's `members[i]`.
        var group: Int
        /// Member i's name is `namePrefix + numbers[i] + nameSuffix` (decimal, no leading zeros).
        var namePrefix: String
        var nameSuffix: String
        var numbers: [Int]
        var members: Rows
        var scale: ScaleTemplate?
        var companions: [Companion]?
    }
    struct Key: Codable {
        var kind: String
        var value: String
    }

    var header: Fingerprint.Header
    var source: Fingerprint.Source
    var structure: ModelStructure
    var roots: Fingerprint.Roots
    var tensors: [Tensor]
    var probe: Probe
    var profiles: [Profile]
    var indexKeys: [Key]
    /// Absent when the checkpoint has no per-expert tensors.
    var expertGroups: [ExpertGroup]?
    /// Absent when the checkpoint has no fused gate/up tensors.
    var fusedParts: [FusedPart]?
    /// Absent when no expert group's members could be stored compactly; their tensors are then
    /// not in `tensors`, which lists the others in order.
    var expertTables: [ExpertTable]?
}

/// 16 lower-case hex digits for a 64-bit key.
func hex64(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
}
